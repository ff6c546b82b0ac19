#!/usr/bin/env bash
# Runs every test, twice: in a normal build and in a build with
# AddressSanitizer + UndefinedBehaviorSanitizer (leaks included); then each
# fuzz target for a few seconds (scripts/fuzz.sh, a clang build). Installs
# what is missing first. Ends with one line over all suites:
#   N passed, N failed[, N skipped]
# and exits non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --test || { echo "0 passed, 1 failed"; exit 1; }

# The npm packages of the suites written in JavaScript (tests/sdk: the AWS SDK
# for JavaScript; tests/browser: playwright-core, which drives Debian's
# chromium), from their committed lockfiles, installed only when missing or
# stale. Without Node.js 18 or later those suites skip themselves; a failed
# install makes them fail, saying why.
node_is_recent() {
  node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' 2>/dev/null
}
if command -v npm >/dev/null 2>&1 && node_is_recent; then
  for packages in tests/sdk tests/browser; do
    node tests/npm_installed.mjs "$packages" >/dev/null 2>&1 && continue
    echo "== $packages: npm ci"
    (cd "$packages" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) || echo "== $packages: npm ci failed"
  done
fi

# Sanitizer reports fail the run: the harness also scans server logs for them.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=23"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="exitcode=23"

status=0
logs=()
for variant in build build-sanitize; do
  arguments=(-Dwerror=true)
  if [ "$variant" = build-sanitize ]; then
    arguments+=(-Db_sanitize=address,undefined -Db_lundef=false)
  fi
  echo "== $variant: compiling"
  if ! BUILD_DIR="$variant" scripts/build.sh "${arguments[@]}"; then
    echo "== $variant: build failed"
    status=1
    continue
  fi
  echo "== $variant: testing"
  rm -f "$variant/meson-logs/testlog.json"
  meson test -C "$variant" --num-processes 2 --print-errorlogs || status=1
  logs+=("$variant/meson-logs/testlog.json")
done

# The fuzz targets, a few seconds each over their corpus (regressions; see docs/fuzzing.md): one TAP point per
# target, in a third build (clang, libFuzzer). Without clang and libFuzzer, one skipped point.
echo "== build-fuzz: fuzzing each target for 3 s"
mkdir -p build-fuzz
scripts/fuzz.sh 3 | tee build-fuzz/fuzz.tap
case "${PIPESTATUS[0]}" in
  0 | 77) ;;
  *) status=1 ;;
esac
logs+=("build-fuzz/fuzz.tap")

# Count TAP test points across the builds (meson's testlogs, and the fuzz run's TAP); a program that failed without
# reporting a failing point (a crash, a timeout) counts as one failure.
summary=$(python3 - "${logs[@]}" <<'PYTHON'
import json, re, sys
passed = failed = skipped = 0

def count(lines):
    points = [line for line in lines if re.match(r"(not )?ok\b", line)]
    bad = sum(1 for line in points if line.startswith("not ok"))
    skips = sum(1 for line in points if not line.startswith("not ok") and "# SKIP" in line)
    return len(points) - bad - skips, bad, skips

for path in sys.argv[1:]:
    if path.endswith(".tap"):
        try:
            good, bad, skips = count(open(path).read().splitlines())
        except OSError:
            good, bad, skips = 0, 0, 0
        passed += good
        failed += bad if good + bad + skips else 1
        skipped += skips
        continue
    try:
        entries = [json.loads(line) for line in open(path) if line.strip()]
    except OSError:
        failed += 1
        continue
    for entry in entries:
        good, bad, skips = count((entry.get("stdout") or "").splitlines())
        passed += good
        skipped += skips
        failed += bad
        if entry.get("result") not in ("OK", "EXPECTEDFAIL", "SKIP") and bad == 0:
            failed += 1
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PYTHON
)
[ -n "$summary" ] || summary="0 passed, 1 failed"
case "$summary" in
  *" 0 failed"*) ;;
  *) status=1 ;;
esac
echo
echo "$summary"
exit $status
