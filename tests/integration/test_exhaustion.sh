#!/usr/bin/env bash
# Memory runs out, cleanly. The server is built with 16 workers and
# a TLS pool for two sessions at their peak (gatehouse_small_pool:
# GH_WORKERS=16, GH_TLS_SESSIONS=2), so that more concurrent mutual-TLS
# connections than that budget holds find no memory: their handshakes are
# refused, the refusal is logged and counted, nothing crashes, connections
# that got in keep working, and once the connections close the pool is whole
# again: the same number of clients gets in as before, and then everyone.
. "$(dirname "$0")/lib.sh"

: "${GATEHOUSE_SMALL_POOL:?set GATEHOUSE_SMALL_POOL (tests/CMakeLists.txt)}"
FLOOD=15   # one less than its GH_WORKERS: every connection has a worker, memory is what runs out

HOLDERS=()
# hold N WHO: a connection that makes one request, then stays open, idle; in
# a session of its own, so that release can end the whole pipeline
hold() {
    setsid bash -c '{ printf "GET /api/whoami HTTP/1.1\r\nHost: x\r\n\r\n"; sleep 120; } |
        openssl s_client -quiet -connect "127.0.0.1:$1" -CAfile "$2/root.pem" \
            -cert "$2/$3-chain.pem" -key "$2/$3.key"' _ "$GH_PORT" "$PKI" "$2" >"$T/hold.$1" 2>&1 &
    HOLDERS+=($!)
}
release() {
    local p
    [ "${#HOLDERS[@]}" -gt 0 ] || return 0
    for p in "${HOLDERS[@]}"; do kill -- "-$p" 2>/dev/null; done
    wait "${HOLDERS[@]}" 2>/dev/null
    HOLDERS=()
}
trap 'release; cleanup' EXIT
answered() { grep -l "HTTP/1.1 200" "$T"/hold.* 2>/dev/null | wc -l; }
settle() { sleep $((2 * SLOW)); }   # handshakes done, answers written

# wait_served: the server closed the held connections and admin gets in
wait_served() {
    for _ in $(seq 1 $((50 * SLOW))); do
        gh_curl admin /api/whoami >/dev/null
        [ "$(status)" = 200 ] && return 0
        sleep 0.2
    done
    return 1
}

flash=$(make_flash)
GATEHOUSE=$GATEHOUSE_SMALL_POOL gh_start "$flash" || exit 1

# one at a time: how many fit (in FITS; not in $(...): the holders must stay ours)
fits() {
    local i
    rm -f "$T"/hold.*
    for i in $(seq 1 $FLOOD); do hold "$i" admin; sleep "$(awk -v s="$SLOW" 'BEGIN {print 0.4 * s}')"; done
    settle
    FITS=$(answered)
}
fits; first=$FITS
expect_match "some connections get in ($first of $FLOOD)" "$first" '^([1-9]|1[0-4])$'
expect "the server is still running" "$(kill -0 "$GH_PID" 2>/dev/null && echo yes)" yes
expect_match "the refusal is logged as memory running out" "$(cat "$GH_LOG")" \
    'warning: out of memory: the TLS pool \([0-9]+ bytes, budget.h\) refused'
expect_match "... and counted" "$(grep 'warning: out of memory' "$GH_LOG" | tail -1)" '\(([1-9][0-9]*) in all\)'
gh_curl admin /api/whoami >/dev/null
expect_match "while the pool is full a new client is refused too" "$(status)" '^000$'
release
wait_served
expect "once they close, service resumes" "$(status)" 200
expect "/api/status counts the pool's refusals" \
    "$(gh_curl admin /api/status | jq -r '.gatehouse.memory.tls.refusals > 0')" true
expect_match "the audit log has the refused handshakes, reason out-of-memory" \
    "$(gh_curl admin '/api/audit?limit=64' | jq -r '[.[] | select(.reason == "out-of-memory")] | length')" '^[1-9][0-9]*$'

fits; second=$FITS
expect "the pool came back whole: as many get in the second time" "$second" "$first"
release
wait_served

# all at once
rm -f "$T"/hold.*
for i in $(seq 1 $FLOOD); do hold "$i" admin; done
settle
n=$(answered)
expect_match "a flood of $FLOOD at once: some get in, the rest are refused ($n)" "$n" '^([1-9]|1[0-4])$'
expect "the server is still running" "$(kill -0 "$GH_PID" 2>/dev/null && echo yes)" yes
release
wait_served
expect "after the flood, service resumes" "$(status)" 200
ok=0
for i in 1 2 3 4 5; do gh_curl viewer /api/whoami >/dev/null; [ "$(status)" = 200 ] && ok=$((ok + 1)); done
expect "... for everyone, one connection after another" "$ok" 5
gh_stop

# The admin reserve (pool_admit): a client that is not an admin is refused
# at its handshake when it would leave less than one handshake's worth of TLS
# memory, so an admin still gets in while other clients hold the rest. In the
# small-pool server, viewers one after another: some get in, then they are
# refused, and an admin is served.
GATEHOUSE=$GATEHOUSE_SMALL_POOL gh_start "$flash" || exit 1
rm -f "$T"/hold.*
for i in $(seq 1 6); do hold "$i" viewer; sleep "$(awk -v s="$SLOW" 'BEGIN {print 0.4 * s}')"; done
settle
v=$(answered)
expect_match "viewers holding connections: some get in ($v of 6)" "$v" '^[1-5]$'
gh_curl viewer /api/whoami >/dev/null
expect "then a viewer is refused: what is left is kept for an admin" "$(status)" 000
t0=$(date +%s%N)
gh_curl admin /api/whoami >/dev/null
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect "... and an admin gets in" "$(status)" 200
expect_match "... at once (${ms} ms)" "$ms" '^[0-9]{1,3}$|^[1-4][0-9]{3}$'
expect_match "the refusal is in the audit log, with its reason" \
    "$(gh_curl admin '/api/audit?limit=40' | jq -r '[.[] | select(.reason == "admin-reserve")][0] | "\(.subject)|\(.detail)"')" \
    '^CN=Vera Viewer.*\|TLS memory is low .* the rest is kept for an admin$'
expect_match "... and counted in /api/status" \
    "$(gh_curl admin /api/status | jq -r '.gatehouse.memory.admissions_refused')" '^[1-9][0-9]*$'
release
wait_served
gh_curl viewer /api/whoami >/dev/null
expect "once the viewers are gone, a viewer gets in again" "$(status)" 200
gh_stop

finish
