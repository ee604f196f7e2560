#!/usr/bin/env bash
# Memory runs out, cleanly (issue 5). The server is built with a TLS pool for
# 2 sessions at their peak (gatehouse_small_pool: GH_TLS_SESSIONS=2, workers
# as usual), so more concurrent mutual-TLS connections than that budget find
# no memory: their handshakes are refused, the refusal is logged and counted,
# nothing crashes, connections that got in keep working, and once the
# connections close the pool is whole again: the same number of clients gets
# in as before, and then everyone.
. "$(dirname "$0")/lib.sh"

: "${GATEHOUSE_SMALL_POOL:?set GATEHOUSE_SMALL_POOL (tests/CMakeLists.txt)}"
FLOOD=7   # one less than GH_WORKERS: every connection has a worker, memory is what runs out

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
    for i in $(seq 1 $FLOOD); do hold "$i" admin; sleep $((1 * SLOW)); done
    settle
    FITS=$(answered)
}
fits; first=$FITS
expect_match "some connections get in ($first of $FLOOD)" "$first" '^[1-6]$'
expect "the server is still running" "$(kill -0 "$GH_PID" 2>/dev/null && echo yes)" yes
expect_match "the refusal is logged as memory running out" "$(cat "$GH_LOG")" \
    'warning: out of memory: the TLS pool \([0-9]+ bytes, budget.h\) refused'
expect_match "... and counted" "$(grep 'out of memory' "$GH_LOG" | tail -1)" '\(([1-9][0-9]*) in all\)'
gh_curl admin /api/whoami >/dev/null
expect_match "while the pool is full a new client is refused too" "$(status)" '^000$'
release
wait_served
expect "once they close, service resumes" "$(status)" 200

fits; second=$FITS
expect "the pool came back whole: as many get in the second time" "$second" "$first"
release
wait_served

# all at once
rm -f "$T"/hold.*
for i in $(seq 1 $FLOOD); do hold "$i" admin; done
settle
n=$(answered)
expect_match "a flood of $FLOOD at once: some get in, the rest are refused ($n)" "$n" '^[1-6]$'
expect "the server is still running" "$(kill -0 "$GH_PID" 2>/dev/null && echo yes)" yes
release
wait_served
expect "after the flood, service resumes" "$(status)" 200
ok=0
for i in 1 2 3 4 5; do gh_curl viewer /api/whoami >/dev/null; [ "$(status)" = 200 ] && ok=$((ok + 1)); done
expect "... for everyone, one connection after another" "$ok" 5
gh_stop

finish
