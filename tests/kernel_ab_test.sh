#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/kernel_ab_test.sh SOURCE_DIR LIBRARY - bench/kernel_ab.sh runs as documented (both
# link orders, a row per length asked for, for a copy, a move, a string and a wide string
# kernel) and refuses what it cannot compare. Needs SOURCE_DIR to be a git checkout of its
# own (skipped, 77, in an export without history, or with asm/abi.h edited, which the tool
# rightly refuses).
set -euo pipefail
src="$1" lib="$2"
top="$(git -C "$src" rev-parse --show-toplevel 2> /dev/null || true)"
if [ -z "$top" ] || [ "$(cd "$top" && pwd -P)" != "$(cd "$src" && pwd -P)" ]; then
  echo "not a git checkout of its own: skipped"
  exit 77
fi
if ! git -C "$src" diff --quiet HEAD -- asm/abi.h; then
  echo "asm/abi.h has uncommitted changes: skipped"
  exit 77
fi
tool="$src/bench/kernel_ab.sh"
export UMACCESS_LIB="$lib" KERNEL_AB_PROCESSES=2

# check_table OUTPUT LENGTH...: both orders, one row per length in each.
check_table() {
  local out="$1" n
  shift
  [ "$(grep -c '^== ' <<<"$out")" -eq 2 ] || { echo "FAIL: not two link orders"; exit 1; }
  for n in "$@"; do
    [ "$(grep -cE "^ +$n +[0-9.]+ +[0-9.]+ \(" <<<"$out")" -eq 2 ] ||
      { echo "FAIL: no $n-byte row in each order"; exit 1; }
  done
}
out="$("$tool" -r HEAD asm/x86_64/kernels_sse2.asm uma_copy_sse2 --rounds 3 64 300)"
echo "$out"
check_table "$out" 64 300
out="$("$tool" -r HEAD asm/x86_64/kernels_sse2.asm uma_move_sse2 --rounds 3 --distance -5 64)"
echo "$out"
check_table "$out" 64
out="$("$tool" -r HEAD asm/x86_64/string_length.asm uma_strlen_sse2 --rounds 3 7)"
echo "$out"
check_table "$out" 7
out="$("$tool" -r HEAD asm/x86_64/string_length.asm uma_wcslen_sse2 --rounds 3 7 300)"
echo "$out"
check_table "$out" 7 300

expect_refusal() {  # expect_refusal MESSAGE-PART ARGS...
  local want="$1" err status
  shift
  set +e
  err="$("$tool" "$@" 2>&1 > /dev/null)"
  status=$?
  set -e
  if [ $status -ne 2 ] || ! grep -q "$want" <<<"$err"; then
    echo "FAIL: $* exited $status: $err (expected 2 and '$want')"
    exit 1
  fi
}
expect_refusal "not a copy" asm/x86_64/kernels_sse2.asm uma_unknown_sse2
expect_refusal "no such revision" -r no-such-revision asm/x86_64/kernels_sse2.asm uma_copy_sse2
expect_refusal "does not define uma_strlen_sse2" asm/x86_64/kernels_sse2.asm uma_strlen_sse2
expect_refusal "no asm/x86_64/none.asm" asm/x86_64/none.asm uma_copy_sse2
expect_refusal "usage" asm/x86_64/kernels_sse2.asm uma_copy_sse2 64 64
expect_refusal "usage" asm/x86_64/kernels_sse2.asm uma_copy_sse2 64k
expect_refusal "usage" asm/x86_64/kernels_sse2.asm uma_copy_sse2 --distance 5 64
expect_refusal "usage" asm/x86_64/kernels_sse2.asm uma_move_sse2 --distance 0 64
KERNEL_AB_PROCESSES=0 expect_refusal "not a count" asm/x86_64/kernels_sse2.asm uma_copy_sse2
echo "1 passed, 0 failed"
