#!/usr/bin/env bash
# Fuzzes the HTTP request parser with libFuzzer for N seconds (default 300).
#   .ci/fuzz.sh [seconds]
# Builds Tests/HTTPParserFuzz/FuzzHTTPParser.swift with the parser sources into .build/fuzz/http-parser-fuzz
# (see .ci/libfuzzer.sh), then runs it on a copy of the seed corpus in Tests/HTTPParserFuzz/corpus with
# Tests/HTTPParserFuzz/http.dict. Not part of `swift test`. Crash inputs are written to .build/fuzz/crash-*.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/libfuzzer.sh
fuzz_target .build/fuzz http-parser-fuzz HTTPParserFuzz Tests/HTTPParserFuzz/corpus 4096 "${1:-300}" \
    -dict=Tests/HTTPParserFuzz/http.dict -- \
    Sources/HTTPServer/Parser/*.swift \
    Sources/HTTPTypes/HTTPHeaders.swift \
    Sources/HTTPTypes/HTTPMethod.swift \
    Sources/HTTPTypes/HTTPStatus.swift \
    Sources/HTTPServer/Request/HTTPRequestHead.swift \
    Sources/HTTPServer/Request/HTTPVersion.swift \
    Sources/HTTPServer/Server/HTTPServerConfiguration.swift \
    Tests/HTTPParserFuzz/FuzzHTTPParser.swift
