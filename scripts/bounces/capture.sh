#!/usr/bin/env bash
# Makes real Postfix write real bounces, for the corpus under test/fixtures/bounces/.
# Two Postfix instances on 127.0.0.1 (Debian's postfix package; run as root, as the interop
# suite does): "snd" (mx.snd.test) sends, "rcv" (mx.rcv.test) receives and refuses. Every
# bounce comes back to me@snd.test, a maildir, and is kept with the command that made it and
# the log lines both instances wrote. Usage: sudo scripts/bounces/capture.sh [OUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../test/fixtures/bounces}
work=$(mktemp -d /tmp/mailchat-bounces-XXXXXX)
chmod 755 "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SND_PORT=$(free_port); RCV_PORT=$(free_port); SILENT_PORT=$(free_port); CLOSED_PORT=$(free_port)
mkdir -p "$work/mail"; chown 8:8 "$work/mail"   # the `mail` user, as virtual(8) delivers
# Debian's postfix refuses a configuration directory the default one does not list: ours are
# added for the run and the list put back afterwards.
listed_before=$(postconf -h alternate_config_directories)
delivered() { { find "$work/mail/me/new" -type f 2>/dev/null || true; } | wc -l; }

instance() { # name hostname port extra-main.cf
  local dir=$work/$1
  mkdir -p "$dir/queue" "$dir/data"
  chown postfix "$dir/data"
  cat > "$dir/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = $2
mydestination =
maillog_file = $dir/maillog
maillog_file_prefixes = /tmp, /var
smtputf8_enable = no
maximal_queue_lifetime = 0
bounce_queue_lifetime = 0
virtual_mailbox_base = $work/mail
virtual_minimum_uid = 1
virtual_uid_maps = static:8
virtual_gid_maps = static:8
$4
CF
  # Debian's master.cf, its port-25 listener replaced by ours, nothing chrooted.
  sed -e '/^smtp\s\+inet/d' -e 's/^\(\S\+\s\+\S\+\s\+\S\+\s\+\S\+\s\+\)y\(\s\)/\1n\2/' /etc/postfix/master.cf > "$dir/master.cf"
  echo "$3 inet n - n - - smtpd" >> "$dir/master.cf"
  local listed; listed=$(postconf -h alternate_config_directories)
  case ", $listed," in *", $dir,"*) ;; *) postconf -e "alternate_config_directories = ${listed:+$listed, }$dir" ;; esac
  postfix -c "$dir" post-install create-missing >/dev/null 2>&1
  script -qec "postfix -c $dir start" /dev/null >/dev/null
}

instance snd mx.snd.test "$SND_PORT" "mynetworks = 127.0.0.0/8
virtual_mailbox_domains = snd.test
virtual_mailbox_maps = inline:{ me@snd.test=me/ }
transport_maps = inline:{ rcv.test=smtp:[127.0.0.1]:$RCV_PORT, elsewhere.test=smtp:[127.0.0.1]:$RCV_PORT, silent.test=smtp:[127.0.0.1]:$SILENT_PORT, closed.test=smtp:[127.0.0.1]:$CLOSED_PORT }
smtp_connect_timeout = 3s
smtp_helo_timeout = 3s"
instance rcv mx.rcv.test "$RCV_PORT" "mynetworks = 192.0.2.0/24
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
virtual_mailbox_domains = rcv.test
virtual_mailbox_maps = inline:{ alice@rcv.test=alice/, bob@rcv.test=bob }
message_size_limit = 6000
virtual_mailbox_limit = 6000
bounce_size_limit = 500
transport_maps = inline:{ snd.test=smtp:[127.0.0.1]:$SND_PORT }"

# A next hop that accepts the connection and never greets.
python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $SILENT_PORT)); s.listen(8); held = []
while True: held.append(s.accept()[0])
" & silent=$!
cleanup() {
  kill "$silent" 2>/dev/null || true
  postfix -c "$work/snd" stop >/dev/null 2>&1 || true
  postfix -c "$work/rcv" stop >/dev/null 2>&1 || true
  postconf -e "alternate_config_directories = $listed_before"
  sleep 1; rm -rf "$work"
}
trap cleanup EXIT
sleep 2

# send RECIPIENT NAME BODY-BYTES: one message from me@snd.test through snd.
send() {
  { printf 'From: me@snd.test\nTo: %s\nSubject: mailchat corpus: %s\n\n' "$1" "$2"
    head -c "$3" /dev/zero | tr '\0' 'x' | fold -w 76; echo; } | sendmail -C "$work/snd" -f me@snd.test "$1"
}

# capture NAME RECIPIENT [BODY-BYTES]: send one message, wait for its bounce, keep both.
capture() {
  local name=$1 rcpt=$2 size=${3:-0} before after=0 bounce
  before=$(delivered)
  local command="sendmail -C SND -f me@snd.test $rcpt"
  send "$rcpt" "$name" "$size"
  for _ in $(seq 120); do
    after=$(delivered)
    [ "$after" -gt "$before" ] && break
    sleep 0.5
  done
  if [ "$after" -le "$before" ]; then echo "capture.sh: no bounce came back for $name within 60 s" >&2; exit 1; fi
  bounce=$(ls -t "$work/mail/me/new" | head -1)
  mkdir -p "$out/$name"
  # The returned message's Received: lines name this run's temporary paths and ports only.
  cp "$work/mail/me/new/$bounce" "$out/$name/bounce.eml"
  echo "$command  (${size}-byte body; SND and RCV as set up by scripts/bounces/capture.sh)" > "$out/$name/command.txt"
  sleep 1
}

capture unknown-user nobody@rcv.test
capture relay-refused someone@elsewhere.test
capture message-too-big alice@rcv.test 8000
# bob's mailbox (an mbox file, virtual_mailbox_limit 6000 bytes) is filled first, so that the
# next message no longer fits.
send bob@rcv.test fill 3500; sleep 3
capture mailbox-full bob@rcv.test 3500
capture greeting-timeout someone@silent.test
capture connection-refused someone@closed.test

for name in snd rcv; do sed "s/$SND_PORT/SND_PORT/g; s/$RCV_PORT/RCV_PORT/g; s/$SILENT_PORT/SILENT_PORT/g; s/$CLOSED_PORT/CLOSED_PORT/g" "$work/$name/maillog" > "$out/maillog-$name.txt"; done
echo "wrote $out"
