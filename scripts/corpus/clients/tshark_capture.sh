#!/usr/bin/env bash
# A packet capture of one client session, printed as Wireshark's tshark prints it, so that
# what administrators paste from Wireshark is in the corpus as tshark wrote it.
#
# usage: tshark_capture.sh VIEW PORT DISSECTOR COMMAND
#   VIEW: details (tshark -V: the packet details pane), follow (Follow TCP Stream, ASCII) or
#   summary (one line per packet, the Info column); PORT: the server's port, captured on
#   loopback and decoded as DISSECTOR (smtp, imap or pop); COMMAND: the client, run by bash.
# Capturing needs root (or the capture capability).
set -u
view=$1 port=$2 dissector=$3 command=$4
pcap=$(mktemp /tmp/mailchat-capture-XXXXXX.pcap)
err=$(mktemp)
trap 'rm -f "$pcap" "$err"' EXIT
tshark -i lo -f "tcp port $port" -w "$pcap" -q 2>"$err" &
capture=$!
for _ in $(seq 100); do grep -q 'Capturing on' "$err" && break; sleep 0.1; done
bash -c "$command" >/dev/null 2>&1
status=$?
sleep 0.5
kill -INT "$capture"
wait "$capture" 2>/dev/null
decode=(-d "tcp.port==$port,$dissector")
case $view in
  details) tshark -r "$pcap" "${decode[@]}" -V -O "$dissector" -Y "$dissector" 2>/dev/null ;;
  follow) tshark -r "$pcap" -q -z follow,tcp,ascii,0 2>/dev/null ;;
  summary) tshark -r "$pcap" "${decode[@]}" -Y "$dissector" 2>/dev/null ;;
  *) echo "tshark_capture.sh: unknown view $view" >&2; exit 2 ;;
esac
exit "$status"
