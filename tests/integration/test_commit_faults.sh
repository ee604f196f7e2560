#!/usr/bin/env bash
# A commit the flash folder refuses (certmap.ini replaced by a directory,
# chattr +i) answers 500 and is rolled back: it never goes live later, on
# SIGHUP or at a restart. A leftover journal that cannot be applied does not
# stop the server: it starts on the last good files and says so in the log,
# /api/status and the audit.
. "$(dirname "$0")/lib.sh"
trap 'chattr -R -i "$T" 2>/dev/null; cleanup' EXIT   # so that the test folder can go

good_table() {
    { table_head; printf '[map "vera"]\nfingerprint = %s\nrole = operator\n' "$(fingerprint viewer)"; } >"$T/new.ini"
}
role_of_viewer() { gh_curl viewer /api/whoami | jq -r .role; }

# ---- certmap.ini replaced by a directory ----
flash=$(make_flash f1)
cp "$flash/certmap.ini" "$T/orig.ini"
gh_start "$flash" || exit 1
good_table
before=$(role_of_viewer)
mv "$flash/certmap.ini" "$T/moved.ini"; mkdir "$flash/certmap.ini"
body=$(gh_put_table admin "$T/new.ini")
expect "an upload when certmap.ini is a directory: 500" "$(status)" 500
expect_match "... saying why and that nothing changed" "$(printf '%s' "$body" | jq -r .error)" 'nothing changed.*certmap\.ini.*directory'
expect "... the table in force is the old one" "$(role_of_viewer)" "$before"
expect "... no journal is left" "$(ls -A "$flash" | grep -c -E '^\.(journal|rollback)$')" 0
rmdir "$flash/certmap.ini"; mv "$T/moved.ini" "$flash/certmap.ini"
gh_reload
expect "after the fault is mended, a SIGHUP does not bring the refused table" "$(role_of_viewer)" "$before"
gh_stop; gh_start "$flash" || exit 1
expect "... nor does a restart" "$(role_of_viewer)" "$before"
expect "... the flash holds the old table" "$(cat "$flash/certmap.ini")" "$(cat "$T/orig.ini")"
gh_put_table admin "$T/new.ini" >/dev/null
expect "the same upload once mended: 200" "$(status)" 200
expect "... and in force" "$(role_of_viewer)" operator
gh_stop

# ---- chattr +i (needs a filesystem that has it) ----
flash=$(make_flash f2)
if ! chattr +i "$flash/certmap.ini" 2>/dev/null; then
    echo "# skip: chattr +i is not available here"
else
    gh_start "$flash" || { chattr -i "$flash/certmap.ini"; exit 1; }
    before=$(role_of_viewer)
    body=$(gh_put_table admin "$T/new.ini")
    expect "an upload when certmap.ini is immutable: 500" "$(status)" 500
    expect_match "... saying it was rolled back" "$(printf '%s' "$body" | jq -r .error)" 'rolled back'
    gh_reload
    expect "... a SIGHUP keeps the old table" "$(role_of_viewer)" "$before"
    gh_stop
    gh_start "$flash"
    expect "... a restart with the fault still there starts, on the old table" "$(role_of_viewer)" "$before"
    gh_stop
    chattr -i "$flash/certmap.ini"
    gh_start "$flash" || exit 1
    expect "... and after chattr -i the refused table never comes back" "$(role_of_viewer)" "$before"
    gh_stop

    # ---- a leftover journal that cannot be applied ----
    flash=$(make_flash f3)
    cp "$flash/certmap.ini" "$T/orig.ini"
    gen=$(cat "$flash/.generation" 2>/dev/null || echo 0)
    cp "$T/new.ini" "$flash/certmap.ini.tmp"
    printf '%s\n' $((gen + 1)) >"$flash/.generation.tmp"
    python3 - "$flash/.journal" $((gen + 1)) <<'EOF'
import sys, zlib
path, gen = sys.argv[1], int(sys.argv[2])
text = "gatehouse-flash-journal 1\ngeneration %d\nput certmap.ini\nput .generation\n" % gen
text += "crc %08x\n" % (zlib.crc32(text.encode()) & 0xffffffff)
open(path, "w").write(text)
EOF
    chattr +i "$flash/certmap.ini"
    gh_start "$flash"; started=$?
    expect "a journal that cannot be applied: the server starts anyway" "$started" 0
    expect_match "... the log says it rolled back" "$(cat "$GH_LOG")" 'could not be completed and was rolled back.*certmap\.ini.*starting on the last good files'
    gh_curl admin /api/status >/dev/null
    expect_match "... /api/status says so" "$(jq -r .gatehouse.flash_recovery "$T/body")" 'rolled back'
    expect "... the audit has it" "$(gh_curl admin /api/audit | jq -r '[.[] | select(.reason=="rolled-back")] | length')" 1
    expect "... the table in force is the last good one" "$(gh_curl admin /api/certmap)" "$(cat "$T/orig.ini")"
    expect "... the journal is gone" "$(ls -A "$flash" | grep -c -E '^\.(journal|rollback)$')" 0
    gh_stop
    chattr -i "$flash/certmap.ini"
    gh_start "$flash" || exit 1
    expect "... after the fault is mended the rolled-back table does not come back" "$(gh_curl admin /api/certmap)" "$(cat "$T/orig.ini")"
    gh_curl admin /api/status >/dev/null
    expect "... and /api/status has nothing to report" "$(jq -r .gatehouse.flash_recovery "$T/body")" null
    gh_stop
fi

finish
