#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz (see docs/fuzzing.md), each for a
# given time over its corpus, and reports as TAP: one point per target,
#   ok 1 - definition: 123456 executions in 60 s, 0 crashes, 0 slow
# A crash, a sanitizer report, a leak, an input slower than the per-input
# limit (a timeout) or one over the memory limit fails the target; its input
# is kept in <build>/fuzz-artifacts/. Exits non-zero when a target failed, 77
# (one skipped point) when clang with libFuzzer is not available.
#
#   scripts/fuzz.sh [seconds per target, default 60] [targets run at once, default 1]
#
# Environment: FUZZ_BUILD_DIR (default build-fuzz), FUZZ_TIMEOUT (seconds per
# input, default 2), FUZZ_TARGETS (names, default all).
#
# The build is separate from the others: clang, -Dfuzz=true (every library
# instrumented for libFuzzer's coverage), AddressSanitizer and
# UndefinedBehaviorSanitizer. The committed seeds (tests/fuzz/corpus/<target>)
# are only read; what the fuzzer finds goes to <build>/fuzz-corpus/<target>.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
parallel=${2:-1}
build=${FUZZ_BUILD_DIR:-build-fuzz}
per_input_timeout=${FUZZ_TIMEOUT:-2}
all_targets=(definition asl_path intrinsics parameters choice valuation_request http_json api_fields jsonata mock_config
  history_codec)
read -r -a targets <<<"${FUZZ_TARGETS:-${all_targets[*]}}"

# Inputs up to 256 KiB (the API's payload and the slow paths' size) where the input is JSON or a definition.
max_len() {
  case "$1" in
    api_fields) echo 4096 ;;
    asl_path) echo 65536 ;;
    *) echo 300000 ;;
  esac
}

skip() {
  echo "1..1"
  echo "ok 1 - fuzzing # SKIP $1"
  exit 77
}

command -v clang >/dev/null 2>&1 || skip "clang is not installed (scripts/install-deps.sh --test)"
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\n%s\n' \
  'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' >"$probe/probe.c"
clang -fsanitize=fuzzer,address,undefined "$probe/probe.c" -o "$probe/probe" >/dev/null 2>&1 \
  || skip "clang cannot link libFuzzer (Debian: libclang-rt-dev; scripts/install-deps.sh --test)"

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false >"$probe/setup.log" 2>&1 \
    || { cat "$probe/setup.log" >&2; echo "1..1"; echo "not ok 1 - fuzzing: meson setup failed"; exit 1; }
fi
# An existing build learns of targets added since it was set up (meson compile looks them up before regenerating).
ninja -C "$build" build.ninja >/dev/null 2>&1 || true
if ! meson compile -C "$build" "${targets[@]/#/fuzz_}" >"$probe/compile.log" 2>&1; then
  tail -n 40 "$probe/compile.log" >&2
  echo "1..1"
  echo "not ok 1 - fuzzing: the targets did not build"
  exit 1
fi

# A sanitizer report stops the target (UBSan's are only printed otherwise); libFuzzer checks for leaks itself.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
unset LSAN_OPTIONS

mkdir -p "$build/fuzz-logs" "$build/fuzz-artifacts"

# Runs one target; its log goes to <build>/fuzz-logs/<target>.log, its verdict (TAP text) to <target>.result.
run_target() {
  local target=$1 log="$build/fuzz-logs/$1.log" corpus="$build/fuzz-corpus/$1"
  mkdir -p "$corpus"
  "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout="$per_input_timeout" -rss_limit_mb=2048 \
    -max_len="$(max_len "$target")" -dict="tests/fuzz/dict/$target.dict" -print_final_stats=1 \
    -artifact_prefix="$build/fuzz-artifacts/$target-" "$corpus" "tests/fuzz/corpus/$target" >"$log" 2>&1
  local status=$?
  local executions
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  local finding="" crashes=0 slow=0
  if [ $status -ne 0 ]; then
    if grep -q "ERROR: libFuzzer: timeout" "$log"; then
      slow=1 finding="slow input (over ${per_input_timeout} s)"
    elif grep -q "ERROR: LeakSanitizer" "$log"; then
      crashes=1 finding="leak"
    elif grep -q "ERROR: libFuzzer: out-of-memory" "$log"; then
      crashes=1 finding="out of memory (over 2048 MB)"
    else
      crashes=1 finding="crash: $(grep -m 1 -E 'ERROR: |runtime error: ' "$log" | sed 's/^==[0-9]*==//')"
    fi
    local artifact
    artifact=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
    finding="$finding; input: ${artifact:-none written}; log: $log"
  fi
  local line="$target: ${executions:-0} executions in $seconds s, $crashes crashes, $slow slow"
  if [ -n "$finding" ]; then
    echo "not ok - $line: $finding" >"$build/fuzz-logs/$target.result"
  else
    echo "ok - $line" >"$build/fuzz-logs/$target.result"
  fi
}

for target in "${targets[@]}"; do
  rm -f "$build/fuzz-logs/$target.result"
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do
    wait -n
  done
  run_target "$target" &
done
wait

echo "1..${#targets[@]}"
status=0
number=0
for target in "${targets[@]}"; do
  number=$((number + 1))
  result=$(cat "$build/fuzz-logs/$target.result" 2>/dev/null || echo "not ok - $target: no result")
  case "$result" in
    "not ok"*) status=1 ;;
  esac
  echo "${result/ - / $number - }"
done
exit $status
