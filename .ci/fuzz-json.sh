#!/usr/bin/env bash
# Fuzzes the JSON parser and writer with libFuzzer for N seconds (default 300).
#   .ci/fuzz-json.sh [seconds]
# Builds Tests/JSONFuzz/FuzzJSON.swift with Sources/JSON into .build/fuzz-json/json-fuzz (see .ci/libfuzzer.sh) and
# runs it on a copy of the seed corpus in Tests/JSONFuzz/corpus. Not part of `swift test`. Crash inputs go to
# .build/fuzz-json/crash-*.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/libfuzzer.sh
fuzz_target .build/fuzz-json json-fuzz JSONFuzz Tests/JSONFuzz/corpus 2048 "${1:-300}" -- \
    Sources/JSON/*.swift Tests/JSONFuzz/FuzzJSON.swift
