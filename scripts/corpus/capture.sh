#!/usr/bin/env bash
# Builds test/fixtures/client-logs: real mail clients, with their debug logging on, talking to
# mailchat's sandbox (and, with --real, to Debian's Postfix and Dovecot started by
# test/interop/servers.ts). Each capture is a folder <client>--<scenario> holding log.txt (the
# log as the client printed it), command.txt (the command line, and the program it ran) and
# meta.json.
#
# usage: scripts/corpus/capture.sh [--real] [--only REGEX]
#   run from the repository after `npm run build`; needs the clients listed in
#   test/fixtures/client-logs/README.md (apt) and installs nodemailer + imapflow under
#   /tmp/corpus-node. --real also starts Postfix + Dovecot (root only) for the captures marked
#   "real". --only keeps the captures whose folder name matches REGEX.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
OUT=$ROOT/test/fixtures/client-logs
WORK=${MAILCHAT_CORPUS_WORK:-/tmp/mailchat-corpus}
NODE_DIR=/tmp/corpus-node
OFFSET=${MAILCHAT_CORPUS_PORT_OFFSET:-30000}
REAL=0
ONLY=.
while [ $# -gt 0 ]; do
  case $1 in
    --real) REAL=1 ;;
    --only) ONLY=$2; shift ;;
    *) echo "capture.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

rm -rf "$WORK"
mkdir -p "$WORK" "$OUT"
[ -d "$NODE_DIR/node_modules/nodemailer" ] && [ -d "$NODE_DIR/node_modules/imapflow" ] ||
  (mkdir -p "$NODE_DIR" && cd "$NODE_DIR" && npm init -y >/dev/null && npm install --no-audit --no-fund nodemailer imapflow >/dev/null)

PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT

# --- the servers -------------------------------------------------------------------------
node bin/mailchat.cjs sandbox --port-offset "$OFFSET" >"$WORK/sandbox.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q 'Ctrl-C stops' "$WORK/sandbox.out" && break; sleep 0.1; done
grep -q 'Ctrl-C stops' "$WORK/sandbox.out" || { cat "$WORK/sandbox.out" >&2; exit 1; }
cp "$(sed -n 's/^CA certificate: //p' "$WORK/sandbox.out")" "$WORK/ca.pem"
port() { sed -n "s|.*$1://localhost:\([0-9]*\).*|\1|p" "$WORK/sandbox.out" | head -1; }
declare -A SANDBOX_PORT
for service in smtp submission smtps lmtp pop3 pop3s imap imaps sieve; do SANDBOX_PORT[$service]=$(port "$service"); done

if [ "$REAL" = 1 ]; then
  node dist/scripts/corpus/real-servers.js "$WORK/real.env" >"$WORK/real.out" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 900); do [ -s "$WORK/real.env" ] && break; sleep 0.1; done
  # (Postfix and Dovecot take 20-40 s to start; the helper stops them on SIGTERM.)
  [ -s "$WORK/real.env" ] || { cat "$WORK/real.out" >&2; exit 1; }
  # shellcheck disable=SC1091
  . "$WORK/real.env"
fi

# --- work files --------------------------------------------------------------------------
printf 'From: alice@mailchat.test\r\nTo: alice@mailchat.test\r\nSubject: mailchat corpus\r\n\r\nA message for the client-log corpus.\r\n' >"$WORK/message.eml"
printf 'A message for the client-log corpus.\n' >"$WORK/body.txt"
printf 'require "fileinto";\nif header :contains "subject" "corpus" {\n  fileinto "Corpus";\n}\n' >"$WORK/corpus.sieve"
mkdir -p "$WORK/fetchmail"

# --- one capture -------------------------------------------------------------------------
# The target (set by `target sandbox|postfix|dovecot`) gives HOST, CA, PASS and the ports.
target() {
  TARGET=$1
  if [ "$1" = sandbox ]; then
    HOST=localhost CA=$WORK/ca.pem ALICE=alice@mailchat.test PASS=alice-sandbox-pw BOB=bob@mailchat.test BOBPASS=bob-sandbox-pw
    for service in "${!SANDBOX_PORT[@]}"; do declare -g "P_$service=${SANDBOX_PORT[$service]}"; done
  else
    HOST=localhost CA=$REAL_CA ALICE=alice@mailchat.test PASS=$REAL_ALICE_PW BOB=bob@mailchat.test BOBPASS=$REAL_BOB_PW
    P_smtp=$REAL_SMTP P_submission=$REAL_SUBMISSION P_smtps=$REAL_SMTPS P_lmtp=$REAL_LMTP
    P_pop3=$REAL_POP3 P_pop3s=$REAL_POP3S P_imap=$REAL_IMAP P_imaps=$REAL_IMAPS P_sieve=$REAL_SIEVE
  fi
}

declare -A VERSION_OF
version_of() {
  local client=$1 cmd
  case $client in
    swaks) cmd="swaks --version | head -1" ;;
    curl) cmd="curl --version | head -1" ;;
    openssl-s_client) cmd="openssl version" ;;
    gnutls-cli) cmd="gnutls-cli --version | head -1" ;;
    python-*) cmd="python3 --version" ;;
    perl-net-smtp) cmd="perl -MNet::SMTP -e 'print \"Net::SMTP \$Net::SMTP::VERSION, perl \$^V\"'" ;;
    perl-net-pop3) cmd="perl -MNet::POP3 -e 'print \"Net::POP3 \$Net::POP3::VERSION, perl \$^V\"'" ;;
    perl-mail-imapclient) cmd="perl -MMail::IMAPClient -e 'print \"Mail::IMAPClient \$Mail::IMAPClient::VERSION, perl \$^V\"'" ;;
    ruby-net-smtp) cmd="ruby -rnet/smtp -e 'print \"net-smtp #{Net::SMTP::VERSION}, ruby #{RUBY_VERSION}\"'" ;;
    ruby-net-imap) cmd="ruby -rnet/imap -e 'print \"net-imap #{Net::IMAP::VERSION}, ruby #{RUBY_VERSION}\"'" ;;
    ruby-net-pop) cmd="ruby -rnet/pop -e 'print \"net-pop #{Net::POP3::VERSION rescue Gem.loaded_specs[%q(net-pop)]&.version}, ruby #{RUBY_VERSION}\"'" ;;
    php-phpmailer) cmd="php -r 'require \"/usr/share/php/libphp-phpmailer/autoload.php\"; echo \"PHPMailer \", PHPMailer\\PHPMailer\\PHPMailer::VERSION, \", PHP \", PHP_VERSION;'" ;;
    node-nodemailer) cmd="echo nodemailer \$(node -p 'require(\"$NODE_DIR/node_modules/nodemailer/package.json\").version'), node \$(node --version)" ;;
    node-imapflow) cmd="echo imapflow \$(node -p 'require(\"$NODE_DIR/node_modules/imapflow/package.json\").version'), node \$(node --version)" ;;
    msmtp) cmd="msmtp --version | head -1" ;;
    fetchmail) cmd="fetchmail --version 2>/dev/null | grep release" ;;
    sieve-connect) cmd="sieve-connect --version 2>&1 | head -1" ;;
    mutt) cmd="mutt -v | head -1" ;;
    s-nail) cmd="s-nail -V" ;;
    tshark) cmd="tshark --version 2>/dev/null | head -1" ;;
    postfix-smtp-source | postfix-posttls-finger) cmd="echo postfix \$(postconf -h mail_version 2>/dev/null)" ;;
  esac
  VERSION_OF[$client]=$(bash -c "$cmd" 2>/dev/null | tr -s ' \n' ' ' | sed 's/ $//')
}

FAILED=()
COUNT=0
# capture CLIENT SCENARIO PROTOCOL SERVICE TLS AUTH USER OUTCOME REFUSAL VERIFY COMMAND [PROGRAM]
#   SERVICE: the target's service whose port the command uses; AUTH, USER, REFUSAL: "-" for null;
#   VERIFY: how the client checks the certificate: ca-file, insecure or none (no TLS);
#   COMMAND: a bash command line, run from the repository; PROGRAM: a file it runs, copied
#   into command.txt. LOG_FILE (env), when set, is the file the client writes its log to
#   (mutt): it becomes log.txt and the console output console.txt.
capture() {
  [ $# -ge 11 ] || { echo "capture: $1 $2: expected 11 or 12 arguments, got $#" >&2; exit 2; }
  local client=$1 scenario=$2 protocol=$3 service=$4 tls=$5 auth=$6 user=$7 outcome=$8 refusal=$9 verify=${10} command=${11} program=${12:-}
  local name="$client--$scenario"
  [[ $name =~ $ONLY ]] || return 0
  local dir=$OUT/$name port_var=P_$service
  rm -rf "$dir"
  mkdir -p "$dir"
  {
    printf '%s\n' "$command"
    if [ -n "$program" ]; then printf '\n--- %s ---\n' "$program"; cat "$program"; fi
  } >"$dir/command.txt"
  local status
  if [ -n "${LOG_FILE:-}" ]; then
    rm -f "$LOG_FILE"
    timeout 30 bash -c "$command" >"$dir/console.txt" 2>&1 </dev/null
    status=$?
    cp "$LOG_FILE" "$dir/log.txt" 2>/dev/null || : >"$dir/log.txt"
    [ -s "$dir/console.txt" ] || rm -f "$dir/console.txt"
  else
    timeout 30 bash -c "$command" >"$dir/log.txt" 2>&1 </dev/null
    status=$?
  fi
  [ -n "${VERSION_OF[$client]:-}" ] || version_of "$client"
  jq -n --arg client "$client" --arg scenario "$scenario" --arg protocol "$protocol" --arg host "$HOST" \
    --argjson port "${!port_var}" --arg tls "$tls" --arg auth "$auth" --arg user "$user" --arg outcome "$outcome" \
    --arg refusal "$refusal" --arg against "$TARGET" --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --arg version "${VERSION_OF[$client]}" --arg verify "$verify" --argjson exit "$status" \
    '{client: $client, scenario: $scenario, protocol: $protocol, host: $host, port: $port, tls: $tls,
      auth: (if $auth == "-" then null else $auth end), user: (if $user == "-" then null else $user end),
      outcome: $outcome, refusal: (if $refusal == "-" then null else $refusal end),
      captured_against: $against, date: $date, client_version: $version,
      tls_verification: $verify, exit_status: $exit}' >"$dir/meta.json"
  COUNT=$((COUNT + 1))
  # The log must show what meta.json says: the refusal's code, or a clean exit.
  local ok=1
  if [ "$outcome" = refused ]; then grep -qF -- "$refusal" "$dir/log.txt" || ok=0
  elif [ "$status" != 0 ]; then ok=0; fi
  printf '%-58s exit %-3s %s\n' "$name" "$status" "$([ $ok = 1 ] && echo ok || echo 'CHECK: log does not match meta')" >&2
  [ $ok = 1 ] || FAILED+=("$name")
}

# shellcheck source=scenarios.sh
. "$ROOT/scripts/corpus/scenarios.sh"

target sandbox
sandbox_scenarios
if [ "$REAL" = 1 ]; then real_scenarios; fi

echo "captured $COUNT logs into $OUT" >&2
if [ ${#FAILED[@]} -gt 0 ]; then printf 'to check: %s\n' "${FAILED[@]}" >&2; exit 1; fi
