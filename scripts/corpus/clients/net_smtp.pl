# Perl Net::SMTP with Debug => 1 (STARTTLS via IO::Socket::SSL, AUTH via Authen::SASL).
# usage: perl net_smtp.pl MODE HOST PORT CAFILE USER PASSWORD FROM TO
#   MODE: starttls, ssl (implicit TLS) or plain (no TLS, no AUTH)
use strict;
use warnings;
use Net::SMTP;

my ($mode, $host, $port, $cafile, $user, $password, $from, $to) = @ARGV;
my %tls = (SSL_ca_file => $cafile, SSL_verify_mode => 1);
my $smtp = Net::SMTP->new($host, Port => $port, Hello => 'client.example', Debug => 1, Timeout => 20,
  ($mode eq 'ssl' ? (SSL => 1, %tls) : ())) or die "connect: $@\n";
if ($mode eq 'starttls') { $smtp->starttls(%tls) or die "STARTTLS failed: " . $smtp->message; }
if ($user ne '-') { $smtp->auth($user, $password) or die "AUTH failed: " . $smtp->code . ' ' . $smtp->message; }
$smtp->mail($from) or die "MAIL refused: " . $smtp->message;
$smtp->to($to) or die "RCPT refused: " . $smtp->code . ' ' . $smtp->message;
$smtp->data();
$smtp->datasend("From: $from\r\nTo: $to\r\nSubject: mailchat corpus: Net::SMTP $mode\r\n\r\nSent by Perl Net::SMTP.\r\n");
$smtp->dataend() or die "DATA refused: " . $smtp->message;
$smtp->quit;
