// A plain SMTP client on Node's `net` (libuv, epoll); used by
// tests/integration/23-node.sh.
//   node send.js HOST PORT MSGID FROM RCPT [RCPT...]
// When the server advertises PIPELINING, MAIL, every RCPT and DATA go out in
// one write, and so do the message, its final dot and QUIT.  Prints the
// capabilities and "pipelined: yes|no"; exits 0 only if the message was
// accepted (250 after the dot) and QUIT got 221.
'use strict';
const net = require('net');

const [host, port, msgid, from, ...rcpts] = process.argv.slice(2);
if (!rcpts.length) {
  console.error('usage: node send.js HOST PORT MSGID FROM RCPT...');
  process.exit(2);
}

const timer = setTimeout(() => {
  console.error('send.js: timed out; state: ' + state);
  process.exit(3);
}, 20000);

function die(msg) {
  console.error('send.js: ' + msg);
  process.exit(1);
}

const body = [
  'From: ' + from,
  'To: ' + rcpts.join(', '),
  'Subject: node net ' + msgid,
  'Date: ' + new Date().toUTCString().replace('GMT', '+0000'),
  'Message-ID: <' + msgid + '>',
  '',
  'Sent by a Node.js net client through submitify.',
  '.a line with a leading dot',
  '',
  'Needle: ' + msgid,
  '',
].join('\r\n');
// Dot-stuffing.
const data = body.replace(/^\./gm, '..');

let state = 'connect';
let buf = '';
let lines = [];
const expect = [];  // [code predicate, label] in the order replies are due
let caps = [];

const sock = net.connect({ host, port: Number(port) });
sock.setNoDelay(true);
sock.setEncoding('latin1');
sock.on('error', (e) => die('socket error in ' + state + ': ' + e.message));
sock.on('close', () => {
  if (state !== 'done') die('connection closed in state ' + state);
  clearTimeout(timer);
  process.exit(0);
});

function send(text) {
  sock.write(text, 'latin1');
}

function onReply(code, text) {
  switch (state) {
    case 'connect':
      if (code !== 220) die('greeting: ' + text);
      console.log('greeting: ' + text.split('\r\n')[0]);
      state = 'ehlo';
      send('EHLO client.test\r\n');
      return;
    case 'ehlo': {
      if (code !== 250) die('EHLO: ' + text);
      caps = text.split('\r\n').filter(Boolean).slice(1)
        .map((l) => l.slice(4).toUpperCase());
      console.log('caps: ' + caps.join(' | '));
      if (caps.includes('STARTTLS')) die('STARTTLS was offered');
      const pipelining = caps.includes('PIPELINING');
      console.log('pipelined: ' + (pipelining ? 'yes' : 'no'));
      const cmds = ['MAIL FROM:<' + from + '>']
        .concat(rcpts.map((r) => 'RCPT TO:<' + r + '>'), ['DATA']);
      expect.push([(c) => c === 250, 'MAIL']);
      rcpts.forEach((r) => expect.push([(c) => c === 250, 'RCPT ' + r]));
      expect.push([(c) => c === 354, 'DATA']);
      state = 'envelope';
      if (pipelining) {
        send(cmds.map((c) => c + '\r\n').join(''));
      } else {
        pending = cmds.slice(1);
        send(cmds[0] + '\r\n');
      }
      return;
    }
    case 'envelope': {
      const [ok, label] = expect.shift();
      if (!ok(code)) die(label + ': ' + text);
      if (pending.length) send(pending.shift() + '\r\n');
      if (expect.length) return;
      state = 'dataend';
      if (caps.includes('PIPELINING')) {
        send(data + '.\r\nQUIT\r\n');
        state = 'dataend+quit';
      } else {
        send(data + '.\r\n');
      }
      return;
    }
    case 'dataend':
    case 'dataend+quit':
      if (code !== 250) die('end of data: ' + text);
      console.log('accepted: ' + text.trim());
      if (state === 'dataend') send('QUIT\r\n');
      state = 'quit';
      return;
    case 'quit':
      if (code !== 221) die('QUIT: ' + text);
      state = 'done';
      sock.end();
      return;
    default:
      die('unexpected reply in state ' + state + ': ' + text);
  }
}
let pending = [];

sock.on('data', (chunk) => {
  buf += chunk;
  let nl;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, nl + 1);
    buf = buf.slice(nl + 1);
    lines.push(line.replace(/\r?\n$/, ''));
    if (!/^\d{3}[ -]/.test(line) && !/^\d{3}\r?\n$/.test(line)) {
      die('malformed reply line: ' + JSON.stringify(line));
    }
    if (line[3] !== '-') {
      const code = Number(line.slice(0, 3));
      const text = lines.join('\r\n') + '\r\n';
      lines = [];
      onReply(code, text);
    }
  }
});
