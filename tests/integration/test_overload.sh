#!/usr/bin/env bash
# Overload: 100 slowloris clients and a connection flood at once,
# from 127.0.0.2..201 (gh_loadgen talks to 127.0.0.1 only). The admin still
# gets an answer within a few seconds, the server does not crash, its RSS
# stays within its fixed pools, and the slow connections are closed by the
# server (tls.c: handshake deadlines). Bounded: about 40 seconds.
. "$(dirname "$0")/lib.sh"
: "${LOADGEN:?set LOADGEN to the gh_loadgen binary}"

flash=$(make_flash)
gh_start "$flash" || exit 1
rss() { awk '/^VmRSS/{print $2}' "/proc/$GH_PID/status" 2>/dev/null; }
# warm up: a few admin requests touch what a handshake needs
for _ in 1 2 3; do gh_curl admin /api/whoami >/dev/null; done
rss0=$(rss)

"$LOADGEN" slow "$GH_PORT" 100 $((25 * SLOW)) >"$T/slow.out" 2>&1 &
slow_pid=$!
"$LOADGEN" flood "$GH_PORT" $((15 * SLOW)) >"$T/flood.out" 2>&1 &
flood_pid=$!
sleep 3

admin_ok=0
worst=0
for i in 1 2 3; do
    t0=$(date +%s%N)
    gh_curl admin /api/whoami >/dev/null
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ "$ms" -gt "$worst" ] && worst=$ms
    [ "$(status)" = 200 ] && [ "$ms" -lt $((5000 * SLOW)) ] && admin_ok=$((admin_ok + 1))
    echo "# admin request $i during the attack: $(status) in $ms ms"
    sleep 2
done
expect "during 100 slowloris clients and a flood, admin gets 200 within 5 s, 3 times out of 3" "$admin_ok" 3
rss1=$(rss)
wait "$flood_pid"; wait "$slow_pid"
echo "# $(cat "$T/slow.out")"
echo "# $(cat "$T/flood.out")"
expect "the server did not crash" "$(kill -0 "$GH_PID" 2>/dev/null && echo alive)" alive
closed=$(sed -n 's/.* \([0-9]*\) closed by the server.*/\1/p' "$T/slow.out")
expect "every slow client was closed by the server" "$closed" 100
# Every capacity is fixed (budget.h): RSS grows only as pages are first
# touched. ASan's quarantine keeps freed memory on purpose, so a sanitizer
# build gets a larger allowance.
budget_kb=$((16 * 1024))
if [ "${GH_SANITIZE:-OFF}" = ON ]; then budget_kb=$((256 * 1024)); fi
echo "# RSS before $rss0 kB, during $rss1 kB, after $(rss) kB (allowed growth $budget_kb kB)"
expect "RSS stayed within $budget_kb kB of where it started" \
    "$([ $(( ${rss1:-0} - rss0 )) -le $budget_kb ] && [ $(( $(rss) - rss0 )) -le $budget_kb ] && echo yes)" yes
gh_curl admin /api/whoami >/dev/null
expect "admin is served after the attack" "$(status)" 200
# an idle TLS connection (handshake done, no request) is closed by the
# server: watch the socket (s_client itself only notices when it next reads)
{ sleep $((20 * SLOW)); } | timeout $((25 * SLOW)) openssl s_client -quiet -connect "127.0.0.1:$GH_PORT" \
    -CAfile "$PKI/root.pem" -cert "$PKI/admin.pem" -cert_chain "$PKI/client-ca.pem" -key "$PKI/admin.key" \
    >"$T/idle.out" 2>&1 &
idle_pid=$!
established() { ss -Htn state established "( sport = :$GH_PORT )" 2>/dev/null | wc -l; }
sleep 2
open_at_2=$(established)
gone=
for s in $(seq 3 $((19 * SLOW))); do
    sleep 1
    if [ "$(established)" -eq 0 ]; then gone=$s; break; fi
done
kill "$idle_pid" 2>/dev/null; wait "$idle_pid" 2>/dev/null
echo "# the idle connection was closed after about ${gone:-more than 19} s"
expect "an idle connection is open after its handshake" "$open_at_2" 1
expect_match "... and closed by the server within the request timeout ($(awk '$2 == "GH_REQUEST_TIMEOUT_MS" {print $3 / 1000}' "$SRC/server/budget.h") s)" \
    "${gone:-none}" '^([0-9]|1[0-2])$'
finish
