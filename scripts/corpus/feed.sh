#!/usr/bin/env bash
# Prints each argument as a line, waiting DELAY seconds before each, so that an interactive
# client (openssl s_client, gnutls-cli) sees commands arrive as a person would type them.
# usage: feed.sh DELAY LINE...
delay=$1
shift
for line in "$@"; do
  sleep "$delay"
  printf '%s\n' "$line"
done
sleep "$delay"
