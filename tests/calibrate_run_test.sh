#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/calibrate_run_test.sh CALIBRATE INFO - umaccess-calibrate --quick as a user runs it:
# either it writes a profile that the dispatcher then loads (umaccess-info names the profile
# as the source of what it set) and that a profile edited to another CPU's key is ignored
# with a warning, or it refuses (exit 3, a noisy machine) and writes nothing.
set -euo pipefail
calibrate="$1" info="$2"
dir="$(mktemp -d "${TMPDIR:-/tmp}/umaccess-calibrate.XXXXXX")"
trap 'rm -rf "$dir"' EXIT
profile="$dir/sub/profile"
set +e
"$calibrate" --quick --output "$profile"
status=$?
set -e
if [ $status -eq 3 ]; then
  [ ! -e "$profile" ] || { echo "FAIL: refused, yet wrote $profile"; exit 1; }
  echo "calibration refused on a noisy machine, nothing written"
  echo "1 passed, 0 failed"
  exit 0
fi
[ $status -eq 0 ] || { echo "FAIL: umaccess-calibrate exited $status"; exit 1; }
cat "$profile"
json="$(UMACCESS_PROFILE="$profile" "$info" --json)"
grep -q '"status": "loaded"' <<<"$json" || { echo "FAIL: profile not loaded"; echo "$json"; exit 1; }
grep -q '"active_source": "profile"' <<<"$json" || { echo "FAIL: the variant's source is not the profile"; exit 1; }
[ "$(grep -c '"source": "profile"' <<<"$json")" -ge 1 ] || { echo "FAIL: no threshold from the profile"; exit 1; }
# Refuses to overwrite without --force.
if "$calibrate" --quick --output "$profile" 2>/dev/null; then echo "FAIL: overwrote without --force"; exit 1; fi
# Edited to another CPU's key: ignored with one warning naming why.
sed 's/^cpu.model .*/cpu.model 4095/' "$profile" > "$dir/other"
err="$(UMACCESS_PROFILE="$dir/other" "$info" --json 2>&1 >/dev/null)"
grep -q "ignored: measured for family/model/stepping" <<<"$err" || { echo "FAIL: no warning: $err"; exit 1; }
UMACCESS_PROFILE="$dir/other" "$info" --json 2>/dev/null | grep -q '"status": "ignored: measured for' ||
  { echo "FAIL: another CPU's profile was not ignored"; exit 1; }
echo "1 passed, 0 failed"
