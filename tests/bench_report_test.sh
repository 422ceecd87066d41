#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/bench_report_test.sh REPORT - umaccess-bench-report (bench/main.cpp) runs each
# variant's series in a process of its own: the child prints one "B <name> <ns> <bytes/s>"
# line per benchmark of its variant and nothing else on stdout, and the parent's report
# shows that variant's column beside memcpy and auto. x86-64: sse2 is on every such CPU.
set -euo pipefail
bin="$1"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# The child alone.
lines="$("$bin" --variant-child sse2 --quick \
  --benchmark_filter='copy_from_user/uma:sse2/a0/hot/(8|64)/' 2> "$out/child.err")" ||
  fail "the child exited with $?: $(cat "$out/child.err")"
[ "$(grep -cE '^B copy_from_user/uma:sse2/a0/hot/(8|64)/[^ ]* [0-9.e+-]+ [0-9.e+-]+$' <<<"$lines")" -eq 2 ] ||
  fail "no line for each of the two benchmarks: $lines"
[ "$(wc -l <<<"$lines")" -eq 2 ] || fail "more than the two lines on stdout: $lines"

# The whole program, filtered to a corner of the matrix: the sse2 column comes from its child,
# which writes its raw output beside the report's, and a --benchmark_out of the caller's is
# not the children's to truncate.
echo keep > "$out/caller.json"
"$bin" --quick --benchmark_filter='copy_from_user/(memcpy|auto|uma:sse2)/a0/hot/(8|64)/' \
  --benchmark_out="$out/caller.json" --out "$out" > "$out/stdout" 2> "$out/stderr" ||
  fail "the report exited with $?: $(tail -5 "$out/stderr")"
[ "$(cat "$out/caller.json")" = keep ] || fail "the caller's --benchmark_out file was written"
grep -q '"copy_from_user/uma:sse2/a0/hot/8/' "$out/benchmarks.uma-sse2.json" ||
  fail "no raw output of the sse2 child"
grep -q '"copy_from_user/auto/a0/hot/8/' "$out/benchmarks.json" || fail "no raw output of the report"
table="$(sed -n '/^## Per length: CopyFromUser, every variant/,/^### s1d3/p' "$out/report.md")"
grep -q '^| length | memcpy ns | auto | sse2 |$' <<<"$table" || fail "no sse2 column: $table"
for n in 8 64; do
  grep -qE "^\| $n B \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \|$" <<<"$table" || fail "no $n B row: $table"
done
echo "ok"
