#!/usr/bin/env bash
# Holds N idle keep-alive connections (default 10000) open against hook-bench and reports the server's RSS
# growth and whether it still answers, then closes everything.
#   .ci/idle-connections.sh [connections]
# Needs a release build: swift build -c release --product hook-bench
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-10000}"
port=18099
want=$((count + 1024))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then want=$hard; fi
ulimit -n "$want"
# Room for the held connections plus the fresh probe requests.
.build/release/hook-bench --port "$port" --max-connections $((count + 100)) > /dev/null &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
python3 .ci/idle-connections.py "$server" "$port" "$count"
