#!/usr/bin/env bash
# Installs what building, running and testing the project needs, from
# Debian's (or Ubuntu's) package archive. Installs only what is missing, so
# it is cheap to call from every script. Used by demo.sh, test.sh and the
# Dockerfile alike.
#
#   scripts/install-deps.sh            build + run packages (demo.sh, the Dockerfile)
#   scripts/install-deps.sh --examples the same, plus the AWS CLI the examples' workers answer with
#   scripts/install-deps.sh --test     the same, plus Node.js and npm for the
#                                      AWS SDK for JavaScript suite (tests/sdk) and
#                                      Debian's chromium for the web console's browser tests,
#                                      and clang-format for the formatting check, and clang with
#                                      libFuzzer (libclang-rt-dev) for the fuzz targets (scripts/fuzz.sh)
#   scripts/install-deps.sh --bench    the same as --test, plus gnuplot (the plots) and wrk (the webhook
#                                      scenario) for scripts/bench.sh
#   scripts/install-deps.sh --runtime  only what the servers need at run time
set -euo pipefail

build_packages=(meson ninja-build pkg-config gcc libc6-dev
                libmicrohttpd-dev libcurl4-openssl-dev libcjson-dev libhiredis-dev
                python3 redis-server curl ca-certificates)
runtime_packages=(libmicrohttpd12 libcurl4 libcjson1 libhiredis0.14 curl ca-certificates)

packages=("${build_packages[@]}")
case "${1:-}" in
  --runtime) packages=("${runtime_packages[@]}") ;;
  # awscli (Debian's AWS CLI v2, large) is what the examples' workers answer Step Functions with, and
  # what their end-to-end tests run; the demo and the images do not need it.
  --examples) packages+=(awscli) ;;
  # clang-format checks the one formatting dialect (.clang-format) in scripts/test.sh; clang builds the fuzz
  # targets, whose libFuzzer runtime is in libclang-rt-dev (only recommended by clang, and recommends are not
  # installed).
  --test) packages+=(awscli clang-format clang libclang-rt-dev) ;;
  # scripts/bench.sh: gnuplot draws the plots, wrk drives the webhook scenario, strace and perf count system calls
  # and profile a missed target.
  --bench) packages+=(awscli gnuplot-nox wrk strace linux-perf) ;;
esac

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

# Node.js and npm are looked for as commands, not as packages: a Node.js
# installed some other way (a vendor's nodejs package bundles npm and conflicts
# with Debian's) is used as it is. Debian 12's nodejs is 18.x, which the SDK
# suite supports.
if [ "${1:-}" = "--test" ] || [ "${1:-}" = "--bench" ]; then
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
fi
# The browser tests (tests/browser) drive /usr/bin/chromium, Debian's package.
if [ "${1:-}" = "--test" ] && [ ! -x /usr/bin/chromium ]; then
  missing+=(chromium)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
