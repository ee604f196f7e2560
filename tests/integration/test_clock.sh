#!/usr/bin/env bash
# A wrong clock (CONTRACT.md section 7, "Clock"): the server starts and
# reloads whatever the system clock says, judges dates against a floor for
# "now" (the build time, the latest trusted time seen, kept in flash as
# clock.floor and written rarely), and says which clock is in use.
# The server's clock is set with libfaketime (Debian: faketime); the clients
# keep the real one.
#
# Exits 77 (ctest: skipped) when libfaketime cannot reach the server: not
# installed, or under qemu-user (the guest's clock calls do not go through
# the host's libc). Under AddressSanitizer, which wants its runtime first
# among the libraries, the check of that order is switched off.
. "$(dirname "$0")/lib.sh"

FT=
for f in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
    if [ -f "$f" ]; then FT=$f; break; fi
done
if [ -z "$FT" ]; then
    echo "# SKIP: needs libfaketime (apt-get install faketime)"; exit 77
fi
if [ -n "$RUNNER" ]; then
    echo "# SKIP: under an emulator ($RUNNER) LD_PRELOAD of the host's libfaketime cannot set the guest's clock"; exit 77
fi
preload="LD_PRELOAD=$FT"
case "${GH_SANITIZE:-}" in
    ON|on|TRUE|true|1|YES|yes) preload="$preload ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" ;;
esac

# at TIME: the next gh_start runs the server with its clock at TIME
# ("@2040-01-01 00:00:00", running on from there); "" for the real clock
at() {
    if [ -n "$1" ]; then
        export FAKETIME="$1" FAKETIME_DONT_FAKE_MONOTONIC=1
        RUNNER="env $preload"
    else
        unset FAKETIME
        RUNNER=
    fi
}
floor_file() { cat "$flash/clock.floor" 2>/dev/null || echo none; }
clock() { gh_curl admin /api/status | jq -r ".clock.$1"; }
# the newest audit record of a subject's requests: "REASON DETAIL"
audit_of() {
    gh_curl admin "/api/audit" |
        jq -r --arg s "$1" '[.[] | select((.subject // "") | startswith($s))][0] | "\(.reason) \(.detail)"'
}

flash=$(make_flash)
# notyet (valid in five years) and expired (ended two days ago) are mapped,
# so that a handshake they pass shows as 200
printf '\n[map "nina"]\nfingerprint = %s\nrole = viewer\n\n[map "erik"]\nfingerprint = %s\nrole = viewer\n' \
    "$(fingerprint notyet)" "$(fingerprint expired)" >>"$flash/certmap.ini"

# ---- a trusted clock: a floor two hours behind is raised and saved at once ----
# Ten days ahead of the real clock: past the build time, whenever that was
# (a fresh commit is the build time of a fresh build), and the demo PKI
# (CRL included) still valid.
now=$(($(date +%s) + 10 * 86400))
printf '%s 0\n' $((now - 7200)) >"$flash/clock.floor"
at "+10d"
gh_start "$flash" || exit 1
expect "a trusted system clock is the clock in use" "$(clock source)" system
saved=$(floor_file)
expect_match "a floor two hours behind the trusted clock is saved at start" "$saved" '^[0-9]+ 1$'
f=${saved% *}
expect "... as the time now" "$([ "$f" -ge "$now" ] && [ "$f" -le $((now + 30 * SLOW)) ] && echo yes)" yes
gen=$(gh_curl admin /api/status | jq -r .gatehouse.generation)
for _ in 1 2 3 4 5; do gh_curl viewer /api/whoami >/dev/null; done
gh_reload; gh_reload
expect "requests and reloads do not write the floor (at most hourly)" "$(floor_file)" "$saved"
gh_stop
after=$(floor_file)
expect_match "shutdown saves the floor once more" "$after" '^[0-9]+ 2$'
expect "... never lower" "$([ "${after% *}" -ge "$f" ] && echo yes)" yes
gh_start "$flash" || exit 1
expect "the clock's flash commits are not configuration generations" \
    "$(gh_curl admin /api/status | jq -r .gatehouse.generation)" "$gen"
expect "a restart within the hour does not write the floor at start" "$(floor_file)" "$after"
gh_stop
expect_match "... only at shutdown" "$(floor_file)" '^[0-9]+ 3$'
floor=$(floor_file | cut -d' ' -f1)
saved=$(floor_file)

# ---- 1970, a board without a battery-backed clock: the floor ----
at "@1970-01-01 00:00:10"
gh_start "$flash" || exit 1
ok "the server starts with its clock at 1970"
expect_match "... and says so" "$(cat "$GH_LOG")" 'system clock \(1970-01-01T00:00:[0-9]+Z\) is behind the floor'
expect "/api/status: the floor is the clock in use" "$(clock source)" floor
expect "... the floor is the saved one" "$(clock floor)" "$floor"
expect "... and now is the floor" "$(clock now)" "$floor"
expect_match "... the system clock reads 1970" "$(clock system)" '^[0-9]{1,3}$'
gh_curl admin /api/whoami >/dev/null
expect "a client valid at the floor is served" "$(status)" 200
expect "... without a warning" "$(audit_of "CN=Alice Admin")" "ok null"
gh_curl notyet /api/whoami >/dev/null
expect "a client valid only after the floor is served (its start cannot be judged)" "$(status)" 200
expect_match "... with the warning clock-unknown in the audit" "$(audit_of "CN=Nina Notyet")" '^ok clock-unknown: '
expect "a client that expired before the floor is refused: certificate_expired" "$(gh_alert expired)" "certificate expired"
expect_match "... audited as expired" "$(audit_of "CN=Erik Expired")" '^expired '
expect "crl.pem (current at the floor) still refuses what it lists" "$(gh_alert revoked)" "certificate revoked"
gh_reload
expect_match "a reload at 1970 is accepted" "$(tail -n 3 "$GH_LOG")" 'configuration generation 2 active'
gh_curl admin /api/whoami >/dev/null
expect "... and serves" "$(status)" 200
gh_stop
expect "an unknown clock never writes the floor" "$(floor_file)" "$saved"

# no clock.floor at all: the build time is the floor
rm "$flash/clock.floor"
gh_start "$flash" || exit 1
expect_match "without clock.floor the floor is the build time" "$(cat "$GH_LOG")" 'behind the floor \([^)]*, the build time\)'
b=$(clock floor)
expect "... a time of this decade, not later than now" "$([ "$b" -gt 1700000000 ] && [ "$b" -le "$(date +%s)" ] && echo yes)" yes
gh_curl admin /api/whoami >/dev/null
expect "... and the server serves" "$(status)" 200
gh_stop
expect "... and still writes nothing" "$(floor_file)" none

# ---- while running, the floor is saved hourly ----
# The server's clock 120 times as fast: its once-a-minute look at the clock
# comes two hours on.
printf '%s 5\n' "$(($(date +%s) + 10 * 86400))" >"$flash/clock.floor"
before=$(floor_file)
at "+10d x120"
gh_start "$flash" || exit 1
for _ in $(seq 1 $((90 * SLOW))); do
    [ "$(floor_file)" != "$before" ] && break
    sleep 1
done
now_saved=$(floor_file)
expect_match "a running server saves the floor when it is an hour ahead" "$now_saved" '^[0-9]+ 6$'
expect "... as the trusted time then (two hours on)" \
    "$(d=$((${now_saved% *} - ${before% *})); [ "$d" -ge 3600 ] && [ "$d" -le $((4 * 3600 * SLOW)) ] && echo yes)" yes
gh_stop
rm "$flash/clock.floor"

# ---- the same on a raw partition: the floor survives there too ----
part=$T/flash.img
slot=$(grep -Eo 'GH_FLASH_RAW_SLOT_SIZE +\(([0-9]+) \* 1024\)' "$SRC/server/budget.h" | grep -Eo '[0-9]+ \*' | grep -Eo '[0-9]+')
truncate -s $((2 * slot * 1024)) "$part"
mkdir "$T/raw"; cp "$flash"/*.ini "$flash"/*.pem "$flash/server.key" "$T/raw/"
# a factory floor two hours behind the clock below (a leap of days would not
# be followed without NTP)
printf '%s 0\n' $(($(date +%s) + 10 * 86400 - 7200)) >"$T/raw/clock.floor"
"$GATEHOUSE" flash write --flash "raw:$part" "$T/raw"/* >/dev/null
at "+10d"
gh_start "raw:$part" || exit 1
expect "raw: the generation is the factory's" "$(gh_curl admin /api/status | jq -r .gatehouse.generation)" 1
gh_stop
gh_start "raw:$part" || exit 1
expect "raw: ... after a start and a shutdown that saved the floor" "$(gh_curl admin /api/status | jq -r .gatehouse.generation)" 1
gh_stop
at "@1970-01-01 00:00:10"
gh_start "raw:$part" || exit 1
b=$(clock floor)
expect "raw: at 1970 the floor is the time saved ten days ahead" \
    "$([ "$b" -ge $(($(date +%s) + 10 * 86400 - 600)) ] && echo yes)" yes
gh_stop

# ---- 2040: a clock far ahead is used; what expired by then is refused ----
at "@2040-01-01 00:00:00"
gh_start "$flash" || exit 1
ok "the server starts with its clock at 2040 (server.pem and ca.pem expired by then)"
expect_no_match "... and trusts it (no client can ask /api/status: all expired by then)" "$(cat "$GH_LOG")" 'behind the floor'
expect "a client whose CA expired by then is refused: certificate_expired" "$(gh_alert admin)" "certificate expired"
gh_reload
expect_match "a reload at 2040 is accepted" "$(tail -n 3 "$GH_LOG")" 'configuration generation 2 active'
expect "... and still refuses what expired" "$(gh_alert viewer)" "certificate expired"
gh_stop
# A clock years ahead must not become the floor (it would refuse every
# certificate once the clock is put right), unless the kernel says a time
# daemon vouches for it.
if grep -q 'far ahead of the floor .* not NTP-synchronised' "$GH_LOG"; then
    expect_no_match "a 2040 clock the kernel does not call synchronised is not saved as the floor" \
        "$(floor_file)" '^22089[0-9]{5} '
    f=$(floor_file | cut -d' ' -f1)
    expect "... the floor is a time of now, not 2040" \
        "$([ "$f" -gt 1700000000 ] && [ "$f" -le $(($(date +%s) + 86400)) ] && echo yes)" yes
else
    expect_match "an NTP-synchronised 2040 clock is saved as the floor" "$(floor_file)" '^22089[0-9]{5} '
fi

finish
