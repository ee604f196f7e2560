#!/usr/bin/env bash
# The ground floor: only clients with a valid certificate get in,
# each refusal is the TLS alert that says why, and start-up problems are one
# clear line and a non-zero exit.
. "$(dirname "$0")/lib.sh"

flash=$(make_flash)
gh_start "$flash" || exit 1

body=$(gh_curl admin /api/whoami)
expect "admin gets 200 from /api/whoami" "$(status)" 200
expect "whoami answers the certificate's SHA-256 fingerprint" \
    "$(printf '%s' "$body" | jq -r .fingerprint)" "$(fingerprint admin)"
expect "whoami answers the subject" "$(printf '%s' "$body" | jq -r .subject)" \
    "CN=Alice Admin,OU=Operations,O=Gatehouse Demo,C=DE"
expect "whoami answers the issuer" "$(printf '%s' "$body" | jq -r .issuer)" \
    "CN=Gatehouse Demo Client CA,O=Gatehouse Demo,C=DE"
expect "whoami answers the serial as the contract writes it" \
    "$(printf '%s' "$body" | jq -r .serial)" "$(awk '$1=="admin"{sub("serial:","",$4); print $4}' "$PKI/fingerprints.txt")"

expect "no certificate: TLS 1.3 alert certificate_required" "$(gh_alert - -tls1_3)" "certificate required"
expect "no certificate: TLS 1.2 alert handshake_failure" "$(gh_alert - -tls1_2)" "handshake failure"
expect "a certificate from another CA: unknown_ca" "$(gh_alert other)" "unknown ca"
expect "an expired certificate: certificate_expired" "$(gh_alert expired)" "certificate expired"
expect "a not-yet-valid certificate: certificate_expired" "$(gh_alert notyet)" "certificate expired"
expect "a revoked certificate: certificate_revoked" "$(gh_alert revoked)" "certificate revoked"
expect "serverAuth-only EKU: bad_certificate" "$(gh_alert serveronly)" "bad certificate"
expect "curl with no certificate gets no answer" "$(gh_curl - /api/whoami; status)" "000"

expect "TLS 1.1 is refused: alert protocol_version" \
    "$(gh_alert admin -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0')" "protocol version"
gh_alert admin -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA >/dev/null
expect_match "a CBC suite is refused" "$(cat "$T/sclient.out")" "alert handshake failure|no shared cipher|no ciphers available"
gh_alert admin -tls1_2 >/dev/null
expect_match "TLS 1.2 uses an ECDHE AEAD suite" "$(cat "$T/sclient.out")" "Cipher *: ECDHE-ECDSA-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)"
gh_alert admin -tls1_3 >/dev/null
expect_match "TLS 1.3 is spoken" "$(cat "$T/sclient.out")" "New, TLSv1.3"
expect_match "no session ticket is issued" "$(grep -c 'TLS session ticket:' "$T/sclient.out" || true)" "^0$"

gh_stop

# The system's CA store is never trusted: even when OpenSSL-style variables
# point at a store holding the client's CA, a certificate that chains only to
# it is refused.
SSL_CERT_FILE=$PKI/public-looking-ca.pem SSL_CERT_DIR=$PKI gh_start "$flash" || exit 1
expect "a cert from a CA only in the 'system' store: unknown_ca" "$(gh_alert public-looking)" "unknown ca"
body=$(gh_curl admin /api/whoami)
expect "admin still gets in" "$(status)" 200

# IPv6 and several listeners
gh_stop
port6=$(free_port)
GH_PORT=$(free_port)
$RUNNER "$GATEHOUSE" serve --flash "$flash" --listen "127.0.0.1:$GH_PORT" --listen "[::1]:$port6" >"$T/v6.log" 2>&1 &
GH_PID=$!
for _ in $(seq 1 $((50 * SLOW))); do grep -q "serving https" "$T/v6.log" && break; sleep 0.1; done
code6=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$PKI/root.pem" --cert "$PKI/admin-chain.pem" \
    --key "$PKI/admin.key" "https://[::1]:$port6/api/whoami" 2>/dev/null || true)
expect "listens on [::1] too" "$code6" 200
gh_curl admin /api/whoami >/dev/null
expect "and on 127.0.0.1" "$(status)" 200

# SIGTERM: exit 0
kill -TERM "$GH_PID"; wait "$GH_PID"; rc=$?; GH_PID=
expect "SIGTERM exits 0" "$rc" 0

# Start-up problems: one line naming the file, non-zero exit.
startup_fails() {   # DESCRIPTION REGEX: run serve on $bad and expect failure
    local out rc
    out=$(timeout $((20 * SLOW)) $RUNNER "$GATEHOUSE" serve --flash "$bad" --listen 127.0.0.1:1 2>&1) && rc=0 || rc=$?
    # (the valgrind run's GATEHOUSE_SYSTEM_HEAP=1 says so on a line of its own)
    out=$(printf '%s\n' "$out" | grep -v 'GATEHOUSE_SYSTEM_HEAP=1: ')
    if [ "$rc" -ne 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && printf '%s' "$out" | grep -Eq -- "$2"; then
        ok "$1"
    else
        bad "$1: rc=$rc output: $out"
    fi
}
bad=$T/badflash; rm -rf "$bad"; cp -r "$flash" "$bad"; rm "$bad/ca.pem"
startup_fails "missing ca.pem is named" "ca\.pem: missing"
cp "$flash/ca.pem" "$bad/"; rm "$bad/server.key"
startup_fails "missing server.key is named" "server\.key: missing"
cp "$flash/server.key" "$bad/"; echo "not a certificate" > "$bad/server.pem"
startup_fails "a broken server.pem is named" "server\.pem: "
cp "$flash/server.pem" "$bad/"; cp "$PKI/admin.key" "$bad/server.key"
startup_fails "a key that is not server.pem's is named" "server\.key: does not belong"
cp "$flash/server.key" "$bad/"; rm "$bad/certmap.ini"
startup_fails "missing certmap.ini is named" "certmap\.ini: missing"
cp "$flash/certmap.ini" "$bad/"; printf '[tls]\nreject = maybe\n' > "$bad/gatehouse.ini"
startup_fails "a bad gatehouse.ini line is named" "gatehouse\.ini:2: reject must be"
cp "$flash/gatehouse.ini" "$bad/"; echo "garbage" > "$bad/crl.pem"
startup_fails "a broken crl.pem is named" "crl\.pem: "
startup_fails_noflash() {
    local out rc
    out=$($RUNNER "$GATEHOUSE" serve --flash "$T/does-not-exist" --listen 127.0.0.1:1 2>&1) && rc=0 || rc=$?
    if [ "$rc" -ne 0 ] && printf '%s' "$out" | grep -q "does-not-exist"; then ok "$1"; else bad "$1: rc=$rc $out"; fi
}
startup_fails_noflash "a missing flash folder is named"

finish
