#!/usr/bin/perl
# Sends one message with Net::SMTP (perl core); used by
# tests/integration/22-perl.sh.
#   send.pl HOST MSGID FROM RCPT [RCPT...]
# Prints the server's extensions; dies on any SMTP error.
use strict;
use warnings;
use Net::SMTP;
use POSIX qw(strftime);

my ($host, $msgid, $from, @rcpt) = @ARGV;
die "usage: send.pl HOST MSGID FROM RCPT...\n" unless @rcpt;

my $smtp = Net::SMTP->new($host, Port => 25, Hello => 'client.test',
    Timeout => 20)
    or die "Net::SMTP->new($host:25): $@\n";
print "banner: ", $smtp->banner;
my $auth = $smtp->supports('AUTH');
print "auth: ", (defined $auth ? $auth : '(none)'), "\n";
die "STARTTLS was offered\n" if defined $smtp->supports('STARTTLS');

$smtp->mail($from) or die "MAIL: ", $smtp->code, " ", $smtp->message;
for my $r (@rcpt) {
    $smtp->to($r) or die "RCPT $r: ", $smtp->code, " ", $smtp->message;
}
$smtp->data() or die "DATA: ", $smtp->code, " ", $smtp->message;
$smtp->datasend("From: $from\n");
$smtp->datasend("To: " . join(', ', @rcpt) . "\n");
$smtp->datasend("Subject: Net::SMTP $msgid\n");
$smtp->datasend("Date: " . strftime("%a, %d %b %Y %H:%M:%S +0000", gmtime) . "\n");
$smtp->datasend("Message-ID: <$msgid>\n");
$smtp->datasend("\n");
$smtp->datasend("Sent by Perl Net::SMTP through submitify.\n");
$smtp->datasend(".a line with a leading dot\n");
$smtp->datasend("\nNeedle: $msgid\n");
$smtp->dataend() or die "end of data: ", $smtp->code, " ", $smtp->message;
print "accepted: ", $smtp->code, " ", $smtp->message;
$smtp->quit or die "QUIT: ", $smtp->code, " ", $smtp->message;
print "sent $msgid\n";
