#!/usr/bin/env bash
# The audit under a flood (README "Audit"): refused handshakes and requests,
# provisioning, reloads and warnings live in a ring of their own that allowed
# requests cannot overwrite; GET /api/audit?kind= filters; repeated requests
# are summarised in the log, so its volume stays bounded at any request rate.
. "$(dirname "$0")/lib.sh"

budget() { awk -v n="$1" '$1 == "#define" && $2 == n {print $3}' "$SRC/server/budget.h"; }
req_ring=$(budget GH_AUDIT_REQUEST_RECORDS)
slots=$(budget GH_AUDIT_SUMMARY_SLOTS)
# a few thousand requests on two keep-alive connections at once (fewer under
# an emulator or valgrind; still many times the request ring)
flood=3000
[ "$SLOW" -gt 1 ] && flood=600

flash=$(make_flash)
# the C library's heap instead of the pools: the server warns about it at
# start-up, which gives a warning record
export GATEHOUSE_SYSTEM_HEAP=1
gh_start "$flash" || exit 1
unset GATEHOUSE_SYSTEM_HEAP

# ---- the events that matter, before the flood
gh_curl expired /api/whoami >/dev/null
gh_curl viewer /api/audit >/dev/null
expect "a request the role may not make: 403" "$(status)" 403
r=$(printf 'GET /api/whoami HTTP/1.1\r\nConnection: keep-alive\r\n\r\n' |
    python3 "$SRC/tests/integration/raw_http.py" "$GH_PORT" "$PKI/admin-chain.pem" "$PKI/admin.key" "$PKI/root.pem" $((3 * SLOW)))
expect "a request without Host: 400" "${r%%|*}" 400
gh_curl admin /api/certmap >"$T/table.ini"
gh_put_table admin "$T/table.ini" >/dev/null
expect "an upload of the same table: 200" "$(status)" 200
gh_reload || bad "SIGHUP reload logged"
before=$(gh_curl admin '/api/audit?limit=1' | jq -r '.[0].seq')
expect_match "the newest record before the flood has a seq" "$before" '^[0-9]+$'

# ---- the flood: allowed requests only
start=$(date +%s)
curl -sS --max-time $((300 * SLOW)) --cacert "$PKI/root.pem" --cert "$PKI/admin-chain.pem" --key "$PKI/admin.key" \
    -o /dev/null -w '%{http_code}\n' "https://127.0.0.1:$GH_PORT/api/whoami?[1-$flood]" >"$T/flood1" 2>"$T/flood1.err" &
f1=$!
curl -sS --max-time $((300 * SLOW)) --cacert "$PKI/root.pem" --cert "$PKI/operator-chain.pem" --key "$PKI/operator.key" \
    -o /dev/null -w '%{http_code}\n' "https://127.0.0.1:$GH_PORT/api/status?[1-$flood]" >"$T/flood2" 2>"$T/flood2.err" &
f2=$!
wait "$f1" "$f2"
secs=$(( $(date +%s) - start ))
expect "admin's $flood GET /api/whoami all answered 200" "$(grep -c '^200$' "$T/flood1")" "$flood"
expect "operator's $flood GET /api/status all answered 200" "$(grep -c '^200$' "$T/flood2")" "$flood"
echo "# $((2 * flood)) requests in $secs s"

# ---- the request ring turned over; the security ring did not
gh_curl admin '/api/audit?kind=request&limit=64' >"$T/req.json"
expect "kind=request: a full page of $req_ring" "$(jq length "$T/req.json")" "$req_ring"
expect "... all of them from the flood" "$(jq --argjson b "$before" '[.[] | select(.seq <= $b)] | length' "$T/req.json")" 0
gh_curl admin '/api/audit?kind=security&limit=64' >"$T/sec.json"
expect "kind=security: 200" "$(status)" 200
has() {   # DESCRIPTION JQ-CONDITION: one record of $T/sec.json matches
    if [ "$(jq "[.[] | select($2)] | length" "$T/sec.json")" -ge 1 ]; then ok "after the flood, kind=security still has $1"
    else bad "after the flood, kind=security lacks $1: $(jq -c '[.[] | [.kind, .status, .reason]]' "$T/sec.json")"; fi
}
has "the refused handshake" '.kind == "handshake" and .reason == "expired"'
has "the refused request" '.kind == "request" and .status == 403 and .reason == "role-forbidden" and .role == "viewer"'
has "the request refused for its framing" '.kind == "request" and .status == 400 and (.detail | test("without Host"))'
has "the provisioning" '.kind == "provision" and .status == 200'
has "the reload" '.kind == "reload" and .reason == "ok"'
has "the start-up warning" '.kind == "warning" and (.detail | test("GATEHOUSE_SYSTEM_HEAP"))'
expect "... and no allowed request" "$(jq '[.[] | select(.kind == "request" and .status < 400)] | length' "$T/sec.json")" 0
expect "... newest first" "$(jq '[.[].seq] == ([.[].seq] | sort | reverse)' "$T/sec.json")" true

# ---- the other filters, with since and limit
for k in handshake provision reload warning; do
    gh_curl admin "/api/audit?kind=$k" >"$T/k.json"
    expect "kind=$k: only $k records, at least one" \
        "$(jq --arg k "$k" '(length > 0) and all(.[]; .kind == $k)' "$T/k.json")" true
done
gh_curl admin '/api/audit?kind=security&limit=2' >"$T/k.json"
expect "kind=security&limit=2: two records" "$(jq length "$T/k.json")" 2
pseq=$(jq '[.[] | select(.kind == "provision")][0].seq' "$T/sec.json")
gh_curl admin "/api/audit?kind=security&since=$pseq" >"$T/k.json"
expect "kind=security&since=(the upload's seq): only newer records, the reload among them" \
    "$(jq --argjson p "$pseq" 'all(.[]; .seq > $p) and any(.[]; .kind == "reload")' "$T/k.json")" true
gh_curl admin '/api/audit?limit=5' >"$T/k.json"
expect "no kind: every kind, limit=5 kept" "$(jq length "$T/k.json")" 5
gh_curl admin '/api/audit?kind=all&limit=3' >"$T/k.json"
expect "kind=all&limit=3" "$(jq length "$T/k.json")" 3
body=$(gh_curl admin '/api/audit?kind=bogus')
expect "an unknown kind: 400" "$(status)" 400
expect_match "... naming it" "$(printf '%s' "$body" | jq -r .error)" 'Unknown audit kind "bogus"'
gh_curl admin '/api/audit?kind=' >/dev/null
expect "an empty kind: 400" "$(status)" 400

# more keys than the summary table holds: 2 x slots distinct refused routes
many=$((2 * slots))
curl -sS --max-time $((60 * SLOW)) --cacert "$PKI/root.pem" --cert "$PKI/admin-chain.pem" --key "$PKI/admin.key" \
    -o /dev/null -w '%{http_code}\n' "https://127.0.0.1:$GH_PORT/api/nope[1-$many]" >"$T/many" 2>/dev/null
expect "$many distinct unknown routes: all 404" "$(grep -c '^404$' "$T/many")" "$many"
gh_curl admin '/api/audit?kind=security&limit=64' >"$T/k.json"
expect "... each a security record" "$(jq '[.[] | select(.status == 404)] | length' "$T/k.json")" 64

# ---- the log: each certificate's repeats are summarised
gh_stop   # SIGTERM writes the last summary lines
nope_full=$(grep -F 'audit seq=' "$GH_LOG" | grep -c 'route="/api/nope')
nope_over=$(sed -n 's/.*audit summary count=\([0-9]*\) .* records of more certificates and routes than the summary table holds.*/\1/p' "$GH_LOG" |
            awk '{ s += $1 } END { print s + 0 }')
expect_match "the summary table full: some of the $many routes written in full" "$nope_full" '^[1-9][0-9]*$'
if [ "$nope_full" -lt "$many" ] && [ "$((nope_full + nope_over))" -eq "$many" ]; then
    ok "... the other $nope_over counted in one overflow line"
else
    bad "... $nope_full written in full and $nope_over counted as overflow, expected $many in all with an overflow"
fi
wkey="route=\"/api/whoami\" fingerprint=$(fingerprint admin)"
skey="route=\"/api/status\" fingerprint=$(fingerprint operator)"
full=$(grep -F 'audit seq=' "$GH_LOG" | grep -F "$wkey" | grep -c 'status=200')
counted=$(grep -F 'audit summary' "$GH_LOG" | grep -F "$wkey" | sed -n 's/.*summary count=\([0-9]*\).*/\1/p' |
          awk '{ s += $1 } END { print s + 0 }')
expect_match "admin's flood: one line in full per interval" "$full" '^[1-9]$'
expect "... and the rest counted in summary lines: $flood in all" "$((full + counted))" "$flood"
full=$(grep -F 'audit seq=' "$GH_LOG" | grep -F "$skey" | grep -c 'status=200')
counted=$(grep -F 'audit summary' "$GH_LOG" | grep -F "$skey" | sed -n 's/.*summary count=\([0-9]*\).*/\1/p' |
          awk '{ s += $1 } END { print s + 0 }')
expect "operator's flood: $flood in all, full lines and counts" "$((full + counted))" "$flood"
lines=$(grep -c 'audit ' "$GH_LOG")
intervals=$(( secs / $(budget GH_AUDIT_SUMMARY_INTERVAL_S) + 1 ))
bound=$(( intervals * (2 * slots + 1) + 10 ))
if [ "$lines" -le "$bound" ]; then ok "the log has $lines audit lines for $((2 * flood + many)) requests (bound $bound)"
else bad "the log has $lines audit lines for $((2 * flood + many)) requests, more than $bound"; fi
bytes=$(wc -c <"$GH_LOG")
if [ "$bytes" -lt 65536 ]; then ok "the log is $bytes bytes"; else bad "the log is $bytes bytes (not summarised?)"; fi
finish
