#!/usr/bin/env bash
# umaccess developer entry point: installs what is missing, configures, builds, tests, benchmarks.
#
#   cmake/dev.sh bench        the main job: build (Release) and run the benchmark report
#   cmake/dev.sh test         every test: the native suite, then the ASan+UBSan suite
#   cmake/dev.sh deps         only install missing Debian packages
#   cmake/dev.sh build DIR [cmake args...]   configure and build into DIR
#
# Everything is idempotent: a second run reuses the build trees and installs nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${JOBS:-$(nproc)}"

# Debian packages the project needs on x86-64. (ARM64 cross packages come with issue 5.)
PACKAGES=(
  cmake g++ nasm binutils            # compilers and the bfd/gold linkers
  clang lld                          # lld link-mode tests
  libgtest-dev libbenchmark-dev libcpu-features-dev
  gnuplot-nox                        # plots in the benchmark report
)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "error: need root (or sudo) to install: $*" >&2; exit 1
  fi
}

deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing missing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Try without a package-list refresh first (fast when lists are current), then refresh once.
  if ! as_root apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    as_root apt-get update -qq
    as_root apt-get install -y --no-install-recommends "${missing[@]}"
  fi
}

# build DIR [extra cmake args]: configure once, then build incrementally.
build() {
  local dir="$1"; shift
  log "configuring and building $dir"
  cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS"
}

run_ctest() {
  local dir="$1"; shift
  ctest --test-dir "$dir" -j "$JOBS" --output-on-failure "$@"
}

cmd_test() {
  deps
  build "$ROOT/build"
  log "running the test suite (native)"
  run_ctest "$ROOT/build"
  # ASan's own SIGSEGV/SIGBUS handlers would answer death tests with an ASan report instead of
  # the signal the test expects; with them off, faults chain to the default action as usual.
  build "$ROOT/build-asan" -DUMACCESS_SANITIZE=address,undefined
  log "running the test suite under AddressSanitizer + UndefinedBehaviorSanitizer"
  ASAN_OPTIONS="handle_segv=0:handle_sigbus=0:detect_leaks=1:abort_on_error=0" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
    run_ctest "$ROOT/build-asan" -LE no-sanitizer
}

cmd_bench() {
  deps
  BUILD_TYPE=Release build "$ROOT/build-release"
  log "what the dispatcher chose on this machine"
  "$ROOT/build-release/umaccess-info"
  log "running the benchmark report"
  "$ROOT/build-release/bench/umaccess-bench-report" "$@"
}

case "${1:-}" in
  deps)  deps ;;
  build) shift; deps; build "${1:-$ROOT/build}" "${@:2}" ;;
  test)  shift; cmd_test "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
