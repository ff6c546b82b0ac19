#!/usr/bin/env bash
# The benchmark (see bench/results.md for the last full run and docs/benchmark.md).
#
#   scripts/bench.sh           every scenario at full size (about 8 minutes); writes bench/results.md,
#                              bench/results.json and the plots bench/*.png, and sets the figures beside those
#                              of the run it replaces (bench/results.md, "Against the previous run")
#   scripts/bench.sh --quick   a smoke run with small loads (under a minute); writes build-bench/quick/
#   scripts/bench.sh [--quick] SCENARIO...
#                              only the named scenarios (blog_flow, cluster, ...); at full size, the report keeps the
#                              other scenarios' figures from the committed bench/results.json
#
# Installs what it needs (Debian packages; the peer's npm package goes to a scratch folder), builds the
# servers with optimisation into build-bench, runs each scenario (tests/bench/scenario_*.py) against private
# Redis and servers, and turns their documents into the report (tests/bench/report.py). Exits non-zero when a
# scenario fails to run; a missed target is reported, not an error.
set -uo pipefail
cd "$(dirname "$0")/.."

all_scenarios=(blog_flow webhook peer startup map_callbacks jsonata cluster)
quick=()
output_dir=bench
if [ "${1:-}" = "--quick" ]; then
  quick=(--quick)
  output_dir=build-bench/quick
  shift
fi
scenarios=("$@")
keep=()
for scenario in "${scenarios[@]}"; do
  if [[ ! " ${all_scenarios[*]} " =~ " $scenario " ]]; then
    echo "usage: scripts/bench.sh [--quick] [SCENARIO...] (scenarios: ${all_scenarios[*]})" >&2
    exit 2
  fi
done
if [ ${#scenarios[@]} -eq 0 ]; then
  scenarios=("${all_scenarios[@]}")
elif [ ${#quick[@]} -eq 0 ] && [ -f bench/results.json ]; then
  keep=(--keep bench/results.json)
fi

scripts/install-deps.sh --bench || exit 1
BUILD_DIR=build-bench scripts/build.sh --buildtype=release || { echo "bench: build failed" >&2; exit 1; }

# Scratch space: logs and data of the last run; the peer's npm packages (npm/) are kept for the next run.
work=build-bench/bench-work
status=0
documents=()
for scenario in "${scenarios[@]}"; do
  program="tests/bench/scenario_$scenario.py"
  [ -f "$program" ] || continue
  echo "== bench: $scenario"
  mkdir -p "$work/$scenario"
  find "$work/$scenario" -mindepth 1 -maxdepth 1 ! -name npm -exec rm -rf {} +
  if python3 "$program" --build build-bench --output "$work/$scenario.json" --work "$work/$scenario" "${quick[@]}"; then
    documents+=("$work/$scenario.json")
  else
    echo "== bench: $scenario failed" >&2
    status=1
  fi
done
# A full run sets its figures beside those of the run it replaces (bench/results.json as it was).
previous=()
if [ ${#quick[@]} -eq 0 ] && [ -f bench/results.json ]; then
  cp bench/results.json "$work/previous-results.json" && previous=(--previous "$work/previous-results.json")
fi
[ ${#documents[@]} -gt 0 ] && python3 tests/bench/report.py --output-dir "$output_dir" "${keep[@]}" "${previous[@]}" \
  "${documents[@]}" || status=1
exit $status
