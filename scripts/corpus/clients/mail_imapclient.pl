# Perl Mail::IMAPClient with Debug => 1: log in, SELECT INBOX, FETCH the first message's header.
# usage: perl mail_imapclient.pl MODE HOST PORT CAFILE USER PASSWORD   (MODE: starttls or ssl)
use strict;
use warnings;
use Mail::IMAPClient;

my ($mode, $host, $port, $cafile, $user, $password) = @ARGV;
my $tls = [SSL_ca_file => $cafile, SSL_verify_mode => 1];
my $imap = Mail::IMAPClient->new(
  Server => $host, Port => $port, User => $user, Password => $password, Debug => 1, Timeout => 20,
  ($mode eq 'ssl' ? (Ssl => $tls) : (Starttls => $tls)),
) or die "IMAP failure: $@\n";
$imap->select('INBOX') or die "SELECT failed: " . $imap->LastError . "\n";
$imap->fetch('1', '(FLAGS BODY.PEEK[HEADER])') if $imap->message_count;
$imap->logout;
