# Perl Net::POP3 with Debug => 1: STLS (or implicit TLS), USER/PASS, LIST, RETR, DELE.
# usage: perl net_pop3.pl MODE HOST PORT CAFILE USER PASSWORD   (MODE: stls or ssl)
use strict;
use warnings;
use Net::POP3;

my ($mode, $host, $port, $cafile, $user, $password) = @ARGV;
my %tls = (SSL_ca_file => $cafile, SSL_verify_mode => 1);
my $pop = Net::POP3->new($host, Port => $port, Debug => 1, Timeout => 20, ($mode eq 'ssl' ? (SSL => 1, %tls) : ()))
  or die "connect: $@\n";
if ($mode eq 'stls') { $pop->starttls(%tls) or die "STLS failed\n"; }
defined $pop->login($user, $password) or die "login refused: " . $pop->message;
my $list = $pop->list;
my ($first) = sort { $a <=> $b } keys %$list;
if (defined $first) { $pop->get($first); $pop->delete($first); }
$pop->quit;
