#!/usr/bin/env bash
# HTTP hardening (CONTRACT.md section 5): limits on the request line, the
# headers and the body answered 400/413/431; the security headers on every
# answer, civetweb's own error answers included; no server version anywhere.
. "$(dirname "$0")/lib.sh"

flash=$(make_flash)
gh_start "$flash" || exit 1
head_max=$(awk '$1 == "#define" && $2 == "GH_REQUEST_HEADER_MAX" {print $3}' "$SRC/server/budget.h")
body_max=$((64 * 1024))

# raw WHO: send stdin as it is over TLS as WHO; the whole answer in $T/raw,
# its status code on stdout
raw() {
    timeout "${RAW_TIMEOUT:-$((4 * SLOW))}" openssl s_client -quiet -connect "127.0.0.1:$GH_PORT" -CAfile "$PKI/root.pem" \
        -cert "$PKI/$1.pem" -cert_chain "$PKI/client-ca.pem" -key "$PKI/$1.key" >"$T/raw" 2>/dev/null
    grep -aEo '^HTTP/1\.1 [0-9]{3}' "$T/raw" | head -1 | awk '{print $2}'
}
# hdr NAME: that header's value in $T/raw's first answer ("" if absent)
hdr() { sed -n '1,/^\r$/p' "$T/raw" | tr -d '\r' | awk -v n="$1" 'BEGIN{IGNORECASE=1} index(tolower($0), tolower(n) ": ") == 1 {sub(/^[^:]*: /, ""); print; exit}'; }
headers_ok() {   # DESCRIPTION [api]: the security headers on $T/raw
    local d=$1 h
    h=$(sed -n '1,/^\r$/p' "$T/raw" | tr -d '\r')
    expect_match "$d: HSTS" "$h" '^Strict-Transport-Security: max-age=[0-9]{7,}'
    expect_match "$d: CSP with frame-ancestors 'none'" "$h" "^Content-Security-Policy: .*frame-ancestors 'none'"
    expect_match "$d: X-Content-Type-Options nosniff" "$h" '^X-Content-Type-Options: nosniff'
    expect_no_match "$d: no Server header" "$h" '^Server:'
    if grep -aEq '[Cc]ivet[Ww]eb|1\.16|wolfSSL' "$T/raw"; then bad "$d: names no server software or version"
    else ok "$d: names no server software or version"; fi
    if [ "${2:-}" = api ]; then expect_match "$d: Cache-Control no-store" "$h" '^Cache-Control: no-store'; fi
}
long() { head -c "$1" /dev/zero | tr '\0' a; }

# ---- answers of our own
code=$(printf 'GET /api/whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | raw admin)
expect "GET /api/whoami: 200" "$code" 200
headers_ok "an API answer" api
code=$(printf 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | raw admin)
expect "GET /: 200" "$code" 200
headers_ok "the UI page"
code=$(printf 'GET /api/nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | raw admin)
expect "an unknown API route: 404 JSON" "$code $(hdr Content-Type)" "404 application/json"
headers_ok "a 404" api
code=$(printf 'GET /api/audit HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | raw viewer)
expect "a route the role may not use: 403" "$code" 403
headers_ok "a 403" api

# ---- civetweb's own error answers
code=$(printf 'GARBAGE\r\n\r\n' | raw admin)
expect "a malformed request line: 400" "$code" 400
headers_ok "civetweb's 400"
code=$(printf 'GET /api/whoami HTTP/9.9\r\nHost: x\r\n\r\n' | raw admin)
expect "an unknown HTTP version: 505" "$code" 505
headers_ok "civetweb's 505"
code=$({ printf 'GET /api/whoami?x=%s HTTP/1.1\r\nHost: x\r\n\r\n' "$(long $((head_max + 100)))"; sleep 1; } | raw admin)
expect "a request line over $head_max bytes: 431" "$code" 431
headers_ok "civetweb's over-size head"
code=$({ printf 'GET /api/whoami HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n' "$(long $((head_max + 100)))"; sleep 1; } | raw admin)
expect "a header over $head_max bytes: 431" "$code" 431
code=$({ printf 'GET /api/whoami HTTP/1.1\r\nHost: x\r\nX-Fits: %s\r\nConnection: close\r\n\r\n' "$(long $((head_max - 200)))"; sleep 1; } | raw admin)
expect "a head just under $head_max bytes is served" "$code" 200
code=$({ printf 'GET /api/whoami HTTP/1.1\r\nHost: x\r\n'; for i in $(seq 1 70); do printf 'X-H%d: v\r\n' "$i"; done
         printf 'Connection: close\r\n\r\n'; sleep 1; } | raw admin)
expect "70 header lines (civetweb keeps 64): 431" "$code" 431
code=$({ printf 'GET /api/whoami HTTP/1.1\r\nHost: x\r\n'; for i in $(seq 1 40); do printf 'X-H%d: v\r\n' "$i"; done
         printf 'Connection: close\r\n\r\n'; sleep 1; } | raw admin)
expect "40 header lines are served" "$code" 200
code=$({ printf 'PUT /api/certmap HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n'; sleep 1; } | raw admin)
expect "a negative Content-Length: 400" "$code" 400
code=$({ printf 'PUT /api/certmap HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n'; sleep 1; } | raw admin)
expect "an unknown Transfer-Encoding: 400" "$code" 400

# ---- bodies
long $((body_max + 1)) >"$T/big.ini"
gh_put_table admin "$T/big.ini" >"$T/put.json"
expect "PUT /api/certmap of $((body_max + 1)) bytes: 413" "$(status)" 413
expect_match "... as JSON that says why" "$(jq -r .error "$T/put.json" 2>/dev/null)" 'larger than'
# the answer comes at once, and the connection is closed rather than the
# body read (below: within a second)
code=$({ printf 'PUT /api/certmap HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000000\r\n\r\n'; sleep 2; } |
       RAW_TIMEOUT=$((3 * SLOW)) raw admin)
expect "a Content-Length of 100 GB is refused within 3 seconds: 413" "$code" 413
headers_ok "a 413" api
code=$({ printf 'PUT /api/certmap HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
         for _ in $(seq 1 70); do printf '400\r\n%s\r\n' "$(long 1024)"; done; printf '0\r\n\r\n'; sleep 1; } | raw admin)
expect "a chunked body over the limit: 413" "$code" 413
# refused while the client is still sending: the answer must not be lost to
# a reset (the close drains what is still coming, for at most a second)
long 200000 >"$T/huge.ini"
got=
for _ in 1 2 3 4 5; do
    gh_curl admin /api/certmap -X PUT -H 'Transfer-Encoding: chunked' -H 'Expect:' \
        -H 'Content-Type: text/plain' --data-binary "@$T/huge.ini" >/dev/null
    got="$got $(status)"
done
expect "a chunked upload of 200 KB streamed by curl, five times: 413 each" "$got" " 413 413 413 413 413"
long 9000 | sed 's/^/{"location":"/; s/$/"}/' >"$T/big.json"
gh_curl admin /api/settings -X PUT --data-binary "@$T/big.json" -H 'Content-Type: application/json' >/dev/null
expect "PUT /api/settings over its limit: 413" "$(status)" 413

# the audit line quotes the path: a newline or a quote in it is escaped, so
# a client cannot write a line of its own into the log
gh_curl admin '/api/nope%0Agatehouse:%20info:%20audit%20seq=999%20forged%22' >/dev/null
expect "a path with a newline: 404" "$(status)" 404
sleep 0.2
expect_no_match "... and no forged line in the log" "$(cat "$GH_LOG")" '^gatehouse: info: audit seq=999'
expect_match "... its audit line has the path escaped" "$(grep -F 'route="/api/nope' "$GH_LOG")" \
    'route="/api/nope\\x0agatehouse: info: audit seq=999 forged\\""'

# ---- strict framing (RFC 9112 sections 2.2, 5, 6, 7.1): an ambiguous request
# is refused and the connection closed at once, so that bytes a lenient
# parser would take for a body, or for the next request, never reach one.
# framed DESCRIPTION STATUSES [WAIT]: stdin as raw bytes over TLS as admin;
# exactly those answers, and the connection closed within a second
rawpy() {
    RAW_HTTP_OUT="$T/framed" python3 "$SRC/tests/integration/raw_http.py" "$GH_PORT" \
        "$PKI/admin-chain.pem" "$PKI/admin.key" "$PKI/root.pem" "${1:-$((3 * SLOW))}"
}
framed() {
    local r codes rest state secs
    r=$(rawpy "${3:-}")
    codes=${r%%|*}; rest=${r#*|}; state=${rest%%|*}; secs=${rest#*|}
    expect "$1: answered $2" "$codes" "$2"
    if [ "$state" = closed ] && awk -v s="$secs" -v m="$SLOW" 'BEGIN { exit !(s <= 1.0 * m) }'; then
        ok "$1: connection closed at once (${secs} s)"
    else
        bad "$1: connection $state after ${secs} s, expected closed within $SLOW s"
    fi
}
shopt -s lastpipe   # framed, last in a pipeline, counts its checks in this shell
next_req='GET /api/whoami HTTP/1.1\r\nHost: x\r\n\r\n'   # what a smuggler appends

# the client controls first: keep-alive still works, and "open" is told
expect "control: one keep-alive GET stays open" "$(printf 'GET /api/whoami HTTP/1.1\r\nHost: x\r\n\r\n' | rawpy 1 | cut -d'|' -f1,2)" "200|open"
printf 'GET /api/whoami HTTP/1.1\r\nHost: x\r\n\r\nGET /api/whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
    framed "control: two requests on one connection" "200 200"

printf "PUT /api/certmap HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$next_req" |
    framed "Content-Length with Transfer-Encoding" 400
expect_match "... says why" "$(cat "$T/framed")" 'Transfer-Encoding and Content-Length together'
printf "PUT /api/certmap HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n$next_req" |
    framed "Transfer-Encoding, then Content-Length" 400
printf "PUT /api/certmap HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\nabcde$next_req" |
    framed "two Content-Length headers" 400
expect_match "... says why" "$(cat "$T/framed")" 'more than one Content-Length'
printf "PUT /api/certmap HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nabcde$next_req" |
    framed "two equal Content-Length headers" 400
printf "PUT /api/certmap HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 50\r\n\r\nabcde$next_req" |
    framed "Content-Length: 5, 50" 400
expect_match "... says why" "$(cat "$T/framed")" 'Content-Length that is not a number'
printf "PUT /api/certmap HTTP/1.1\r\nHost: x\r\nContent-Length: +2\r\n\r\nab$next_req" |
    framed "Content-Length: +2" 400
printf "PUT /api/certmap HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n$next_req" |
    framed "Content-Length: 0x10" 400
printf "PUT /api/certmap HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n$next_req" |
    framed "an empty Content-Length" 400
for te in identity gzip 'gzip, chunked' 'chunked, chunked' xchunked; do
    printf "PUT /api/certmap HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: $te\r\n\r\n0\r\n\r\n$next_req" |
        framed "Transfer-Encoding: $te" 400
done
printf "PUT /api/certmap HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$next_req" |
    framed "two Transfer-Encoding headers" 400
printf "PUT /api/certmap HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$next_req" |
    framed "Transfer-Encoding in HTTP/1.0" 400
printf "PUT /api/certmap HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n$next_req" |
    framed "white space before the colon" 400
printf "GET /api/whoami HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n$next_req" |
    framed "obs-fold (a line starting with a space)" 400
printf "GET /api/whoami HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n$next_req" |
    framed "obs-fold (a line starting with a tab; civetweb refuses any tab in the head)" 400
printf "GET /api/whoami HTTP/1.1\r\n Host: x\r\n\r\n$next_req" |
    framed "a first header line starting with a space" 400
printf "PUT /api/certmap HTTP/1.1\r\nHost: x\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc$next_req" |
    framed "a header line ended by a bare LF" 400
printf "GET /api/whoami HTTP/1.1\r\nConnection: keep-alive\r\n\r\n$next_req" |
    framed "HTTP/1.1 without Host" 400
expect_match "... says why" "$(cat "$T/framed")" 'without Host'
printf "GET /api/whoami HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n$next_req" |
    framed "two Host headers" 400
expect "HTTP/1.0 without Host is served" "$(printf 'GET /api/whoami HTTP/1.0\r\n\r\n' | rawpy | cut -d'|' -f1,2)" "200|closed"
printf "GET /api/certmap%%00x HTTP/1.1\r\nHost: x\r\n\r\n$next_req" |
    framed "a NUL (%00) in the path" 400
expect_match "... says why" "$(cat "$T/framed")" 'NUL'
printf "GET /api/audit?since=1%%00 HTTP/1.1\r\nHost: x\r\n\r\n$next_req" |
    framed "a NUL (%00) in the query" 400
{ printf 'GET /api/whoami HTTP/1.1\r\nHost: x\r\n'; for i in $(seq 1 70); do printf 'X-H%d: v\r\n' "$i"; done
  printf "\r\n$next_req"; } | framed "70 header lines, keep-alive" 431
{ printf 'GET /api/whoami HTTP/1.1\r\nHost: x\r\n'; for i in $(seq 1 62); do printf 'X-H%d: v\r\n' "$i"; done
  printf 'Connection: close\r\n\r\n'; } | framed "64 header lines are served" 200
{ printf 'GET /api/whoami?x=%s HTTP/1.1\r\nHost: x\r\n\r\n' "$(long $((head_max + 100)))"; } |
    framed "a request line over $head_max bytes, keep-alive" 431

# chunked bodies: the chunk-size line is 1*HEXDIG [;extension] CRLF
chunked_put='PUT /api/certmap HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n'
printf "${chunked_put}FFFFFFFFFFFF\r\nabc" | framed "a chunk of 2^48 bytes (no data follows)" 413
expect_match "... says why" "$(cat "$T/framed")" 'larger than'
printf "${chunked_put}1000000000000000000000000\r\nabc" | framed "a chunk size of 25 hex digits" 413
printf "${chunked_put}8000\r\n$(long 32768)\r\n8001\r\nabc" | framed "chunks adding up past $body_max bytes" 413
for bad_size in 'zz' '-5' '+5' ' 5' '5 ' '0x5' ''; do
    printf "${chunked_put}${bad_size}\r\nabcde\r\n0\r\n\r\n$next_req" | framed "chunk size [$bad_size]" 400
done
printf "${chunked_put}5\nabcde\r\n0\r\n\r\n$next_req" | framed "a chunk size ended by a bare LF" 400
printf "${chunked_put}5;a=\001\r\nabcde\r\n0\r\n\r\n$next_req" | framed "a control character in a chunk extension" 400
printf "${chunked_put}5\r\nabcdeXY0\r\n\r\n$next_req" | framed "chunk data not followed by CRLF" 400
printf "${chunked_put}5\r\nabcde\r\n0\r\nX-Trailer: $(long 5000)\r\n\r\n$next_req" | framed "a trailer over 4096 bytes" 400
table_head >"$T/chunked.ini"
{ printf "${chunked_put%\\r\\n\\r\\n}\r\nConnection: close\r\n\r\n%x;name=value\r\n" "$(wc -c <"$T/chunked.ini")"
  cat "$T/chunked.ini"; printf '\r\n0\r\n\r\n'; } | framed "a well-formed chunked upload (with an extension)" 200
{ printf "${chunked_put%\\r\\n\\r\\n}\r\nConnection: close\r\n\r\n%x\r\n" "$(wc -c <"$T/chunked.ini")"
  cat "$T/chunked.ini"; printf '\r\n0\r\nX-Trailer: v\r\n\r\n'; } | framed "a chunked upload with a short trailer" 200

# a body refused by size is not waited for
printf 'PUT /api/certmap HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000000\r\n\r\nabc' |
    framed "a Content-Length of 100 GB (no body follows)" 413
printf 'PUT /api/settings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9000\r\n\r\n{' |
    framed "PUT /api/settings announcing 9000 bytes (no body follows)" 413

gh_curl admin /api/whoami >/dev/null
expect "the server still serves after all this" "$(status)" 200
finish
