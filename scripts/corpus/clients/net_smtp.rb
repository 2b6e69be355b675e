# Ruby net/smtp with debug_output = $stderr: STARTTLS (or implicit TLS) and AUTH.
# usage: ruby net_smtp.rb MODE HOST PORT CAFILE USER PASSWORD AUTHTYPE FROM TO   (MODE: starttls or ssl)
require "net/smtp"
require "openssl"

mode, host, port, cafile, user, password, authtype, from, to = ARGV
context = OpenSSL::SSL::SSLContext.new
context.set_params(ca_file: cafile, verify_mode: OpenSSL::SSL::VERIFY_PEER)
smtp = Net::SMTP.new(host, Integer(port))
smtp.debug_output = $stderr
mode == "ssl" ? smtp.enable_tls(context) : smtp.enable_starttls(context)
message = "From: #{from}\r\nTo: #{to}\r\nSubject: mailchat corpus: Ruby net/smtp #{mode}\r\n\r\nSent by Ruby net/smtp.\r\n"
smtp.start("client.example", user, password, authtype.to_sym) do |session|
  session.send_message(message, from, to)
end
