#!/usr/bin/env bash
# The TLS configuration as a scanner sees it (CONTRACT.md section 1): TLS 1.2
# and 1.3 only, ECDHE with an AEAD only, no renegotiation, no compression, no
# session tickets and no resumption (a resumed session would skip the client
# certificate checks).
#
# sslscan (Debian package) checks protocols, renegotiation, Heartbleed, the
# TLS 1.3 suites and the key exchange groups. Its TLS 1.2 probe offers 344
# cipher suites in one ClientHello, more than wolfSSL takes (150,
# WOLFSSL_MAX_SUITE_SZ: "malformed buffer input"), so sslscan reports TLS 1.2
# as disabled; every TLS 1.2 suite OpenSSL knows is therefore also offered
# one by one with openssl s_client.
. "$(dirname "$0")/lib.sh"

if ! command -v sslscan >/dev/null; then
    bad "sslscan is installed (apt-get install sslscan; toolchain/install-deps.sh test)"
    finish; exit
fi

flash=$(make_flash)
gh_start "$flash" || exit 1

# sslscan dies of SIGPIPE when the server closes first: ignore it.
# It also stops now and then in the middle of its Heartbleed probe, with exit
# status 0 or 1 and nothing said: then run it again (three times at most).
for try in 1 2 3; do
    (trap '' PIPE; timeout $((120 * SLOW)) sslscan --no-colour --show-sigs \
        --certs="$PKI/admin-chain.pem" --pk="$PKI/admin.key" "127.0.0.1:$GH_PORT") >"$T/sslscan.txt" 2>&1
    rc=$?
    [ "$rc" -eq 0 ] && grep -q 'SSL Certificate:' "$T/sslscan.txt" && break
    echo "# sslscan exited with $rc (try $try): $(tail -c 200 "$T/sslscan.txt" | tr '\n' ' ')"
done
scan=$(cat "$T/sslscan.txt")
for p in SSLv2 SSLv3 TLSv1.0 TLSv1.1; do
    expect_match "sslscan: $p disabled" "$scan" "^$p +disabled"
done
expect_match "sslscan: TLSv1.3 enabled" "$scan" '^TLSv1\.3 +enabled'
expect_match "sslscan: no session renegotiation" "$scan" 'Session renegotiation not supported'
hb=$(grep -iE 'heartbleed$' "$T/sslscan.txt" | grep -v '^ *Heartbleed:')
expect_match "sslscan: Heartbleed was probed" "$hb" 'heartbleed'
expect_no_match "sslscan: not vulnerable to Heartbleed" "$hb" '(^|[^t]) vulnerable'
accepted=$(grep -E '^(Preferred|Accepted) ' "$T/sslscan.txt")
expect_match "sslscan: suites were listed" "$accepted" 'TLSv1\.3'
expect_no_match "sslscan: every accepted TLS 1.3 suite is AEAD (no CCM_8)" "$accepted" 'CCM_8|NULL'
groups=$(sed -n '/Key Exchange Group/,/^$/p' "$T/sslscan.txt" | grep -E '^TLSv' | awk '{print $4}' | sort -u | tr '\n' ' ')
expect "sslscan: key exchange groups are x25519, P-256, P-384 only" "$groups" "secp256r1 secp384r1 x25519 "

# ---- every suite, one at a time, with openssl (a client certificate lets
# the handshake finish, so "accepted" means the server chose it)
offer() {   # VERSION-OPTION CIPHER-OPTION NAME: prints the negotiated suite or "-"
    timeout $((10 * SLOW)) openssl s_client -connect "127.0.0.1:$GH_PORT" -CAfile "$PKI/root.pem" \
        -cert "$PKI/admin.pem" -cert_chain "$PKI/client-ca.pem" -key "$PKI/admin.key" \
        "$1" "$2" "$3" </dev/null >"$T/offer.out" 2>&1
    awk '/^New, .*Cipher is /{ if ($NF != "(NONE)") { print $NF; f=1 } } END{if(!f) print "-"}' "$T/offer.out" | head -1
}
got12=""
for c in $(openssl ciphers 'ALL:COMPLEMENTOFALL:@SECLEVEL=0' | tr ':' ' '); do
    case $c in TLS_*) continue ;; esac   # the TLS 1.3 names, below
    r=$(offer -tls1_2 -cipher "$c:@SECLEVEL=0")
    [ "$r" != - ] && got12="$got12$r "
done
expect "TLS 1.2: exactly the ECDHE + AEAD suites for the server's EC key are accepted" \
    "$(printf '%s\n' $got12 | sort | tr '\n' ' ')" \
    "ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-ECDSA-CHACHA20-POLY1305 "
got13=""
for c in TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256 TLS_AES_128_CCM_SHA256 TLS_AES_128_CCM_8_SHA256; do
    r=$(offer -tls1_3 -ciphersuites "$c")
    [ "$r" != - ] && got13="$got13$r "
done
expect "TLS 1.3: the GCM and ChaCha20 suites are accepted, CCM is not" "$got13" \
    "TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256 "
for v in -tls1 -tls1_1; do
    expect "$v is refused whatever the suite" "$(offer "$v" -cipher 'ALL:@SECLEVEL=0')" "-"
done

# ---- compression, tickets, resumption, renegotiation
offer -tls1_2 -cipher 'ECDHE-ECDSA-AES128-GCM-SHA256' >/dev/null
expect_match "TLS 1.2: no compression" "$(cat "$T/offer.out")" '^Compression: NONE'
expect_no_match "TLS 1.2: no session ticket" "$(cat "$T/offer.out")" 'TLS session ticket:'

resumed() {   # VERSION: "no-session" when the server gave nothing to resume with,
              # else "New" or "Reused" for a second connection offering it
    local v=$1
    rm -f "$T/sess.pem"
    printf 'GET /api/whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
        timeout $((10 * SLOW)) openssl s_client -connect "127.0.0.1:$GH_PORT" -CAfile "$PKI/root.pem" \
            -cert "$PKI/admin.pem" -cert_chain "$PKI/client-ca.pem" -key "$PKI/admin.key" -ign_eof \
            "$v" -sess_out "$T/sess.pem" >"$T/first.out" 2>&1
    if grep -q 'TLS session ticket:' "$T/first.out"; then echo "ticket issued"; return; fi
    if ! grep -q 'BEGIN SSL SESSION' "$T/sess.pem" 2>/dev/null; then echo "no-session"; return; fi
    printf 'GET /api/whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
        timeout $((10 * SLOW)) openssl s_client -connect "127.0.0.1:$GH_PORT" -CAfile "$PKI/root.pem" \
            -ign_eof "$v" -sess_in "$T/sess.pem" >"$T/second.out" 2>&1
    grep -Eo '^(New|Reused),' "$T/second.out" | head -1 | tr -d ,
}
expect_match "TLS 1.2: a session is never resumed (the client must show its certificate again)" \
    "$(resumed -tls1_2)" '^(no-session|New)$'
expect_match "TLS 1.3: no ticket is issued, no session resumed" "$(resumed -tls1_3)" '^(no-session|New)$'

# client-initiated renegotiation in TLS 1.2 (s_client's "R" command)
{ sleep 1; echo R; sleep 1; printf 'GET /api/whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'; sleep 1; } |
    timeout $((10 * SLOW)) openssl s_client -connect "127.0.0.1:$GH_PORT" -CAfile "$PKI/root.pem" -tls1_2 \
        -cert "$PKI/admin.pem" -cert_chain "$PKI/client-ca.pem" -key "$PKI/admin.key" >"$T/reneg.out" 2>&1
out=$(cat "$T/reneg.out")
expect_match "TLS 1.2: a renegotiation attempt is refused" "$out" 'RENEGOTIATING'
expect_no_match "... and nothing is served after it" "$out" 'HTTP/1\.1 200'
expect "the server survived the scan" "$(kill -0 "$GH_PID" 2>/dev/null && echo alive)" alive
gh_curl admin /api/whoami >/dev/null
expect "... and still serves admin" "$(status)" 200
finish
