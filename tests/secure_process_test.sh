#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/secure_process_test.sh UMACCESS_INFO - a setuid (AT_SECURE) process ignores the
# UMACCESS_* environment and the per-user profile: a user must not steer the kernels of a
# privileged program. Runs a setuid-root copy of umaccess-info as an unprivileged user;
# skipped (77) where that cannot be arranged (not root, no setpriv, a nosuid file system).
set -euo pipefail
info="$1"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to make a setuid binary"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: no setpriv"; exit 77; }
dir="$(mktemp -d "${TMPDIR:-/tmp}/umaccess-secure.XXXXXX")"
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
if findmnt -no OPTIONS --target "$dir" 2>/dev/null | grep -qw nosuid; then
  echo "SKIP: $dir is on a nosuid file system"; exit 77
fi
cp "$info" "$dir/umaccess-info"
chown root:root "$dir/umaccess-info"
chmod 4755 "$dir/umaccess-info"
# A variant other than the one auto picks, for the user to ask for.
variant="$("$info" --json | sed -n 's/.*"name": "\([a-z0-9]*\)", "supported": true.*/\1/p' | tail -1)"
[ -n "$variant" ] || { echo "FAIL: no supported variant listed"; exit 1; }
mkdir -p "$dir/home/.config/umaccess"
chmod -R 755 "$dir/home"
run() {  # run as nobody, with a user's environment pointing at everything
  setpriv --reuid=65534 --regid=65534 --clear-groups \
    env -i HOME="$dir/home" XDG_CONFIG_HOME="$dir/home/.config" \
    UMACCESS_VARIANT="$variant" UMACCESS_NT_THRESHOLD=1M UMACCESS_NT_FILL_THRESHOLD=2M UMACCESS_PROFILE="$dir/home/profile" "$@" --json
}
plain="$(run "$info")"          # the same program without setuid: honours the user
secure="$(run "$dir/umaccess-info")"
grep -q '"active_source": "environment"' <<<"$plain" ||
  { echo "FAIL: the unprivileged control run did not honour UMACCESS_VARIANT"; echo "$plain"; exit 1; }
for field in '"active_source": "policy"' '"source": "policy", "reason"' '"profile": {"path": null, "status": "none"}'; do
  grep -qF "$field" <<<"$secure" ||
    { echo "FAIL: setuid run lacks $field"; echo "$secure"; exit 1; }
done
if grep -q '"source": "environment"' <<<"$secure"; then
  echo "FAIL: setuid run took a threshold from the environment"; echo "$secure"; exit 1
fi
echo "setuid run ignored UMACCESS_VARIANT, UMACCESS_NT_THRESHOLD, UMACCESS_NT_FILL_THRESHOLD and UMACCESS_PROFILE"
