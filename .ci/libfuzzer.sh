# Sourced by .ci/fuzz*.sh: builds one libFuzzer target from Swift sources and runs it for a while.
#
#   fuzz_target OUT BINARY MODULE CORPUS MAX_LEN SECONDS [LIBFUZZER_FLAG...] -- SOURCE...
#
# Compiles SOURCE... (swiftc -sanitize=fuzzer,address, module MODULE) into OUT/BINARY, copies the seed corpus
# CORPUS into OUT/corpus (keeping what earlier runs added), and runs the target on it for SECONDS with inputs of at
# most MAX_LEN bytes and the extra libFuzzer flags. Crash inputs go to OUT/crash-*. Replaces the calling shell.
fuzz_target() {
    local out="$1" binary="$2" module="$3" corpus="$4" max_len="$5" seconds="$6"
    shift 6
    local flags=()
    while [ "$1" != "--" ]; do
        flags+=("$1")
        shift
    done
    shift
    mkdir -p "$out/corpus"
    cp -n "$corpus"/* "$out/corpus/" 2>/dev/null || true
    swiftc -sanitize=fuzzer,address -parse-as-library -O -g -module-name "$module" "$@" -o "$out/$binary"
    export SWIFT_BACKTRACE=enable=no
    exec "$out/$binary" "$out/corpus" "${flags[@]}" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 \
        -artifact_prefix="$out/crash-" -print_final_stats=1
}
