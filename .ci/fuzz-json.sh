#!/usr/bin/env bash
# Fuzzes the JSON parser and writer with libFuzzer for N seconds (default 300).
#   .ci/fuzz-json.sh [seconds]
# Builds Tests/JSONFuzz/FuzzJSON.swift with Sources/JSON into .build/fuzz-json/json-fuzz and runs it on a copy of
# the seed corpus in Tests/JSONFuzz/corpus. Not part of `swift test`. Crash inputs go to .build/fuzz-json/crash-*.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
out=.build/fuzz-json
mkdir -p "$out/corpus"
cp -n Tests/JSONFuzz/corpus/* "$out/corpus/" 2>/dev/null || true
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name JSONFuzz \
    Sources/JSON/*.swift Tests/JSONFuzz/FuzzJSON.swift -o "$out/json-fuzz"
export SWIFT_BACKTRACE=enable=no
exec "$out/json-fuzz" "$out/corpus" -max_total_time="$seconds" -max_len=2048 -timeout=10 \
    -artifact_prefix="$out/crash-" -print_final_stats=1
