// A plain-socket SMTP client; used by tests/integration/24-java.sh, run as
//   java Send.java HOST PORT MSGID FROM RCPT [RCPT...]
// (single-file source launch).  One command, one reply, no pipelining.
// Prints the server's extensions; exits 0 only if the message was accepted
// and QUIT got 221.
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

public class Send {
    private final BufferedReader in;
    private final OutputStream out;

    private Send(Socket s) throws IOException {
        in = new BufferedReader(new InputStreamReader(s.getInputStream(),
            StandardCharsets.ISO_8859_1));
        out = s.getOutputStream();
    }

    /** One reply (all its lines); dies unless its code is want. */
    private List<String> reply(int want, String what) throws IOException {
        List<String> lines = new ArrayList<>();
        for (;;) {
            String l = in.readLine();
            if (l == null)
                throw new IOException(what + ": connection closed");
            if (l.length() < 3)
                throw new IOException(what + ": malformed reply: " + l);
            lines.add(l);
            if (l.length() == 3 || l.charAt(3) != '-')
                break;
        }
        int code = Integer.parseInt(lines.get(0).substring(0, 3));
        if (code != want)
            throw new IOException(what + ": expected " + want + ", got "
                + String.join(" / ", lines));
        return lines;
    }

    private void send(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private List<String> cmd(String line, int want) throws IOException {
        send(line + "\r\n");
        return reply(want, line.split(" ")[0]);
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: java Send.java HOST PORT MSGID FROM RCPT...");
            System.exit(2);
        }
        String host = args[0], msgid = args[2], from = args[3];
        int port = Integer.parseInt(args[1]);
        List<String> rcpts = List.of(args).subList(4, args.length);

        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 20000);
            s.setSoTimeout(20000);
            Send c = new Send(s);
            System.out.println("greeting: " + c.reply(220, "greeting").get(0));
            List<String> ehlo = c.cmd("EHLO client.test", 250);
            for (String l : ehlo.subList(1, ehlo.size())) {
                System.out.println("ext: " + l.substring(4));
                if (l.substring(4).equalsIgnoreCase("STARTTLS"))
                    throw new IOException("STARTTLS was offered");
            }
            c.cmd("MAIL FROM:<" + from + ">", 250);
            for (String r : rcpts)
                c.cmd("RCPT TO:<" + r + ">", 250);
            c.cmd("DATA", 354);
            String date = ZonedDateTime.now().format(
                DateTimeFormatter.RFC_1123_DATE_TIME);
            StringBuilder m = new StringBuilder();
            m.append("From: ").append(from).append("\r\n")
             .append("To: ").append(String.join(", ", rcpts)).append("\r\n")
             .append("Subject: java ").append(msgid).append("\r\n")
             .append("Date: ").append(date).append("\r\n")
             .append("Message-ID: <").append(msgid).append(">\r\n")
             .append("\r\n")
             .append("Sent by a Java socket client through submitify.\r\n")
             .append("..a line with a leading dot\r\n")  // dot-stuffed
             .append("\r\n")
             .append("Needle: ").append(msgid).append("\r\n")
             .append(".\r\n");
            c.send(m.toString());
            System.out.println("accepted: " + c.reply(250, "end of data").get(0));
            c.cmd("QUIT", 221);
            System.out.println("sent " + msgid);
        } catch (IOException e) {
            System.err.println("Send.java: " + e);
            System.exit(1);
        }
    }
}
