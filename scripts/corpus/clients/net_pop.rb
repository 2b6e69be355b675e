# Ruby net/pop with set_debug_output $stderr: implicit TLS (POP3S), USER/PASS, LIST, RETR.
# usage: ruby net_pop.rb HOST PORT CAFILE USER PASSWORD
require "net/pop"

host, port, cafile, user, password = ARGV
pop = Net::POP3.new(host, Integer(port))
pop.enable_ssl(ca_file: cafile, verify_mode: OpenSSL::SSL::VERIFY_PEER)
pop.set_debug_output $stderr
pop.start(user, password) do |session|
  session.mails.first&.pop
end
