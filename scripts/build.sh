#!/usr/bin/env bash
# Configures (once) and compiles the project into BUILD_DIR (default: build).
# Extra arguments go to `meson setup`, e.g. scripts/build.sh -Db_sanitize=address,undefined
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-build}"
if [ ! -f "$build_dir/build.ninja" ]; then
  meson setup "$build_dir" "$@" >/dev/null
fi
meson compile -C "$build_dir" >/dev/null
