#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/kernel_ab_test.sh SOURCE_DIR LIBRARY - bench/kernel_ab.sh runs as documented (both
# link orders, a row per length asked for) and refuses what it cannot compare. Needs the
# source tree's git history (skipped, 77, in an export without it).
set -euo pipefail
src="$1" lib="$2"
git -C "$src" rev-parse --verify -q HEAD > /dev/null || { echo "not a git checkout: skipped"; exit 77; }
tool="$src/bench/kernel_ab.sh"
out="$(UMACCESS_LIB="$lib" PROCESSES=2 "$tool" -r HEAD asm/x86_64/kernels_sse2.asm uma_copy_sse2 \
       --rounds 3 64 300)"
echo "$out"
[ "$(grep -c '^== ' <<<"$out")" -eq 2 ] || { echo "FAIL: not two link orders"; exit 1; }
[ "$(grep -cE '^ +64 +[0-9.]+ +[0-9.]+ \(' <<<"$out")" -eq 2 ] || { echo "FAIL: no 64-byte row per order"; exit 1; }
[ "$(grep -cE '^ +300 ' <<<"$out")" -eq 2 ] || { echo "FAIL: no 300-byte row per order"; exit 1; }
expect_refusal() {  # expect_refusal MESSAGE-PART ARGS...
  local want="$1" err status
  shift
  set +e
  err="$(UMACCESS_LIB="$lib" "$tool" "$@" 2>&1 > /dev/null)"
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
echo "1 passed, 0 failed"
