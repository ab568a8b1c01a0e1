#!/bin/sh
# The hostile-load benchmark (issue #14, item 10): echo throughput and p99 with no attack, then during each attack,
# in one run, with /healthz latency probed during each; and how many exec children an abandoned-call attack leaves.
#   (a) 1,000 slowloris connections (headers trickled, reconnecting when cut)
#   (b) 400 parallel clients POSTing a catastrophic regex (^(a+)+$ on "aaaa…ab"), each again as soon as answered
#   (c) 130 clients calling a slow exec hook (sleep 30) and hanging up after 1 s, again and again
#   (d) 8 parallel clients calling a compiled plugin stuck in an endless loop (built here with cc): both of its
#       worker processes spin until each call's deadline (--deadline 10), are killed, and the next call spins again
# usage: integrations/scripts/hostile-load.sh [PORT]     (build first: swift build -c release; needs wrk, python3, cc)
# The payload and wrk script are ../shared/bench's (post.lua, payload.json). The attackers connect from 127.0.0.2,
# the benchmark from 127.0.0.1. With PIN=1 the host runs on CPU 0 and every client (wrk, curl, the attackers) on
# CPU 1, so the attackers' own CPU is not taken from the host: what is measured is what serving them costs it.
set -eu
port="${1:-18095}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
bench="${BENCH_DIR:-$root/../shared/bench}"
clients="$root/integrations/scripts/hostile-clients.py"
seconds="${SECONDS_PER_PHASE:-10}"
dir="${TMPDIR:-/tmp}/integration-host-hostile-$port"
rm -rf "$dir"
mkdir -p "$dir/integrations" "$dir/state"
cat > "$dir/integrations/bench-echo.json" <<'JSON'
{ "commands": [], "routes": ["/hook"], "actions": [{ "reply": { "json": { "message": "ok", "query": "{{query}}" } } }] }
JSON
cat > "$dir/integrations/regex-bomb.json" <<'JSON'
{ "commands": [], "routes": ["/regex"],
  "rules": [{ "regex": { "value": "{{payload.text}}", "pattern": "^(a+)+$" } }],
  "actions": [{ "reply": "matched" }] }
JSON
cat > "$dir/integrations/slow.json" <<'JSON'
{ "commands": [], "routes": ["/slow"], "actions": [{ "exec": { "argv": ["/bin/sleep", "30"], "timeout": 60 } }] }
JSON
cat > "$dir/spin.c" <<'C'
#include "integration_abi.h"
static int32_t handle(const char *request, size_t length, const struct integration_host_api *api, void *host_ctx) {
    for (volatile unsigned long turns = 0;; turns++) {}
    return 0;
}
static const struct integration_route routes[] = {{"/spin", "POST"}};
static const struct integration_plugin plugin = {
    .abi_version = INTEGRATION_ABI_VERSION, .struct_size = sizeof(struct integration_plugin), .name = "spin",
    .description = "never answers: an endless loop", .routes = routes, .route_count = 1, .handle = handle};
const struct integration_plugin *integration_plugin_v1(void) { return &plugin; }
C
"${CC:-cc}" -shared -fPIC -O1 -I"$root/Sources/CIntegrationABI/include" -o "$dir/integrations/spin.so" "$dir/spin.c"
ulimit -n "$(ulimit -Hn)"
pin_host=""
pin_clients=""
if [ "${PIN:-0}" = 1 ]; then
    pin_host="taskset -c 0"
    pin_clients="taskset -c 1"
fi
$pin_host "$root/.build/release/integration-host" "$port" "$dir/integrations" --bind 127.0.0.1 --state-dir "$dir/state" \
    2>"$dir/host.log" &
host=$!
trap 'kill $host 2>/dev/null; wait $host 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

measure() {  # label: wrk on /hook for $seconds, /healthz probed 20 times meanwhile
    (for _ in $(seq 20); do $pin_clients curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/healthz"; sleep 0.25; done) \
        >"$dir/healthz" &
    probe=$!
    summary=$(cd "$bench" && $pin_clients wrk -t1 -c32 -d"${seconds}s" --latency -s post.lua "http://127.0.0.1:$port/hook" | grep WRK_SUMMARY)
    wait $probe
    rps=$(echo "$summary" | sed 's/.* rps=\([0-9.]*\).*/\1/')
    p99=$(echo "$summary" | sed 's/.* p99_us=\([0-9]*\).*/\1/')
    errors=$(echo "$summary" | sed 's/.*err_connect=\([0-9]*\) err_read=\([0-9]*\) err_write=\([0-9]*\) err_status=\([0-9]*\) err_timeout=\([0-9]*\).*/\1+\2+\3+\4+\5/')
    healthz=$(sort -n "$dir/healthz" | awk '{a[NR]=$1} END {printf "median %.1f ms, max %.1f ms", a[int((NR+1)/2)]*1000, a[NR]*1000}')
    echo "$1|$rps|$p99|$errors|$healthz"
}

attack() {  # label, then the hostile-clients.py arguments: the attack runs 3 s before and through the measurement
    label=$1
    shift
    $pin_clients python3 "$clients" "$@" >"$dir/attack.out" 2>&1 &
    attacker=$!
    sleep 3
    measure "$label"
    wait $attacker || true
    sed 's/^/    attackers: /' "$dir/attack.out" >&2
}

long=$((seconds + 5))
results="$dir/results"
{
    measure "quiet"
    attack "(a) 1000 slowloris" slowloris 127.0.0.1 "$port" 1000 "$long"
    measure "quiet again"
    attack "(b) 400 regex bombs" parallel 127.0.0.1 "$port" 400 "$long" /regex "{\"text\": \"$(printf 'a%.0s' $(seq 28))b\"}"
    measure "quiet again"
    attack "(c) 130 abandoned execs" abandon 127.0.0.1 "$port" 130 "$long" /slow
    sleep 1
    pgrep -c -f '^/bin/sleep 30$' >"$dir/left" || true
    measure "quiet again"
    attack "(d) a stuck plugin" parallel 127.0.0.1 "$port" 8 "$long" /spin "{}"
} >"$results"
left=$(cat "$dir/left")
quiet=$(head -1 "$results" | cut -d'|' -f2)
printf '%-26s %10s %7s %9s %8s  %s\n' phase req/s ratio p99_ms errors /healthz
while IFS='|' read -r label rps p99 errors healthz; do
    ratio=$(awk -v a="$rps" -v b="$quiet" 'BEGIN { printf "%.2f", a / b }')
    p99ms=$(awk -v a="$p99" 'BEGIN { printf "%.2f", a / 1000 }')
    printf '%-26s %10s %7s %9s %8s  %s\n' "$label" "$rps" "${ratio}x" "$p99ms" "$errors" "$healthz"
done <"$results"
echo "exec children left 1 s after the abandoned-call attack: $left"
