#!/bin/sh
# Runs integration-host for /work/shared/bench/run-peers.sh with two manifests made for the harness, in a fresh
# directory of its own under $TMPDIR (recreated on each start):
#   bench-echo  POST /hook         replies {"message": "ok"} from a template (the nginx/aiohttp job)
#   true        POST /hooks/true   execs /bin/true, waits for it, replies {"message": "ok"}
#   true-nowait POST /hooks/true-nowait  execs /bin/true without waiting (what adnanh/webhook's benchmark hook does)
# usage: integrations/scripts/bench-host.sh PORT      (build first: swift build -c release)
# example: ONLY=nginx-w1,aiohttp,swift CANDIDATE_NAME=swift ../shared/bench/run-peers.sh \
#            "$PWD/integrations/scripts/bench-host.sh 18090" http://127.0.0.1:18090/hook
set -eu
port="${1:?usage: bench-host.sh PORT}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="${TMPDIR:-/tmp}/integration-host-bench-$port"
rm -rf "$dir"
mkdir -p "$dir"
cat > "$dir/bench-echo.json" <<'JSON'
{
  "description": "The benchmark's minimal job: POST /hook, reply with a short JSON body",
  "commands": ["echo"],
  "routes": ["/hook"],
  "actions": [{ "reply": { "json": { "message": "ok", "query": "{{query}}" } } }]
}
JSON
cat > "$dir/true.json" <<'JSON'
{
  "description": "adnanh/webhook's benchmark hook: run /bin/true, reply with a fixed message",
  "commands": [],
  "actions": [
    { "exec": { "argv": ["/bin/true"], "timeout": 10 } },
    { "reply": { "json": { "message": "ok" } } }
  ]
}
JSON
cat > "$dir/true-nowait.json" <<'JSON'
{
  "description": "adnanh/webhook's benchmark hook as it runs there: start /bin/true, reply at once",
  "commands": [],
  "actions": [
    { "exec": { "argv": ["/bin/true"], "timeout": 10, "wait": false } },
    { "reply": { "json": { "message": "ok" } } }
  ]
}
JSON
LOG_LEVEL="${LOG_LEVEL:-warning}" exec "$root/.build/release/integration-host" "$port" "$dir" --bind 127.0.0.1
