#!/usr/bin/env bash
# Fuzzes the request-body decoders (multipart/form-data and urlencoded forms) with libFuzzer for N seconds
# (default 300).
#   .ci/fuzz-forms.sh [seconds]
# Builds Tests/FormFuzz/FuzzForms.swift with Sources/HTTPTypes/{MultipartDecoding,FormDecoding}.swift into
# .build/fuzz-forms/forms-fuzz (see .ci/libfuzzer.sh) and runs it on a copy of Tests/FormFuzz/corpus. Not part of
# `swift test`. Crash inputs go to .build/fuzz-forms/crash-*.
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/libfuzzer.sh
fuzz_target .build/fuzz-forms forms-fuzz FormFuzz Tests/FormFuzz/corpus 4096 "${1:-300}" -- \
    Sources/HTTPTypes/MultipartDecoding.swift Sources/HTTPTypes/FormDecoding.swift Tests/FormFuzz/FuzzForms.swift
