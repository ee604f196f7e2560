#!/usr/bin/env bash
# TLS conformance where clients differ: keyUsage over TLS 1.2 and 1.3, the
# signature schemes of a TLS 1.3 CertificateVerify (tls13_probe.py sends what
# real clients will not), the certificate types of a TLS 1.2
# CertificateRequest (an RSA client against an EC-keyed server and the other
# way round), TLS_FALLBACK_SCSV, and a ClientHello over the record limit.
. "$(dirname "$0")/lib.sh"
PROBE="python3 $(dirname "$0")/tls13_probe.py"

# Certificates made here, under the demo's client CA, in a PKI folder of
# their own (gh_alert reads $PKI/NAME.*).
PT=$T/pki-t; mkdir -p "$PT"; cp "$PKI/root.pem" "$PT/"
cat >"$T/ext.cnf" <<'EOF'
[noku]
basicConstraints = critical, CA:FALSE
keyUsage = critical, keyEncipherment
extendedKeyUsage = clientAuth
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost
EOF
mkcert() {   # NAME KEYALG EXTENSIONS CN [CA]: $PT/NAME.pem, .key, -chain.pem
    local n=$1 ca=${5:-client-ca}
    if [ "$2" = rsa ]; then openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PT/$n.key" 2>/dev/null
    else openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PT/$n.key" 2>/dev/null; fi
    openssl req -new -key "$PT/$n.key" -subj "/O=Conformance Test/CN=$4" -out "$T/$n.csr" 2>/dev/null
    openssl x509 -req -in "$T/$n.csr" -CA "$PKI/$ca.pem" -CAkey "$PKI/$ca.key" -days 30 \
        -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
        -extfile "$T/ext.cnf" -extensions "$3" -out "$PT/$n.pem" 2>/dev/null
    cat "$PT/$n.pem" "$PKI/$ca.pem" >"$PT/$n-chain.pem"
}
mkcert noku ec noku "Nora NoDigitalSignature"
mkcert rsaclient rsa leaf "Rex RSA Client"
mkcert ecclient ec leaf "Eve EC Client"
mkcert rsaserver rsa server "gatehouse RSA" root

fp() { openssl x509 -in "$1" -outform DER | sha256sum | awk '{print "sha256:" toupper($1)}'; }
flash=$(make_flash)
{
    table_head
    printf '[map "rsaclient"]\nfingerprint = %s\nrole = viewer\n\n' "$(fp "$PT/rsaclient.pem")"
    printf '[map "ecclient"]\nfingerprint = %s\nrole = viewer\n\n' "$(fp "$PT/ecclient.pem")"
} >"$flash/certmap.ini"
gh_start "$flash" || exit 1

audit_of() {   # the newest audit record about CN, as "reason|detail"
    gh_curl admin '/api/audit?limit=64' |
        jq -r --arg cn "CN=$1," 'first(.[] | select((.subject // "") | startswith($cn))) | "\(.reason)|\(.detail)"'
}
http_of() { grep -aEo '^HTTP/1\.1 [0-9]{3}' "$T/sclient.out" | head -1 | awk '{print $2}'; }

# ---------------------------------------------------------------- keyUsage
P0=$PKI; PKI=$PT
for v in 1_2 1_3; do
    expect "TLS ${v/_/.}: a certificate whose keyUsage lacks digitalSignature is refused (bad_certificate)" \
        "$(gh_alert noku "-tls$v")" "bad certificate"
    expect "TLS ${v/_/.}: ... while one with digitalSignature is served" "$(gh_alert ecclient "-tls$v"; http_of)" "none
200"
done
PKI=$P0
expect_match "the audit says policy and why" "$(audit_of 'Nora NoDigitalSignature')" \
    '^policy\|certificate: its Key Usage does not allow digitalSignature'

# ---------------------------------------------------------------- TLS 1.3 CertificateVerify schemes
cv() { $PROBE "$GH_PORT" cv "$1" "$2" "$3" 2>&1 | tail -1; }
expect "P-256 client, ecdsa_secp256r1_sha256: served" "$(cv 0403 "$PKI/admin-chain.pem" "$PKI/admin.key")" "http 200"
for s in 0503:ecdsa_secp384r1_sha384 0603:ecdsa_secp521r1_sha512 0203:ecdsa_sha1 0303:ecdsa_sha224; do
    expect "P-256 client, ${s#*:}: illegal_parameter" "$(cv "${s%%:*}" "$PKI/admin-chain.pem" "$PKI/admin.key")" \
        "alert illegal parameter"
done
expect "P-384 client, ecdsa_secp384r1_sha384: the handshake passes" \
    "$(cv 0503 "$PKI/p384-chain.pem" "$PKI/p384.key" | sed 's/http [0-9]*/http/')" "http"
expect "P-384 client, ecdsa_secp256r1_sha256: illegal_parameter" "$(cv 0403 "$PKI/p384-chain.pem" "$PKI/p384.key")" \
    "alert illegal parameter"
expect "RSA client, rsa_pss_rsae_sha256: served" "$(cv 0804 "$PT/rsaclient-chain.pem" "$PT/rsaclient.key")" "http 200"
expect "RSA client, rsa_pkcs1_sha256 (not for TLS 1.3 signatures): illegal_parameter" \
    "$(cv 0401 "$PT/rsaclient-chain.pem" "$PT/rsaclient.key")" "alert illegal parameter"

# what the server offers: only what is built (no P-521)
trace() {   # VERSION: the server's CertificateRequest, as openssl -trace shows it
    timeout $((10 * SLOW)) openssl s_client -connect "127.0.0.1:$GH_PORT" "-tls$1" -CAfile "$PKI/root.pem" \
        -cert "$PKI/admin.pem" -key "$PKI/admin.key" -trace </dev/null 2>&1 |
        sed -n '/CertificateRequest/,/certificate_authorities\|^$/p'
}
req13=$(trace 1_3)
expect_match "TLS 1.3 CertificateRequest offers ecdsa_secp256r1_sha256" "$req13" 'ecdsa_secp256r1_sha256'
expect_no_match "... and no P-521, SHA-1 or SHA-224 scheme" "$req13" 'secp521r1|sha1|sha224'

# ---------------------------------------------------------------- TLS 1.2 CertificateRequest types
req12=$(trace 1_2 | tr -s ' \n' '  ')
expect_match "TLS 1.2 CertificateRequest (EC server key) lists ecdsa_sign and rsa_sign" "$req12" \
    'certificate_types \(len=2\) ecdsa_sign \(64\) rsa_sign \(1\)'
PKI=$PT
expect "TLS 1.2: an RSA client against the EC-keyed server is served" "$(gh_alert rsaclient -tls1_2; http_of)" "none
200"
PKI=$P0
code=$(curl -sS --max-time $((10 * SLOW)) --tlsv1.2 --tls-max 1.2 --cacert "$PKI/root.pem" \
    --cert "$PT/rsaclient-chain.pem" --key "$PT/rsaclient.key" -o /dev/null -w '%{http_code}' \
    "https://127.0.0.1:$GH_PORT/api/whoami" 2>"$T/curl.err")
expect "TLS 1.2: curl with the RSA client gets 200" "$code" 200
# Java's client picks its key by the CertificateRequest's certificate types
# (the client that failed with "Broken pipe" when only ecdsa_sign was listed)
java_client() {   # NAME PROTOCOL: HTTP status, or "error: ..."
    [ -f "$PT/$1.p12" ] || openssl pkcs12 -export -in "$PT/$1-chain.pem" -inkey "$PT/$1.key" \
        -passout pass:test -out "$PT/$1.p12" 2>/dev/null
    timeout $((60 * SLOW)) java "$(dirname "$0")/TlsClient.java" "$GH_PORT" "$2" "$PT/$1.p12" test \
        "$PKI/root.pem" 2>&1 | tail -1
}
if command -v java >/dev/null; then
    expect "Java, TLS 1.2, RSA client against the EC-keyed server: 200" "$(java_client rsaclient TLSv1.2)" 200
    expect "Java, TLS 1.3, RSA client: 200" "$(java_client rsaclient TLSv1.3)" 200
else
    echo "# java not installed: the Java client checks are skipped"
fi

# The other way round: an RSA-keyed server, an EC client.
gh_stop
cp "$PT/rsaserver.pem" "$flash/server.pem"; cp "$PT/rsaserver.key" "$flash/server.key"
gh_start "$flash" || exit 1
req12=$(trace 1_2 | tr -s ' \n' '  ')
expect_match "TLS 1.2 CertificateRequest (RSA server key) lists ecdsa_sign and rsa_sign" "$req12" \
    'certificate_types \(len=2\) ecdsa_sign \(64\) rsa_sign \(1\)'
PKI=$PT
expect "TLS 1.2: an EC client against the RSA-keyed server is served" "$(gh_alert ecclient -tls1_2; http_of)" "none
200"
expect "TLS 1.2: an RSA client against the RSA-keyed server is served" "$(gh_alert rsaclient -tls1_2; http_of)" "none
200"
if command -v java >/dev/null; then
    expect "Java, TLS 1.2, EC client against the RSA-keyed server: 200" "$(PKI=$P0 java_client ecclient TLSv1.2)" 200
fi
PKI=$P0
gh_stop
make_flash >/dev/null   # the demo's EC server key again
gh_start "$flash" || exit 1

# ---------------------------------------------------------------- downgrade and record size
expect "TLS 1.2 with TLS_FALLBACK_SCSV (a client retrying below 1.3): inappropriate_fallback" \
    "$(gh_alert admin -tls1_2 -fallback_scsv)" "inappropriate fallback"
expect "TLS 1.2 without it: served" "$(gh_alert admin -tls1_2; http_of)" "none
200"
expect "a ClientHello of 16384 bytes (the record limit) is answered" \
    "$($PROBE "$GH_PORT" big-hello 16384 2>&1 | tail -1)" "handshake continues (ServerHello)"
expect "a ClientHello record of 16385 bytes: record_overflow" \
    "$($PROBE "$GH_PORT" big-hello 16385 2>&1 | tail -1)" "alert record overflow"
expect "a ClientHello record of 18000 bytes: record_overflow" \
    "$($PROBE "$GH_PORT" big-hello 18000 2>&1 | tail -1)" "alert record overflow"

gh_curl admin /api/whoami >/dev/null
expect "the server still serves admin" "$(status)" 200
finish
