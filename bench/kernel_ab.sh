#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/kernel_ab.sh - compare an x86-64 kernel as it is in the working tree with the same
# kernel at another revision, side by side in one process (bench/kernel_ab.cpp), in both
# link orders. See "Comparing two kernels" in docs/performance.md.
#
#   bench/kernel_ab.sh [-r REV] ASM_FILE KERNEL [kernel_ab options and lengths...]
#
#   REV       the revision to compare with (default HEAD)
#   ASM_FILE  the NASM file that defines KERNEL, e.g. asm/x86_64/string_length.asm or
#             asm/x86_64/kernels_avx2.asm
#   KERNEL    a copy kernel (uma_copy_<isa>, uma_copy_nt_<isa>), a move kernel
#             (uma_move_<isa>, on overlapping buffers), a fill kernel (uma_fill_<isa>,
#             uma_fill_nt_<isa>) or a string kernel (uma_strlen_<isa>, uma_wcslen_<isa>),
#             timed beside glibc's memcpy, memmove, memset or strlen (for a wide string,
#             strlen over as many bytes; lengths in units); the kind follows from the name
#   the rest  passed to the driver: --rounds N, --offset SRC[,DST], --distance D (a move's
#             dst - src, default 5), lengths (bytes, or units for a wide string)
#
# Each link order runs in KERNEL_AB_PROCESSES fresh processes (default 5): on the Zen 4 VM
# the same binary read 0.55 in one process and 0.85 in the next for an 8-byte fill, so one
# process is one sample. The tables give, per length, the median over the processes of each
# process's median ratio, with their range.
#
# Each version is assembled from its own asm/ tree, its defined symbols renamed (old_...,
# new_...) so that both link beside the library, whose dispatcher and fault handling they
# share: UMACCESS_LIB if set, else build-release/libumaccess.a, brought up to date first
# (an incremental Release build of that one target). asm/abi.h must be the same at both
# revisions: the kernels read the library's published thresholds at its offsets. The driver
# is compiled with $CXX (default g++) and linked with -lcpu_features.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REV=HEAD
if [[ "${1:-}" == "-r" ]]; then
  REV="${2:?-r needs a revision}"
  shift 2
fi
if [[ $# -lt 2 ]]; then
  sed -n '7,23p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
ASM_FILE="$1"
KERNEL="$2"
shift 2

case "$KERNEL" in
  uma_copy_*) KIND=COPY ;;
  uma_move_*) KIND=MOVE ;;
  uma_fill_*) KIND=FILL ;;
  uma_strlen_*) KIND=STRING ;;
  uma_wcslen_*) KIND=WIDE_STRING ;;
  *) echo "kernel_ab: $KERNEL: not a copy (uma_copy_*, uma_move_*), fill (uma_fill_*) or" \
          "string (uma_strlen_*, uma_wcslen_*) kernel" >&2
     exit 2 ;;
esac
[[ "$(uname -m)" == x86_64 ]] || { echo "kernel_ab: x86-64 kernels only" >&2; exit 2; }
[[ -f "$ROOT/$ASM_FILE" ]] || { echo "kernel_ab: no $ASM_FILE in the working tree" >&2; exit 2; }
git -C "$ROOT" rev-parse --verify -q "$REV^{commit}" > /dev/null ||
  { echo "kernel_ab: $REV: no such revision" >&2; exit 2; }
git -C "$ROOT" cat-file -e "$REV:$ASM_FILE" 2> /dev/null ||
  { echo "kernel_ab: no $ASM_FILE at $REV" >&2; exit 2; }
if ! git -C "$ROOT" diff --quiet "$REV" -- asm/abi.h; then
  echo "kernel_ab: asm/abi.h differs between $REV and the working tree: the old kernel would" \
       "read the library's published data at the wrong offsets" >&2
  exit 2
fi

PROCESSES="${KERNEL_AB_PROCESSES:-5}"
[[ "$PROCESSES" =~ ^[1-9][0-9]*$ ]] ||
  { echo "kernel_ab: KERNEL_AB_PROCESSES=$PROCESSES: not a count" >&2; exit 2; }
CXX="${CXX:-g++}"

if [[ -n "${UMACCESS_LIB:-}" ]]; then
  LIB="$UMACCESS_LIB"
  [[ -f "$LIB" ]] || { echo "kernel_ab: UMACCESS_LIB=$LIB: no such library" >&2; exit 2; }
else
  # Never a stale library: the incremental build is a no-op when nothing changed.
  LIB="$ROOT/build-release/libumaccess.a"
  if [[ ! -f "$ROOT/build-release/CMakeCache.txt" ]]; then
    cmake -S "$ROOT" -B "$ROOT/build-release" -DCMAKE_BUILD_TYPE=Release > /dev/null
  fi
  cmake --build "$ROOT/build-release" --target umaccess_static > /dev/null
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/old" "$WORK/new"
git -C "$ROOT" archive "$REV" asm | tar -x -C "$WORK/old"
cp -r "$ROOT/asm" "$WORK/new/"

# asm/abi.h's `#define NAME <integer>` lines as NASM %defines (as CMakeLists.txt does).
sed -n 's|^#define \([A-Z][A-Z0-9_]*\) \([0-9][0-9a-fA-Fx]*\).*|%define \1 \2|p' \
  "$ROOT/asm/abi.h" > "$WORK/abi.inc"

# assemble VERSION PREFIX LABEL: VERSION's ASM_FILE, its defined globals renamed
# PREFIX_<name>.
assemble() {
  local dir="$WORK/$1" prefix="$2" label="$3"
  nasm -f elf64 -I"$dir/asm/x86_64/" -I"$WORK/" -o "$WORK/$prefix.o" "$dir/$ASM_FILE"
  nm -g --defined-only "$WORK/$prefix.o" | awk -v p="$prefix" '{print $3, p "_" $3}' \
    > "$WORK/$prefix.syms"
  objcopy --redefine-syms="$WORK/$prefix.syms" "$WORK/$prefix.o"
  awk -v k="$KERNEL" '$1 == k { found = 1 } END { exit !found }' "$WORK/$prefix.syms" ||
    { echo "kernel_ab: $ASM_FILE at $label does not define $KERNEL" >&2; exit 2; }
}
assemble old old "$REV"
assemble new new "the working tree"

# link FIRST SECOND: the driver with FIRST's object linked first (the lower addresses).
link() {
  "$CXX" -O2 -std=c++20 -I"$ROOT/include" "-DKERNEL_KIND_$KIND" "-DFIRST=$1_$KERNEL" \
    "-DSECOND=$2_$KERNEL" "$ROOT/bench/kernel_ab.cpp" "$WORK/$1.o" "$WORK/$2.o" "$LIB" \
    -lcpu_features -lpthread -o "$WORK/ab_$1_first"
}
link old new
link new old
# The driver's own arguments, checked before anything is timed.
"$WORK/ab_old_first" --check "$@" || exit 2

# run ORDER ARGS...: PROCESSES runs of ab_ORDER_first, then per length the median and range over the
# processes of each column.
run() {
  local order="$1" p
  shift
  for ((p = 0; p < PROCESSES; ++p)); do
    "$WORK/ab_${order}_first" "$@" > "$WORK/run_${order}_$p.txt" || exit 1
  done
  head -1 "$WORK/run_${order}_0.txt"
  echo "# over $PROCESSES processes: median (least-most) of the processes' medians"
  awk '
    /^ *[0-9]/ {
      n = $1; if (!(n in seen)) { seen[n] = 1; order[++count] = n }
      for (c = 2; c <= 5; ++c) v[n, c, ++k[n, c]] = $c
    }
    function med(n, c,   m, i, j, t, a) {
      m = k[n, c]; for (i = 1; i <= m; ++i) a[i] = v[n, c, i]
      for (i = 2; i <= m; ++i) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; --j) a[j + 1] = a[j]; a[j + 1] = t }
      lo = a[1]; hi = a[m]
      return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
    }
    END {
      printf "%8s %10s %20s %20s %20s\n", "length", "ref ns", "A/ref", "B/ref", "B/A"
      for (i = 1; i <= count; ++i) {
        n = order[i]; printf "%8s %10.2f", n, med(n, 2)
        for (c = 3; c <= 5; ++c) { m = med(n, c); printf " %7.3f (%.2f-%.2f)", m, lo, hi }
        printf "\n"
      }
    }' "$WORK"/run_"$order"_*.txt
}

echo "== $KERNEL: $REV (old) against the working tree (new); old linked first"
run old "$@"
echo "== the same, new linked first (B/A is then old / new)"
run new "$@"
