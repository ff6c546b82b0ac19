#!/bin/sh
# Runs the web console's unit tests (the page's pure modules, tests/console/*.test.mjs)
# with Node.js's own runner, printing TAP for meson. Without Node.js 18 or later
# (scripts/install-deps.sh --test installs it) the suite reports itself skipped.
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' 2>/dev/null; then
  echo "1..0 # SKIP the console's unit tests need Node.js 18 or later"
  exit 0
fi
exec node --test --test-reporter=tap "$@"
