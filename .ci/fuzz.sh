#!/usr/bin/env bash
# Fuzzes the HTTP request parser with libFuzzer for N seconds (default 300).
#   .ci/fuzz.sh [seconds]
# Builds Tests/HTTPParserFuzz/FuzzHTTPParser.swift with the parser sources into .build/fuzz/http-parser-fuzz
# (swiftc -sanitize=fuzzer,address), then runs it on a copy of the seed corpus in Tests/HTTPParserFuzz/corpus.
# Not part of `swift test`. Crash inputs are written to .build/fuzz/crash-*.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
out=.build/fuzz
mkdir -p "$out/corpus"
cp -n Tests/HTTPParserFuzz/corpus/* "$out/corpus/" 2>/dev/null || true

sources=(
    Sources/HTTPServer/Parser/*.swift
    Sources/HTTPTypes/HTTPHeaders.swift
    Sources/HTTPTypes/HTTPMethod.swift
    Sources/HTTPTypes/HTTPStatus.swift
    Sources/HTTPServer/Request/HTTPRequestHead.swift
    Sources/HTTPServer/Request/HTTPVersion.swift
    Sources/HTTPServer/Server/HTTPServerConfiguration.swift
    Tests/HTTPParserFuzz/FuzzHTTPParser.swift
)
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name HTTPParserFuzz \
    "${sources[@]}" -o "$out/http-parser-fuzz"

export SWIFT_BACKTRACE=enable=no
exec "$out/http-parser-fuzz" "$out/corpus" -dict=Tests/HTTPParserFuzz/http.dict -max_total_time="$seconds" \
    -max_len=4096 -timeout=10 \
    -artifact_prefix="$out/crash-" -print_final_stats=1
