#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# umaccess developer entry point: installs what is missing, configures, builds, tests, benchmarks.
#
#   cmake/dev.sh bench        the main job: build (Release) and run the benchmark report
#   cmake/dev.sh test         every test: the native suite, the ASan+UBSan suite, the TSan
#                             suite, a bounded libFuzzer run and, on an x86-64 host, the ARM64
#                             suite cross-built and run under qemu
#   cmake/dev.sh fuzz         only the bounded libFuzzer run (Clang, ASan+UBSan)
#   cmake/dev.sh arm64        only the ARM64 suite under qemu (x86-64 hosts)
#   cmake/dev.sh deps         only install missing Debian packages
#   cmake/dev.sh build DIR [cmake args...]   configure and build into DIR
#
# Everything is idempotent: a second run reuses the build trees and installs nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${JOBS:-$(nproc)}"

HOST_ARCH="$(dpkg --print-architecture)"

# Debian packages the project needs natively (x86-64 or ARM64).
PACKAGES=(
  cmake g++ binutils                 # compilers and the bfd/gold linkers
  clang lld                          # lld link-mode tests
  libclang-rt-14-dev                 # Clang's sanitizer and libFuzzer runtimes
  libgtest-dev libbenchmark-dev libcpu-features-dev
  gnuplot-nox                        # plots in the benchmark report
)
CROSS_PACKAGES=()
if [ "$HOST_ARCH" = amd64 ]; then
  PACKAGES+=(nasm)
  # The ARM64 suite, cross-built and run under qemu-user: the cross compiler, the emulator
  # and the arm64 builds of the libraries (Debian multi-arch).
  CROSS_PACKAGES=(g++-aarch64-linux-gnu qemu-user-static
                  libgtest-dev:arm64 libbenchmark-dev:arm64 libcpu-features-dev:arm64)
fi

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else echo "error: need root (or sudo) to install: $*" >&2; exit 1
  fi
}

missing_packages() {
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

deps() {
  local missing=()
  mapfile -t missing < <(missing_packages "${PACKAGES[@]}" "${CROSS_PACKAGES[@]}")
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing missing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  local refresh=0
  if [ ${#CROSS_PACKAGES[@]} -gt 0 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    as_root dpkg --add-architecture arm64   # multi-arch: arm64 libraries beside ours
    refresh=1                               # the new architecture needs package lists
  fi
  # Try without a package-list refresh first (fast when lists are current), then refresh once.
  if [ $refresh -eq 1 ] ||
     ! as_root apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    as_root apt-get update -qq
    as_root apt-get install -y --no-install-recommends "${missing[@]}"
  fi
}

# ARM64 test binaries run under qemu-user: ctest starts them through the toolchain file's
# emulator, but GoogleTest's death tests re-execute the test binary, which only works when
# the kernel knows to hand arm64 executables to qemu (binfmt_misc). Register it if needed.
binfmt_arm64() {
  local dir=/proc/sys/fs/binfmt_misc
  if [ -e "$dir/qemu-aarch64" ] && grep -q '^enabled' "$dir/qemu-aarch64"; then return 0; fi
  if [ ! -e "$dir/register" ]; then
    as_root mount -t binfmt_misc binfmt_misc "$dir" ||
      { echo "error: cannot mount binfmt_misc (needed to run ARM64 death tests)" >&2; exit 1; }
  fi
  if [ ! -e "$dir/qemu-aarch64" ]; then
    as_root sh -c "cat /usr/lib/binfmt.d/qemu-aarch64.conf > $dir/register" ||
      { echo "error: cannot register qemu-aarch64 with binfmt_misc" >&2; exit 1; }
  fi
  [ "$(cat "$dir/status")" = enabled ] || as_root sh -c "echo 1 > $dir/status"
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
  # A profile measured on this machine (umaccess-calibrate) must not steer the tests.
  UMACCESS_PROFILE= ctest --test-dir "$dir" -j "$JOBS" --output-on-failure "$@"
}

cmd_test() {
  deps
  build "$ROOT/build"
  log "running the test suite (native, $HOST_ARCH)"
  run_ctest "$ROOT/build"
  # ASan's own SIGSEGV/SIGBUS handlers would answer death tests with an ASan report instead of
  # the signal the test expects; with them off, faults chain to the default action as usual.
  build "$ROOT/build-asan" -DUMACCESS_SANITIZE=address,undefined -DUMACCESS_BUILD_BENCH=OFF
  log "running the test suite under AddressSanitizer + UndefinedBehaviorSanitizer"
  # The assembly is not instrumented and the C++ layer around a kernel is the same for every
  # variant, so the per-variant suites run here for auto, the SSE2 baseline (vector and
  # streaming) and erms only; the wider x86-64 variants run natively. This halves the stage.
  ASAN_OPTIONS="handle_segv=0:handle_sigbus=0:detect_leaks=1:abort_on_error=0" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
    run_ctest "$ROOT/build-asan" -LE no-sanitizer -E '^AllVariants/[^/]+/(avx512|evex|avx2)(_|[ ]|$)'
  # ThreadSanitizer is about threads: everything but the per-variant conformance suites,
  # which are single-threaded, run natively and under ASan, and are 50x slower under TSan.
  # Its SEGV handling is off for the same reason as ASan's.
  build "$ROOT/build-tsan" -DUMACCESS_SANITIZE=thread -DUMACCESS_BUILD_BENCH=OFF
  log "running the test suite under ThreadSanitizer"
  TSAN_OPTIONS="handle_segv=0:handle_sigbus=0:halt_on_error=1:second_deadlock_stack=1" \
    run_ctest "$ROOT/build-tsan" -LE no-sanitizer -E '^AllVariants/'
  cmd_fuzz
  if [ "$HOST_ARCH" = amd64 ]; then cmd_arm64; fi
}

# The libFuzzer targets (tests/fuzz), built with Clang under ASan+UBSan, each run for a
# bounded time over a copy of its corpus, plus the self-tests that prove a bug is found.
cmd_fuzz() {
  deps
  # Only the fuzzers: the rest of this tree is built and tested elsewhere (and Clang's
  # sanitizer runtimes are not linked into a shared library with --no-undefined).
  log "configuring and building the fuzzers in $ROOT/build-fuzz"
  CC=clang CXX=clang++ cmake -S "$ROOT" -B "$ROOT/build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DUMACCESS_BUILD_FUZZERS=ON -DUMACCESS_BUILD_TESTS=OFF -DUMACCESS_BUILD_BENCH=OFF \
    -DUMACCESS_SANITIZE=address,undefined >/dev/null
  cmake --build "$ROOT/build-fuzz" -j "$JOBS" --target fuzz_ops fuzz_probe fuzz_race
  log "fuzzing (bounded: see UMACCESS_FUZZ_SECONDS_* in tests/fuzz/CMakeLists.txt)"
  run_ctest "$ROOT/build-fuzz" -L fuzz
}

# The whole suite cross-built for ARM64 and run under qemu-user: every variant, faults
# included.
cmd_arm64() {
  [ "$HOST_ARCH" = amd64 ] || { echo "error: the ARM64 cross suite runs on x86-64 hosts" >&2; exit 1; }
  deps
  binfmt_arm64
  build "$ROOT/build-arm64" -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/aarch64-linux-gnu.cmake"
  log "running the test suite (ARM64 under qemu-user)"
  run_ctest "$ROOT/build-arm64"
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
  fuzz)  shift; cmd_fuzz "$@" ;;
  arm64) shift; cmd_arm64 "$@" ;;
  bench) shift; cmd_bench "$@" ;;
  *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
