#!/usr/bin/env bash
# Configures (once) and compiles the project into BUILD_DIR (default: build).
# Extra arguments go to `meson setup` (or `meson configure` of an existing
# build), e.g. scripts/build.sh -Db_sanitize=address,undefined. Warnings are
# errors only where asked (-Dwerror=true, as scripts/test.sh and CI do): a
# plain build on a newer compiler still builds.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-build}"
if [ ! -f "$build_dir/build.ninja" ]; then
  meson setup "$build_dir" "$@" >/dev/null
elif [ $# -gt 0 ]; then
  meson configure "$build_dir" "$@" >/dev/null
fi
meson compile -C "$build_dir" >/dev/null
