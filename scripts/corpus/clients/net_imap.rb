# Ruby net/imap with Net::IMAP.debug = true: implicit TLS (or STARTTLS), LOGIN, SELECT, FETCH.
# usage: ruby net_imap.rb MODE HOST PORT CAFILE USER PASSWORD   (MODE: ssl or starttls)
require "net/imap"

mode, host, port, cafile, user, password = ARGV
Net::IMAP.debug = true
tls = { ca_file: cafile, verify_mode: OpenSSL::SSL::VERIFY_PEER }
imap = Net::IMAP.new(host, port: Integer(port), ssl: mode == "ssl" ? tls : false)
imap.starttls(tls) if mode == "starttls"
imap.login(user, password)
imap.select("INBOX")
imap.fetch(1, ["FLAGS", "RFC822.SIZE", "BODY.PEEK[HEADER]"]) if imap.responses["EXISTS"].last.to_i.positive?
imap.logout
