#!/usr/bin/env bash
# First boot: with no certmap.ini in flash the firmware's default
# table (--defaults, read-only) applies; the first provisioning writes the
# device's own table to flash, which wins from then on.
. "$(dirname "$0")/lib.sh"

flash=$(make_flash)
defaults=$T/defaults
mkdir -p "$defaults"
{ printf '[certmap]\nversion = 1\n\n[map "factory-admin"]\nfingerprint = %s\nrole = admin\n' "$(fingerprint admin)"; } > "$defaults/certmap.ini"
chmod -R a-w "$defaults"
rm "$flash/certmap.ini"

gh_start "$flash" --defaults "$defaults" || exit 1
expect_match "start-up says the firmware default table is in force" "$(cat "$GH_LOG")" "firmware default table"
expect "the default table decides" "$(gh_curl admin /api/whoami | jq -r '.role + " " + .mapping')" "admin factory-admin"
gh_curl viewer /api/whoami >/dev/null
expect "a viewer is not in the default table" "$(status)" 403
expect "GET /api/certmap shows the default table" "$(gh_curl admin /api/certmap)" "$(cat "$defaults/certmap.ini")"

{ table_head; printf '[map "vera"]\nfingerprint = %s\nrole = viewer\n' "$(fingerprint viewer)"; } > "$T/own.ini"
gh_put_table admin "$T/own.ini" >/dev/null
expect "the first provisioning is accepted" "$(status)" 200
expect "... and written to flash" "$(cat "$flash/certmap.ini")" "$(cat "$T/own.ini")"
expect "... and the default folder is untouched" "$(grep -c factory-admin "$defaults/certmap.ini")" 1
gh_stop
gh_start "$flash" --defaults "$defaults" || exit 1
expect "after a restart the flash table wins over the default" "$(gh_curl viewer /api/whoami | jq -r .mapping)" "vera"
gh_stop

rm "$flash/certmap.ini"
out=$($RUNNER "$GATEHOUSE" serve --flash "$flash" --listen 127.0.0.1:1 2>&1) && rc=0 || rc=$?
expect "no table anywhere: exit 1" "$rc" 1
expect_match "... with one line that says so" "$out" "certmap\.ini: missing \(not in flash, and no firmware default table\)"
chmod -R u+w "$defaults"
finish
