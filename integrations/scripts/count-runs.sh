#!/bin/sh
# Loads an exec hook the way ../shared/bench/run-peers.sh does (wrk -t1 -c32 -d5s with the bench's 561-byte POST)
# and counts the processes the machine started meanwhile and in the 10 s after (/proc/stat "processes"): how many
# of the answered requests really ran their program. The server must already be running.
# usage: integrations/scripts/count-runs.sh URL
# example: integrations/scripts/bench-host.sh 18090 &  integrations/scripts/count-runs.sh http://127.0.0.1:18090/hooks/true
#          webhook -ip 127.0.0.1 -port 18083 -hooks ../shared/bench/peers/webhook/hooks.json -urlprefix hooks &
#          integrations/scripts/count-runs.sh http://127.0.0.1:18083/hooks/echo
set -eu
url="${1:?usage: count-runs.sh URL}"
bench="$(cd "$(dirname "$0")/../../../shared/bench" && pwd)"
started() { awk '/^processes/ { print $2 }' /proc/stat; }
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
before=$(started)
(cd "$bench" && wrk -t1 -c32 -d5s -s post.lua "$url" > "$out")
during=$(( $(started) - before ))
sleep 10
after=$(( $(started) - before - during ))
answered=$(awk '/requests in/ { print $1 }' "$out")
errors=$(awk '/Non-2xx/ { print $NF }' "$out")
echo "answered $answered requests ($(awk '/Requests\/sec/ { print $2 }' "$out") req/s, non-2xx ${errors:-0});" \
     "processes started: $during during the load, $after in the 10 s after"
