#!/usr/bin/env bash
# Runs the release host with only the Swift example plugin (libParrotPlugin.so, which also answers /echo) in a fresh
# integrations directory: the candidate for the shared peer benchmark, which posts a HipChat "/echo testing me".
#
# PLUGINS=in-process runs the plugin in the host's own process (the trusted mode) instead of a worker process.
# PLUGIN=echo runs libEchoPlugin.so instead (EchoPlugin/: the echo manifest's job, nothing else), to measure the
# plugin path itself against integrations/echo.json.
# LOG_LEVEL defaults to warning, as in integrations/scripts/bench-host.sh (the echo manifest's candidate), so the
# two are compared at the same log level; LOG_LEVEL=info measures the access log and parrot's log line too.
#
#   swift build -c release
#   CANDIDATE_NAME=plugin ONLY=nginx-w1,aiohttp,plugin \
#     /work/shared/bench/run-peers.sh "$PWD/example/bench/plugin-host.sh 18090" http://127.0.0.1:18090/hipchat
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
port="${1:-18090}"
directory="${TMPDIR:-/tmp}/integration-host-plugin-bench"
rm -rf "$directory"
mkdir -p "$directory/integrations"
case "${PLUGIN:-parrot}" in
    parrot) library=libParrotPlugin.so ;;
    echo) library=libEchoPlugin.so ;;
    *) echo "PLUGIN must be parrot or echo" >&2; exit 2 ;;
esac
cp "$root/.build/release/$library" "$directory/integrations/"
LOG_LEVEL="${LOG_LEVEL:-warning}" exec "$root/.build/release/integration-host" "$port" "$directory/integrations" --bind 127.0.0.1 \
    --plugins "${PLUGINS:-isolated}"
