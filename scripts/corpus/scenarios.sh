# The captures, sourced by capture.sh (which defines capture, target and the P_* ports).
# Argument order of capture: CLIENT SCENARIO PROTOCOL SERVICE TLS AUTH USER OUTCOME REFUSAL
# VERIFY COMMAND [PROGRAM]. Messages go to alice first, so that the POP3 and IMAP captures
# after them find mail; the captures that delete mail come last.
# shellcheck shell=bash disable=SC2154
C=scripts/corpus/clients
FEED=scripts/corpus/feed.sh
OUTSIDE=someone@outside.example
UNKNOWN=nobody@mailchat.test

b64() { printf '%b' "$1" | base64 -w0; }

smtp_clients() {
  # swaks
  capture swaks submission-starttls-auth-plain submission submission starttls PLAIN "$ALICE" success - ca-file \
    "swaks --server $HOST:$P_submission --tls --tls-verify --tls-ca-path $CA --auth PLAIN --auth-user $ALICE --auth-password $PASS --from $ALICE --to $ALICE --helo client.example"
  capture swaks submission-wrong-password submission submission starttls LOGIN "$ALICE" refused 535 ca-file \
    "swaks --server $HOST:$P_submission --tls --tls-verify --tls-ca-path $CA --auth LOGIN --auth-user $ALICE --auth-password wrong-password --from $ALICE --to $ALICE --helo client.example"
  capture swaks smtp-relay-refused smtp smtp none - - refused 554 none \
    "swaks --server $HOST:$P_smtp --from sender@outside.example --to $OUTSIDE --helo client.example"
  capture swaks smtp-unknown-user smtp smtp none - - refused 550 none \
    "swaks --server $HOST:$P_smtp --from sender@outside.example --to $UNKNOWN --helo client.example"
  capture swaks smtps-implicit-cram-md5 smtps smtps implicit CRAM-MD5 "$ALICE" success - ca-file \
    "swaks --server $HOST:$P_smtps --tlsc --tls-verify --tls-ca-path $CA --auth CRAM-MD5 --auth-user $ALICE --auth-password $PASS --from $ALICE --to $ALICE --helo client.example"
  capture swaks smtp-pipelining smtp smtp none - - success - none \
    "swaks --server $HOST:$P_smtp --pipeline --from sender@outside.example --to $ALICE --helo client.example"
  capture swaks lmtp-delivery lmtp lmtp none - - success - none \
    "swaks --server $HOST:$P_lmtp --protocol LMTP --from sender@outside.example --to $BOB --helo client.example"

  # curl
  capture curl submission-starttls-auth submission submission starttls PLAIN "$ALICE" success - ca-file \
    "curl -v --ssl-reqd --cacert $CA --url smtp://$HOST:$P_submission --login-options AUTH=PLAIN --user '$ALICE:$PASS' --mail-from $ALICE --mail-rcpt $ALICE --upload-file $WORK/message.eml"
  capture curl submission-wrong-password submission submission starttls LOGIN "$ALICE" refused 535 ca-file \
    "curl -v --ssl-reqd --cacert $CA --url smtp://$HOST:$P_submission --login-options AUTH=LOGIN --user '$ALICE:wrong-password' --mail-from $ALICE --mail-rcpt $ALICE --upload-file $WORK/message.eml"
  capture curl smtp-relay-refused smtp smtp none - - refused 554 none \
    "curl -v --url smtp://$HOST:$P_smtp --mail-from sender@outside.example --mail-rcpt $OUTSIDE --upload-file $WORK/message.eml"
  capture curl smtps-implicit smtps smtps implicit CRAM-MD5 "$ALICE" success - ca-file \
    "curl -v --cacert $CA --url smtps://$HOST:$P_smtps --user '$ALICE:$PASS' --mail-from $ALICE --mail-rcpt $BOB --upload-file $WORK/message.eml"

  # openssl s_client: the commands are typed (fed with pauses); -crlf makes the line ends CRLF
  capture openssl-s_client submission-starttls-auth-plain submission submission starttls PLAIN "$ALICE" success - ca-file \
    "$FEED 0.5 'EHLO client.example' 'AUTH PLAIN $(b64 "\0$ALICE\0$PASS")' 'MAIL FROM:<$ALICE>' 'RCPT TO:<$ALICE>' 'DATA' 'Subject: openssl s_client' '' 'typed by hand' '.' 'QUIT' | openssl s_client -starttls smtp -connect $HOST:$P_submission -CAfile $CA -verify_return_error -crlf -nocommands"
  capture openssl-s_client submission-wrong-password-quiet submission submission starttls LOGIN "$ALICE" refused 535 ca-file \
    "$FEED 0.5 'EHLO client.example' 'AUTH LOGIN' '$(b64 "$ALICE")' '$(b64 wrong-password)' 'QUIT' | openssl s_client -starttls smtp -connect $HOST:$P_submission -CAfile $CA -crlf -quiet"
  capture openssl-s_client smtps-implicit-quiet smtps smtps implicit PLAIN "$ALICE" success - ca-file \
    "$FEED 0.5 'EHLO client.example' 'AUTH PLAIN $(b64 "\0$ALICE\0$PASS")' 'MAIL FROM:<$ALICE>' 'RCPT TO:<$ALICE>' 'DATA' 'Subject: openssl s_client smtps' '' 'typed by hand' '.' 'QUIT' | openssl s_client -connect $HOST:$P_smtps -CAfile $CA -crlf -quiet"

  # gnutls-cli
  capture gnutls-cli submission-starttls-auth-plain submission submission starttls PLAIN "$ALICE" success - ca-file \
    "$FEED 0.5 'EHLO client.example' 'AUTH PLAIN $(b64 "\0$ALICE\0$PASS")' 'MAIL FROM:<$ALICE>' 'RCPT TO:<$ALICE>' 'DATA' 'Subject: gnutls-cli' '' 'typed by hand' '.' 'QUIT' | gnutls-cli --crlf --starttls-proto=smtp --x509cafile=$CA --port=$P_submission $HOST"

  # Python smtplib
  capture python-smtplib submission-starttls-auth submission submission starttls CRAM-MD5 "$ALICE" success - ca-file \
    "python3 $C/smtplib_send.py starttls $HOST $P_submission $CA $ALICE $PASS $ALICE $ALICE" $C/smtplib_send.py
  capture python-smtplib submission-wrong-password submission submission starttls CRAM-MD5 "$ALICE" refused 535 ca-file \
    "python3 $C/smtplib_send.py starttls $HOST $P_submission $CA $ALICE wrong-password $ALICE $ALICE" $C/smtplib_send.py
  capture python-smtplib smtp-relay-refused smtp smtp none - - refused 554 none \
    "python3 $C/smtplib_send.py plain $HOST $P_smtp $CA - - sender@outside.example $OUTSIDE" $C/smtplib_send.py
  capture python-smtplib smtp-unknown-user smtp smtp none - - refused 550 none \
    "python3 $C/smtplib_send.py plain $HOST $P_smtp $CA - - sender@outside.example $UNKNOWN" $C/smtplib_send.py
  capture python-smtplib smtps-implicit smtps smtps implicit CRAM-MD5 "$ALICE" success - ca-file \
    "python3 $C/smtplib_send.py ssl $HOST $P_smtps $CA $ALICE $PASS $ALICE $ALICE" $C/smtplib_send.py
  capture python-smtplib lmtp-two-recipients lmtp lmtp none - - success - none \
    "python3 $C/smtplib_send.py lmtp $HOST $P_lmtp $CA - - sender@outside.example $ALICE bob@mailchat.test" $C/smtplib_send.py

  # Perl Net::SMTP
  capture perl-net-smtp submission-starttls-auth submission submission starttls CRAM-MD5 "$ALICE" success - ca-file \
    "perl $C/net_smtp.pl starttls $HOST $P_submission $CA $ALICE $PASS $ALICE $ALICE" $C/net_smtp.pl
  capture perl-net-smtp smtp-relay-refused smtp smtp none - - refused 554 none \
    "perl $C/net_smtp.pl plain $HOST $P_smtp $CA - - sender@outside.example $OUTSIDE" $C/net_smtp.pl
  capture perl-net-smtp smtps-implicit-wrong-password smtps smtps implicit CRAM-MD5 "$ALICE" refused 535 ca-file \
    "perl $C/net_smtp.pl ssl $HOST $P_smtps $CA $ALICE wrong-password $ALICE $ALICE" $C/net_smtp.pl

  # Ruby net/smtp
  capture ruby-net-smtp submission-starttls-auth-login submission submission starttls LOGIN "$ALICE" success - ca-file \
    "ruby $C/net_smtp.rb starttls $HOST $P_submission $CA $ALICE $PASS login $ALICE $ALICE" $C/net_smtp.rb
  capture ruby-net-smtp submission-wrong-password submission submission starttls PLAIN "$ALICE" refused 535 ca-file \
    "ruby $C/net_smtp.rb starttls $HOST $P_submission $CA $ALICE wrong-password plain $ALICE $ALICE" $C/net_smtp.rb
  capture ruby-net-smtp smtps-implicit smtps smtps implicit CRAM-MD5 "$ALICE" success - ca-file \
    "ruby $C/net_smtp.rb ssl $HOST $P_smtps $CA $ALICE $PASS cram_md5 $ALICE $ALICE" $C/net_smtp.rb

  # PHPMailer: SMTPDebug 4 (low level), 3 (connection), 2 (client and server)
  capture php-phpmailer submission-starttls-auth-debug4 submission submission starttls CRAM-MD5 "$ALICE" success - ca-file \
    "php $C/phpmailer_send.php tls $HOST $P_submission $CA $ALICE $PASS 4 $ALICE $ALICE" $C/phpmailer_send.php
  capture php-phpmailer submission-wrong-password-debug3 submission submission starttls CRAM-MD5 "$ALICE" refused 535 ca-file \
    "php $C/phpmailer_send.php tls $HOST $P_submission $CA $ALICE wrong-password 3 $ALICE $ALICE" $C/phpmailer_send.php
  capture php-phpmailer smtps-implicit-debug2 smtps smtps implicit CRAM-MD5 "$ALICE" success - ca-file \
    "php $C/phpmailer_send.php ssl $HOST $P_smtps $CA $ALICE $PASS 2 $ALICE $ALICE" $C/phpmailer_send.php

  # nodemailer
  capture node-nodemailer submission-starttls-auth submission submission starttls PLAIN "$ALICE" success - ca-file \
    "NODE_PATH=$NODE_DIR/node_modules node $C/nodemailer_send.cjs starttls $HOST $P_submission $CA $ALICE $PASS $ALICE $ALICE" $C/nodemailer_send.cjs
  capture node-nodemailer smtp-relay-refused smtp smtp none - - refused 554 none \
    "NODE_PATH=$NODE_DIR/node_modules node $C/nodemailer_send.cjs plain $HOST $P_smtp $CA - - sender@outside.example $OUTSIDE" $C/nodemailer_send.cjs
  capture node-nodemailer smtps-implicit-wrong-password smtps smtps implicit PLAIN "$ALICE" refused 535 ca-file \
    "NODE_PATH=$NODE_DIR/node_modules node $C/nodemailer_send.cjs ssl $HOST $P_smtps $CA $ALICE wrong-password $ALICE $ALICE" $C/nodemailer_send.cjs

  # msmtp
  capture msmtp submission-starttls-auth submission submission starttls PLAIN "$ALICE" success - ca-file \
    "msmtp --debug --host=$HOST --port=$P_submission --tls=on --tls-starttls=on --tls-trust-file=$CA --auth=plain --user=$ALICE --passwordeval='echo $PASS' --from=$ALICE $ALICE < $WORK/message.eml"
  capture msmtp submission-wrong-password submission submission starttls PLAIN "$ALICE" refused 535 ca-file \
    "msmtp --debug --host=$HOST --port=$P_submission --tls=on --tls-starttls=on --tls-trust-file=$CA --auth=plain --user=$ALICE --passwordeval='echo wrong-password' --from=$ALICE $ALICE < $WORK/message.eml"
  capture msmtp smtps-implicit smtps smtps implicit PLAIN "$ALICE" success - ca-file \
    "msmtp --debug --host=$HOST --port=$P_smtps --tls=on --tls-starttls=off --tls-trust-file=$CA --auth=plain --user=$ALICE --passwordeval='echo $PASS' --from=$ALICE $ALICE < $WORK/message.eml"

  # s-nail (mailx)
  capture s-nail submission-starttls-auth submission submission starttls PLAIN "$ALICE" success - ca-file \
    "s-nail -vv -:/ -S v15-compat -S 'mta=smtp://${ALICE/@/%40}:$PASS@$HOST:$P_submission' -S smtp-use-starttls -S smtp-auth=plain -S tls-ca-file=$CA -S tls-ca-no-defaults -S from=$ALICE -S hostname=client.example -s 'mailchat corpus: s-nail' $ALICE < $WORK/body.txt"

  # Postfix's own test clients: smtp-source pipelines its commands; posttls-finger probes TLS
  capture postfix-smtp-source smtp-helo smtp smtp none - - success - none \
    "smtp-source -v -c -m 1 -s 1 -l 200 -M client.example -f sender@outside.example -t $ALICE 127.0.0.1:$P_smtp"
  capture postfix-posttls-finger submission-starttls-probe submission submission starttls - - success - ca-file \
    "posttls-finger -l secure -F $CA -L verbose,summary '[127.0.0.1]:$P_submission' localhost"
}

mutt_scenarios() {
  local rc=$WORK/muttrc
  cat >"$rc" <<EOF
set from="$ALICE"
set smtp_url="smtp://${ALICE/@/%40}@$HOST:$P_submission/"
set smtp_pass="$PASS"
set ssl_starttls=yes
set ssl_force_tls=yes
set certificate_file="$CA"
set hostname="client.example"
EOF
  mkdir -p "$WORK/mutt"
  LOG_FILE=$WORK/mutt/.muttdebug0 capture mutt submission-starttls-auth-debug5 submission submission starttls CRAM-MD5 "$ALICE" success - ca-file \
    "HOME=$WORK/mutt mutt -n -F $rc -d 5 -s 'mailchat corpus: mutt' $ALICE < $WORK/body.txt"
}

# A .fetchmailrc for bob: pop3 (STARTTLS) or imaps. fetchmail -v -v, no daemon, keeps the
# mail and hands it to a no-op MDA.
fetchmail_rc() {
  local mode=$1 rc=$WORK/fetchmail/fetchmailrc-$1
  {
    echo "set no syslog"
    if [ "$mode" = pop3 ]; then
      echo "poll $HOST port $P_pop3 protocol POP3 auth password"
      echo "  user \"$BOB\" password \"$BOBPASS\" is root here keep sslproto tls1.2+ sslcertck sslcertfile $CA"
    else
      echo "poll $HOST port $P_imaps protocol IMAP auth password"
      echo "  user \"$BOB\" password \"$BOBPASS\" is root here keep ssl sslcertck sslcertfile $CA"
    fi
    echo "  mda \"/bin/cat > /dev/null\""
  } >"$rc"
  chmod 600 "$rc"
}

pop_imap_clients() {
  # curl: IMAP and POP3
  capture curl imap-starttls-fetch imap imap starttls PLAIN "$BOB" success - ca-file \
    "curl -v --ssl-reqd --cacert $CA --user '$BOB:$BOBPASS' 'imap://$HOST:$P_imap/INBOX;MAILINDEX=1'"
  capture curl imaps-wrong-password imaps imaps implicit PLAIN "$ALICE" refused NO ca-file \
    "curl -v --cacert $CA --user '$ALICE:wrong-password' 'imaps://$HOST:$P_imaps/INBOX'"
  capture curl pop3-stls-list pop3 pop3 starttls PLAIN "$BOB" success - ca-file \
    "curl -v --ssl-reqd --cacert $CA --user '$BOB:$BOBPASS' pop3://$HOST:$P_pop3/"
  capture curl pop3s-retr pop3s pop3s implicit PLAIN "$BOB" success - ca-file \
    "curl -v --cacert $CA --user '$BOB:$BOBPASS' pop3s://$HOST:$P_pop3s/1"
  capture curl pop3s-wrong-password pop3s pop3s implicit PLAIN "$ALICE" refused -ERR ca-file \
    "curl -v --cacert $CA --user '$ALICE:wrong-password' pop3s://$HOST:$P_pop3s/"

  # openssl s_client and gnutls-cli
  capture openssl-s_client imap-starttls-select imap imap starttls LOGIN "$BOB" success - ca-file \
    "$FEED 0.5 'a1 LOGIN $BOB $BOBPASS' 'a2 SELECT INBOX' 'a3 FETCH 1 (FLAGS RFC822.SIZE)' 'a4 LOGOUT' | openssl s_client -starttls imap -connect $HOST:$P_imap -CAfile $CA -crlf -quiet"
  capture openssl-s_client imaps-wrong-password imaps imaps implicit LOGIN "$ALICE" refused NO ca-file \
    "$FEED 0.5 'a1 LOGIN $ALICE wrong-password' 'a2 LOGOUT' | openssl s_client -connect $HOST:$P_imaps -CAfile $CA -crlf -nocommands"
  capture openssl-s_client pop3-stls-list-retr pop3 pop3 starttls USER "$BOB" success - ca-file \
    "$FEED 0.5 'USER $BOB' 'PASS $BOBPASS' 'LIST' 'RETR 1' 'QUIT' | openssl s_client -starttls pop3 -connect $HOST:$P_pop3 -CAfile $CA -crlf -quiet"
  capture openssl-s_client sieve-starttls-putscript sieve sieve starttls PLAIN "$BOB" success - ca-file \
    "$FEED 0.5 'AUTHENTICATE \"PLAIN\" \"$(b64 "\0$BOB\0$BOBPASS")\"' 'PUTSCRIPT \"corpus\" {22+}' 'keep;  # typed by hand' 'LISTSCRIPTS' 'LOGOUT' | openssl s_client -starttls sieve -connect $HOST:$P_sieve -CAfile $CA -crlf -quiet"
  capture gnutls-cli imaps-select imaps imaps implicit LOGIN "$BOB" success - ca-file \
    "$FEED 0.5 'a1 LOGIN $BOB $BOBPASS' 'a2 SELECT INBOX' 'a3 LOGOUT' | gnutls-cli --crlf --x509cafile=$CA --port=$P_imaps $HOST"

  # Python imaplib and poplib
  capture python-imaplib imap-starttls-select-fetch imap imap starttls LOGIN "$BOB" success - ca-file \
    "python3 $C/imaplib_session.py starttls $HOST $P_imap $CA $BOB $BOBPASS" $C/imaplib_session.py
  capture python-imaplib imaps-wrong-password imaps imaps implicit LOGIN "$ALICE" refused NO ca-file \
    "python3 $C/imaplib_session.py ssl $HOST $P_imaps $CA $ALICE wrong-password" $C/imaplib_session.py
  capture python-poplib pop3s-wrong-password pop3s pop3s implicit USER "$ALICE" refused -ERR ca-file \
    "python3 $C/poplib_session.py ssl $HOST $P_pop3s $CA $ALICE wrong-password" $C/poplib_session.py

  # Perl
  capture perl-mail-imapclient imaps-select-fetch imaps imaps implicit LOGIN "$BOB" success - ca-file \
    "perl $C/mail_imapclient.pl ssl $HOST $P_imaps $CA $BOB $BOBPASS" $C/mail_imapclient.pl
  capture perl-mail-imapclient imap-starttls-wrong-password imap imap starttls LOGIN "$ALICE" refused NO ca-file \
    "perl $C/mail_imapclient.pl starttls $HOST $P_imap $CA $ALICE wrong-password" $C/mail_imapclient.pl

  # Ruby
  capture ruby-net-imap imaps-select-fetch imaps imaps implicit LOGIN "$BOB" success - ca-file \
    "ruby $C/net_imap.rb ssl $HOST $P_imaps $CA $BOB $BOBPASS" $C/net_imap.rb
  capture ruby-net-imap imap-starttls-wrong-password imap imap starttls LOGIN "$ALICE" refused NO ca-file \
    "ruby $C/net_imap.rb starttls $HOST $P_imap $CA $ALICE wrong-password" $C/net_imap.rb
  capture ruby-net-pop pop3s-list-retr pop3s pop3s implicit USER "$BOB" success - ca-file \
    "ruby $C/net_pop.rb $HOST $P_pop3s $CA $BOB $BOBPASS" $C/net_pop.rb

  # imapflow
  capture node-imapflow imaps-select-fetch imaps imaps implicit PLAIN "$BOB" success - ca-file \
    "NODE_PATH=$NODE_DIR/node_modules node $C/imapflow_session.cjs $HOST $P_imaps ssl $CA $BOB $BOBPASS" $C/imapflow_session.cjs

  fetchmail_rc pop3
  capture fetchmail pop3-stls-fetch pop3 pop3 starttls USER "$BOB" success - ca-file \
    "FETCHMAILHOME=$WORK/fetchmail fetchmail -v -v -d0 --nosyslog -f $WORK/fetchmail/fetchmailrc-pop3"

  # Last: the captures that delete mail
  capture python-poplib pop3-stls-list-retr-dele pop3 pop3 starttls USER "$BOB" success - ca-file \
    "python3 $C/poplib_session.py stls $HOST $P_pop3 $CA $BOB $BOBPASS" $C/poplib_session.py
  capture perl-net-pop3 pop3-stls-list-retr-dele pop3 pop3 starttls USER "$BOB" success - ca-file \
    "perl $C/net_pop3.pl stls $HOST $P_pop3 $CA $BOB $BOBPASS" $C/net_pop3.pl
  capture curl pop3s-dele pop3s pop3s implicit PLAIN "$BOB" success - ca-file \
    "curl -v --cacert $CA --user '$BOB:$BOBPASS' --request DELE --head pop3s://$HOST:$P_pop3s/1"
}

# Packet captures of plaintext sessions (TLS would hide them), printed the three ways
# Wireshark's tshark prints them: the packet details, Follow TCP Stream and the one-line
# summary. Needs tshark and root; skipped without them.
T=scripts/corpus/clients/tshark_capture.sh
packet_captures() {
  command -v tshark >/dev/null && [ "$(id -u)" = 0 ] || { echo "packet captures skipped: needs tshark and root" >&2; return 0; }
  capture tshark smtp-details-delivery smtp smtp none - - success - none \
    "$T details $P_smtp smtp 'swaks --server $HOST:$P_smtp --from sender@outside.example --to $ALICE --helo client.example'" $T
  capture tshark smtp-follow-relay-refused smtp smtp none - - refused 554 none \
    "$T follow $P_smtp smtp 'swaks --server $HOST:$P_smtp --from sender@outside.example --to $OUTSIDE --helo client.example'" $T
  capture tshark smtp-summary-unknown-user smtp smtp none - - refused 550 none \
    "$T summary $P_smtp smtp 'swaks --server $HOST:$P_smtp --from sender@outside.example --to $UNKNOWN --helo client.example'" $T
  capture tshark imap-details-fetch imap imap none PLAIN "$ALICE" success - none \
    "$T details $P_imap imap \"curl -s --user '$ALICE:$PASS' 'imap://$HOST:$P_imap/INBOX;MAILINDEX=1'\"" $T
  capture tshark imap-follow-wrong-password imap imap none PLAIN "$ALICE" refused NO none \
    "$T follow $P_imap imap \"curl -s --user '$ALICE:wrong-password' 'imap://$HOST:$P_imap/INBOX'\"" $T
  capture tshark pop3-details-retr pop3 pop3 none PLAIN "$ALICE" success - none \
    "$T details $P_pop3 pop \"curl -s --user '$ALICE:$PASS' 'pop3://$HOST:$P_pop3/1'\"" $T
  capture tshark pop3-follow-wrong-password pop3 pop3 none PLAIN "$ALICE" refused -ERR none \
    "$T follow $P_pop3 pop \"curl -s --user '$ALICE:wrong-password' 'pop3://$HOST:$P_pop3/'\"" $T
}

sandbox_scenarios() {
  smtp_clients
  mutt_scenarios
  pop_imap_clients
  packet_captures
}

# Against Debian's Postfix and Dovecot (capture.sh --real): what the sandbox cannot show
# (IMAP STORE/EXPUNGE, fetchmail's IMAP header fetch, sieve-connect's tagged NOOP) and a few
# of the sandbox captures again, to compare the servers' wording.
real_scenarios() {
  target postfix
  capture swaks submission-starttls-auth-plain-postfix submission submission starttls PLAIN "$ALICE" success - ca-file \
    "swaks --server $HOST:$P_submission --tls --tls-verify --tls-ca-path $CA --auth PLAIN --auth-user $ALICE --auth-password $PASS --from $ALICE --to $ALICE --helo client.example"
  capture swaks smtp-relay-refused-postfix smtp smtp none - - refused 554 none \
    "swaks --server $HOST:$P_smtp --from sender@outside.example --to $OUTSIDE --helo client.example"
  capture curl submission-wrong-password-postfix submission submission starttls CRAM-MD5 "$ALICE" refused 535 ca-file \
    "curl -v --ssl-reqd --cacert $CA --url smtp://$HOST:$P_submission --user '$ALICE:wrong-password' --mail-from $ALICE --mail-rcpt $ALICE --upload-file $WORK/message.eml"
  capture python-smtplib smtps-implicit-postfix smtps smtps implicit CRAM-MD5 "$ALICE" success - ca-file \
    "python3 $C/smtplib_send.py ssl $HOST $P_smtps $CA $ALICE $PASS $ALICE $BOB" $C/smtplib_send.py
  capture msmtp submission-starttls-auth-postfix submission submission starttls PLAIN "$ALICE" success - ca-file \
    "msmtp --debug --host=$HOST --port=$P_submission --tls=on --tls-starttls=on --tls-trust-file=$CA --auth=plain --user=$ALICE --passwordeval='echo $PASS' --from=$ALICE $BOB < $WORK/message.eml"

  target dovecot
  capture swaks lmtp-delivery-dovecot lmtp lmtp none - - success - none \
    "swaks --server $HOST:$P_lmtp --protocol LMTP --from sender@outside.example --to $BOB --helo client.example"
  capture python-smtplib lmtp-unknown-user-dovecot lmtp lmtp none - - refused 550 none \
    "python3 $C/smtplib_send.py lmtp $HOST $P_lmtp $CA - - sender@outside.example $UNKNOWN" $C/smtplib_send.py
  capture perl-mail-imapclient imaps-select-fetch-dovecot imaps imaps implicit LOGIN "$BOB" success - ca-file \
    "perl $C/mail_imapclient.pl ssl $HOST $P_imaps $CA $BOB $BOBPASS" $C/mail_imapclient.pl
  capture curl pop3s-wrong-password-dovecot pop3s pop3s implicit CRAM-MD5 "$BOB" refused -ERR ca-file \
    "curl -v --cacert $CA --user '$BOB:wrong-password' pop3s://$HOST:$P_pop3s/"
  fetchmail_rc imaps
  capture fetchmail imaps-fetch-dovecot imaps imaps implicit LOGIN "$BOB" success - ca-file \
    "FETCHMAILHOME=$WORK/fetchmail fetchmail -v -v -d0 --nosyslog -f $WORK/fetchmail/fetchmailrc-imaps"
  capture sieve-connect sieve-putscript-dovecot sieve sieve starttls PLAIN "$BOB" success - ca-file \
    "sieve-connect --debug --server $HOST --port $P_sieve --user $BOB --authmech PLAIN --tlscafile $CA --localsieve $WORK/corpus.sieve --remotesieve corpus --upload --passwordfd 3 3<<< '$BOBPASS'"
  capture sieve-connect sieve-wrong-password-dovecot sieve sieve starttls PLAIN "$BOB" refused NO ca-file \
    "sieve-connect --debug --server $HOST --port $P_sieve --user $BOB --authmech PLAIN --tlscafile $CA --list --passwordfd 3 3<<< 'wrong-password'"
  capture openssl-s_client sieve-starttls-putscript-dovecot sieve sieve starttls PLAIN "$BOB" success - ca-file \
    "$FEED 0.5 'AUTHENTICATE \"PLAIN\" \"$(b64 "\0$BOB\0$BOBPASS")\"' 'PUTSCRIPT \"typed\" {22+}' 'keep;  # typed by hand' 'LISTSCRIPTS' 'LOGOUT' | openssl s_client -starttls sieve -connect $HOST:$P_sieve -CAfile $CA -crlf -quiet"
  capture python-imaplib imap-starttls-store-expunge-dovecot imap imap starttls LOGIN "$BOB" success - ca-file \
    "python3 $C/imaplib_session.py starttls $HOST $P_imap $CA $BOB $BOBPASS store" $C/imaplib_session.py
  capture python-poplib pop3-stls-list-retr-dele-dovecot pop3 pop3 starttls USER "$BOB" success - ca-file \
    "python3 $C/poplib_session.py stls $HOST $P_pop3 $CA $BOB $BOBPASS" $C/poplib_session.py
}
