#!/usr/bin/env python3
"""Send one message with Python's smtplib (used by tests/integration/21-python.sh).

send_smtplib.py MODE HOST MSGID FROM RCPT [RCPT...]
  MODE send_message: smtplib.SMTP(HOST, 25, timeout=20).send_message()
  MODE sendmail:     the same, then login() with made-up credentials and
                     sendmail() to every RCPT at once
Prints what the server advertised; exits non-zero on any SMTP error.
"""
import email.message
import email.utils
import smtplib
import sys


def main():
    mode, host, msgid, sender = sys.argv[1:5]
    rcpts = sys.argv[5:]
    msg = email.message.EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(rcpts)
    msg["Subject"] = "smtplib %s %s" % (mode, msgid)
    msg["Date"] = email.utils.formatdate()
    msg["Message-ID"] = "<%s>" % msgid
    msg.set_content("Sent by Python smtplib through submitify.\n"
                    ".a line with a leading dot\n\nNeedle: %s\n" % msgid)

    with smtplib.SMTP(host, 25, local_hostname="client.test",
                      timeout=20) as s:
        code, _ = s.ehlo()
        if code != 250:
            sys.exit("EHLO failed: %d" % code)
        print("features:", sorted(s.esmtp_features))
        print("auth:", s.esmtp_features.get("auth", "").strip())
        if s.has_extn("starttls"):
            sys.exit("STARTTLS was offered")
        if mode == "send_message":
            refused = s.send_message(msg, from_addr=sender, to_addrs=rcpts)
        elif mode == "sendmail":
            code, text = s.login("someone", "made-up password")
            print("login:", code, text.decode())
            refused = s.sendmail(sender, rcpts, msg.as_bytes())
        else:
            sys.exit("unknown mode " + mode)
        if refused:
            sys.exit("refused recipients: %r" % (refused,))
        print("sent", msgid, "to", " ".join(rcpts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
