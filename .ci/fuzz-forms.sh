#!/usr/bin/env bash
# Fuzzes the request-body decoders (multipart/form-data and urlencoded forms) with libFuzzer for N seconds
# (default 300).
#   .ci/fuzz-forms.sh [seconds]
# Builds Tests/FormFuzz/FuzzForms.swift with Sources/HTTPTypes/{MultipartDecoding,FormDecoding}.swift into
# .build/fuzz-forms/forms-fuzz and runs it on a copy of Tests/FormFuzz/corpus. Not part of `swift test`. Crash
# inputs go to .build/fuzz-forms/crash-*.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
out=.build/fuzz-forms
mkdir -p "$out/corpus"
cp -n Tests/FormFuzz/corpus/* "$out/corpus/" 2>/dev/null || true
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name FormFuzz \
    Sources/HTTPTypes/MultipartDecoding.swift Sources/HTTPTypes/FormDecoding.swift Tests/FormFuzz/FuzzForms.swift \
    -o "$out/forms-fuzz"
export SWIFT_BACKTRACE=enable=no
exec "$out/forms-fuzz" "$out/corpus" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -artifact_prefix="$out/crash-" -print_final_stats=1
