#!/usr/bin/env bash
# soak.sh: minutes of mixed traffic against one server, sampling its RSS (from
# /proc) and, when /api/status carries them, its pool statistics, to show that
# memory stays flat: no leak per request, per refused handshake, per reload or
# per provisioning.
#
#   tests/bench/soak.sh BUILD_DIR [SECONDS]        (default 300; loopback only)
#   e.g. tests/bench/soak.sh build 600
#
# BUILD_DIR is a configured and built tree (server/gatehouse, tests/gh_loadgen,
# pki/ from `ctest -R pki` or certs/make-pki.sh BUILD_DIR/pki). Each round:
# 20 admin requests, 2 refused clients (expired; no certificate), a reload
# (SIGHUP) every 5th round, a provisioning PUT every 7th, a 1-second
# connection flood every 10th. Samples go to BUILD_DIR/soak.csv
# (seconds,rss_kb,requests,tls_used,web_used). The verdict compares the
# highest RSS of the last third with the highest of the second third (after
# warm-up): "flat" when it grew by at most SOAK_RSS_SLACK_KB (default 256),
# exit 1 otherwise. Figures, and one verdict; the fixed pools mean RSS only
# grows while their pages are first touched.
set -u
build=${1:?usage: soak.sh BUILD_DIR [SECONDS]}
duration=${2:-300}
build=$(cd "$build" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
export GATEHOUSE=$build/server/gatehouse PKI=$build/pki SRC=$src
loadgen=$build/tests/gh_loadgen
[ -x "$GATEHOUSE" ] && [ -x "$loadgen" ] && [ -f "$PKI/admin.pem" ] || {
    echo "soak: needs $GATEHOUSE, $loadgen and $PKI (build the tree, run ctest -R pki)" >&2; exit 2; }
. "$src/tests/integration/lib.sh"

flash=$(make_flash)
gh_start "$flash" || exit 2
csv=$build/soak.csv
echo "seconds,rss_kb,requests,tls_used,web_used" >"$csv"
rss() { awk '/^VmRSS/{print $2}' "/proc/$GH_PID/status"; }
pools() {   # "tls_used web_used" from /api/status when it has them, else "- -"
    gh_curl admin /api/status | jq -r '[(.pools.tls.used // "-"), (.pools.web.used // "-")] | join(" ")' 2>/dev/null || echo "- -"
}
table_head >"$T/table.ini"
cat "$flash/certmap.ini" | sed '1,/^$/d' >>"$T/table.ini"

start=$(date +%s)
round=0 requests=0 last_sample=-10
while [ $(( $(date +%s) - start )) -lt "$duration" ]; do
    round=$((round + 1))
    # 20 requests on one keep-alive connection
    args=()
    for _ in $(seq 1 20); do args+=(-o /dev/null "https://127.0.0.1:$GH_PORT/api/whoami"); done
    curl -sS --max-time 20 --cacert "$PKI/root.pem" --cert "$PKI/admin-chain.pem" --key "$PKI/admin.key" \
        "${args[@]}" 2>/dev/null && requests=$((requests + 20))
    gh_curl expired /api/whoami >/dev/null
    gh_curl - /api/whoami >/dev/null
    [ $((round % 5)) -eq 0 ] && gh_reload >/dev/null
    [ $((round % 7)) -eq 0 ] && gh_put_table admin "$T/table.ini" >/dev/null
    [ $((round % 10)) -eq 0 ] && "$loadgen" flood "$GH_PORT" 1 >/dev/null
    now=$(( $(date +%s) - start ))
    if [ $((now - last_sample)) -ge 10 ]; then
        last_sample=$now
        read -r tls web <<<"$(pools)"
        echo "$now,$(rss),$requests,$tls,$web" >>"$csv"
    fi
    if ! kill -0 "$GH_PID" 2>/dev/null; then echo "soak: the server died"; exit 1; fi
done
gh_stop

n=$(($(wc -l <"$csv") - 1))
if [ "$n" -lt 6 ]; then echo "soak: too few samples ($n); run longer"; exit 2; fi
third=$((n / 3))
mid=$(tail -n +2 "$csv" | sed -n "$((third + 1)),$((2 * third))p" | cut -d, -f2 | sort -n | tail -1)
last=$(tail -n +2 "$csv" | tail -n "$third" | cut -d, -f2 | sort -n | tail -1)
slack=${SOAK_RSS_SLACK_KB:-256}
echo "soak: $duration s, $round rounds, $requests requests; samples in $csv"
echo "soak: RSS max of the middle third $mid kB, of the last third $last kB (slack $slack kB)"
column -s, -t "$csv" | sed -n '1p;2p;$p'
if [ $((last - mid)) -le "$slack" ]; then echo "soak: flat"; else echo "soak: RSS grew by $((last - mid)) kB"; exit 1; fi
