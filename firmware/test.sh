#!/usr/bin/env bash
# test.sh BINARY WORKDIR: the firmware image on an emulated aarch64 board.
#
# Builds the image (firmware/build-image.sh) around BINARY (a static aarch64
# gatehouse) and a demo flash, boots it under qemu-system-aarch64
# (firmware/boot.sh) and checks, from this machine as a client would:
#   - admin gets in with a client certificate; a certificate from another CA,
#     or none, ends the handshake with the alert that says why;
#   - the init script restarts gatehouse when it crashes;
#   - a provisioned table (PUT /api/certmap) survives a clean power-off
#     (`poweroff` on the console) and the flash's ext4 is clean afterwards;
#   - a power cut (SIGKILL to QEMU) during an upload, at several delays,
#     leaves a device that boots and serves the old or the new table, never a
#     broken one.
# Prints TAP-like lines and "N passed, N failed" (tests/integration/lib.sh).
# GH_FW_KILLS: how many power cuts (default 4). KEEP=1 keeps WORKDIR's logs.
set -u
if [ $# -ne 2 ]; then echo "usage: test.sh BINARY WORKDIR" >&2; exit 2; fi
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
work=$(cd "$work" && pwd)

export SRC=$here/..
export PKI=$work/pki
export GATEHOUSE=$bin
export GATEHOUSE_SLOW=${GATEHOUSE_SLOW:-4}   # a TCG-emulated board: slow handshakes
. "$SRC/tests/integration/lib.sh"

state=$work/state
fw_cleanup() {
    sh "$here/boot.sh" kill "$state" 2>/dev/null || true
}
trap 'fw_cleanup; cleanup' EXIT

t0=$(date +%s)
rm -rf "$work/pki" "$work/flashdir"
bash "$SRC/certs/make-pki.sh" "$PKI" >"$work/pki.log" 2>&1 || { cat "$work/pki.log"; bad "the demo PKI is made"; finish; exit 1; }
bash "$SRC/certs/make-flash.sh" "$PKI" "$work/flashdir" >/dev/null || { bad "the demo flash folder is made"; finish; exit 1; }
if ! sh "$here/build-image.sh" "$work/img" "$bin" "$work/flashdir" >"$work/image.log" 2>&1; then
    cat "$work/image.log"; bad "the image is built"; finish; exit 1
fi
ok "the image is built ($(awk '/^initramfs/ {print $2}' "$work/img/manifest.txt") bytes initramfs, $(awk '/^kernel/ {print $2}' "$work/img/manifest.txt"))"
echo "# image built in $(($(date +%s) - t0)) s"
flash=$work/img/flash.img

GH_PORT=$(free_port)
boot() {   # boot DESCRIPTION: start the board, wait for HTTPS
    local t
    t=$(date +%s)
    if sh "$here/boot.sh" start "$work/img" "$state" "$GH_PORT" >"$T/boot.out" 2>&1; then
        ok "$1 (HTTPS after $(($(date +%s) - t)) s)"
        return 0
    fi
    bad "$1"; sed 's/^/#   /' "$T/boot.out"
    return 1
}
console() {   # console COMMAND: type a line into the board's root shell
    bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1; printf "%s\n" "$2" >&3; sleep 0.5' _ "$(cat "$state/console.port")" "$1"
}
power_off() {   # power_off DESCRIPTION: `poweroff` on the console, then check the ext4
    if sh "$here/boot.sh" stop "$state" >"$T/stop.out" 2>&1; then ok "$1"; else bad "$1"; sed 's/^/#   /' "$T/stop.out"; fi
    if e2fsck -fn "$flash" >"$T/fsck.out" 2>&1; then
        ok "... and the flash's ext4 is clean"
    else
        bad "... and the flash's ext4 is clean"; sed 's/^/#   /' "$T/fsck.out"
    fi
}

# ---- first boot: who gets in
t1=$(date +%s)
boot "the image boots and serves HTTPS" || { finish; exit 1; }
# A figure, not a test: the shipping binary's memory on the board, read on
# its console right after start-up (boot.sh's one HTTPS check came first).
console 'echo "IDLE-$(pidof gatehouse): $(grep -E "^(Rss|Pss|Pss_Anon|Pss_File|Pss_Shmem):" /proc/$(pidof gatehouse)/smaps_rollup | tr -s " " | tr "\n" " ")"'
pss=
for _ in $(seq 1 $((10 * SLOW))); do
    pss=$(tr -d '\r' <"$state/console.log" | grep -E '^IDLE-[0-9]+: Rss' | tail -1 | cut -d: -f2-)
    [ -n "$pss" ] && break
    sleep 0.5
done
echo "# gatehouse on the board after start-up (kB):${pss:- not read from the console}"
body=$(gh_curl admin /api/whoami)
expect "admin gets 200 from /api/whoami" "$(status)" 200
expect "... as admin" "$(printf '%s' "$body" | jq -r .role 2>/dev/null)" admin
expect "a certificate from another CA: unknown_ca" "$(gh_alert other)" "unknown ca"
expect "no certificate: certificate_required" "$(gh_alert - -tls1_3)" "certificate required"
gh_curl unmapped /api/whoami >/dev/null
expect "a valid certificate no mapping names: 403" "$(status)" 403
body=$(gh_curl admin /api/status)
expect_match "the status page shows the board" "$(printf '%s' "$body" | jq -r '.interfaces[].addresses[]' 2>/dev/null | tr '\n' ' ')" '10\.0\.2\.15/24'
echo "# first boot and checks: $(($(date +%s) - t1)) s"

# ---- the init script restarts a crashed server
console 'kill -SEGV $(pidof gatehouse)'
restarted=no
for _ in $(seq 1 $((30 * SLOW))); do
    if grep -q 'gatehouse exited with status' "$state/console.log"; then
        gh_curl admin /api/whoami >/dev/null
        if [ "$(status)" = 200 ]; then restarted=yes; break; fi
    fi
    sleep 0.5
done
expect "after a crash init restarts gatehouse and admin gets in again" "$restarted" yes

# ---- provisioning survives a clean power-off
table() {   # table N: the demo table and one more mapping, named for N
    cat "$work/flashdir/certmap.ini"
    printf '\n[map "fw-upload-%s"]\nfingerprint = %s\nrole = viewer\n' "$1" "$(fingerprint unmapped)"
}
orig=$(gh_curl admin /api/certmap)
expect "admin reads the table the image was built with" "$orig" "$(cat "$work/flashdir/certmap.ini")"
count=$(grep -c '^\[map ' "$work/flashdir/certmap.ini")
table 1 >"$T/t1.ini"
t=$(date +%s%N)
body=$(gh_put_table admin "$T/t1.ini")
put_ms=$((($(date +%s%N) - t) / 1000000))
expect "PUT /api/certmap with one more mapping: 200" "$(status)" 200
expect "... answers the mapping count" "$(printf '%s' "$body" | jq -r .mappings 2>/dev/null)" $((count + 1))
gen1=$(printf '%s' "$body" | jq -r .generation 2>/dev/null)
expect_match "... and a generation" "$gen1" '^[0-9]+$'
echo "# an upload took $put_ms ms"
gh_curl unmapped /api/whoami >/dev/null
expect "the newly mapped certificate gets in at once" "$(status)" 200

power_off "poweroff on the console stops the board"
expect_match "gatehouse got SIGTERM and stopped before the flash was unmounted" \
    "$(tr -d '\r' <"$state/console.log" | grep -E 'gatehouse stopped|flash unmounted' | tr '\n' ' ')" \
    'gatehouse stopped .*flash unmounted'
boot "the board boots again" || { finish; exit 1; }
expect "after the reboot the provisioned table is active" "$(gh_curl admin /api/certmap)" "$(cat "$T/t1.ini")"
gh_curl unmapped /api/whoami >/dev/null
expect "... and the newly mapped certificate still gets in" "$(status)" 200
expect "... at the same generation" "$(gh_curl admin /api/whoami | jq -r .generation 2>/dev/null)" "$gen1"

# ---- power cuts during an upload
# Delays spread over the measured upload time, so some cuts land before the
# commit, some inside it and some after.
kills=${GH_FW_KILLS:-4}
old=$T/t1.ini
olds=0 news=0
for k in $(seq 1 "$kills"); do
    new=$T/t$((k + 1)).ini
    table $((k + 1)) >"$new"
    delay_ms=$((put_ms * (2 * k - 1) / (2 * kills) + put_ms / 4))
    gh_put_table admin "$new" >/dev/null &
    putpid=$!
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    sh "$here/boot.sh" kill "$state"
    wait "$putpid" 2>/dev/null
    if ! boot "power cut $k of $kills (${delay_ms} ms into an upload): the board boots"; then
        tail -20 "$state/console.log" | sed 's/^/#   /'
        break
    fi
    now=$(gh_curl admin /api/certmap)
    if [ "$now" = "$(cat "$old")" ]; then
        ok "... and serves the old table"; olds=$((olds + 1))
    elif [ "$now" = "$(cat "$new")" ]; then
        ok "... and serves the new table"; news=$((news + 1)); old=$new
    else
        bad "... and serves the old or the new table: got $(printf '%s' "$now" | head -c 300)"
    fi
    gh_curl admin /api/whoami >/dev/null
    expect "... and admin gets in" "$(status)" 200
done
echo "# power cuts: $olds left the old table, $news the new one"
power_off "the board powers off after the power cuts"

echo "# firmware test: $(($(date +%s) - t0)) s in all"
finish
