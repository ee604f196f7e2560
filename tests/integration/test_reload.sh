#!/usr/bin/env bash
# Reload (CONTRACT.md section 3): trust, settings and table change together on
# SIGHUP, all or nothing; removed trust is gone for new handshakes, and an
# open connection is checked again before its next request.
. "$(dirname "$0")/lib.sh"

flash=$(make_flash)
gh_start "$flash" || exit 1

# a CRL that now lists viewer: new handshake refused, open connection refused
# before its next request
between() { cp "$PKI/crl-viewer.pem" "$flash/crl.pem"; gh_reload; }
expect "an open connection: 200, then 403 after viewer is revoked" "$(keepalive_two viewer /api/whoami 2)" "200 403"
expect_match "... and says it is revoked" "$(cat "$T/ka.out")" '"reason":"revoked"'
expect "a new handshake by viewer: certificate_revoked" "$(gh_alert viewer)" "certificate revoked"
gh_curl admin /api/whoami >/dev/null
expect "admin is not affected" "$(status)" 200

# a CA removed from ca.pem
between() { cp "$PKI/other-root.pem" "$flash/ca.pem"; rm "$flash/crl.pem"; gh_reload; }
expect "an open connection: 200, then 403 after its CA is removed" "$(keepalive_two admin /api/whoami 2)" "200 403"
expect_match "... and says it is untrusted" "$(cat "$T/ka.out")" '"reason":"untrusted"'
expect "a new handshake by admin after its CA was removed: unknown_ca" "$(gh_alert admin)" "unknown ca"
cp "$PKI/ca.pem" "$flash/ca.pem"; cp "$PKI/crl.pem" "$flash/crl.pem"; gh_reload
gh_curl admin /api/whoami >/dev/null
expect "restoring ca.pem lets admin in again" "$(status)" 200

# A client whose CAs are not in ca.pem (deep: root -> deep-int -> deep-ca ->
# deep; it sends deep-ca and deep-int): its open connection is re-checked with
# the CA certificates it sent at its handshake, so a reload that changes
# nothing of its trust leaves it in, and one that does is applied to its CAs.
printf '\n[map "deep"]\nfingerprint = %s\nrole = viewer\n' "$(fingerprint deep)" >>"$flash/certmap.ini"
gh_reload
awk 'n > 0 { print } /-----END CERTIFICATE-----/ { n++ }' "$PKI/deep-chain.pem" >"$T/deep-cas.pem"
deep_two() {   # keepalive_two for deep, sending its CAs (s_client -cert_chain)
    local req="GET /api/whoami HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    { printf "$req"; sleep 2; printf "$req"; sleep $((2 * SLOW)); } |
        timeout $((20 * SLOW)) openssl s_client -quiet -connect "127.0.0.1:$GH_PORT" -CAfile "$PKI/root.pem" \
            -cert "$PKI/deep.pem" -cert_chain "$T/deep-cas.pem" -key "$PKI/deep.key" >"$T/ka.out" 2>"$T/ka.err" &
    local spid=$!
    sleep 1
    between
    wait "$spid" 2>/dev/null || true
    grep -aEo 'HTTP/1\.1 [0-9]{3} ' "$T/ka.out" | awk '{print $2}' | tr '\n' ' ' | sed 's/ $//'
}
between() { gh_reload; }
expect "deep's open connection stays in across a reload" "$(deep_two)" "200 200"
between() { printf '[trust]\nmax_depth = 1\n' >"$flash/gatehouse.ini"; gh_reload; }
expect "... and is refused when max_depth drops below its chain" "$(deep_two)" "200 403"
expect_match "... saying why" "$(cat "$T/ka.out")" '"reason":"chain-too-deep"'
rm -f "$flash/gatehouse.ini"; gh_reload
between() { cp "$PKI/other-root.pem" "$flash/ca.pem"; rm "$flash/crl.pem"; gh_reload; }
expect "... and when the root above its CAs is removed" "$(deep_two)" "200 403"
expect_match "... saying why" "$(cat "$T/ka.out")" '"reason":"untrusted"'
cp "$PKI/ca.pem" "$flash/ca.pem"; cp "$PKI/crl.pem" "$flash/crl.pem"; gh_reload

# the table changes under an open connection: decided again
between() {
    { table_head; printf '[map "vera"]\nfingerprint = %s\nrole = operator\n' "$(fingerprint viewer)"; } > "$flash/certmap.ini"
    gh_reload
}
keepalive_two viewer /api/whoami 2 >/dev/null
expect_match "an open connection is decided again by the new table" \
    "$(grep -ao '"role":"[a-z]*","mapping":"[a-z-]*"' "$T/ka.out" | tr '\n' ' ')" \
    '"role":"viewer","mapping":"vera-viewer" "role":"operator","mapping":"vera"'

# a bad file: the reload is refused whole, what was active stays
cp "$flash/certmap.ini" "$T/good.ini"
printf '[certmap]\nversion = 1\n[map "x"]\nrole = admin\n' > "$flash/certmap.ini"   # no identity key
cp "$PKI/crl-viewer.pem" "$flash/crl.pem"
gh_reload
expect_match "a bad certmap.ini: the reload is refused, with the line" "$(tail -3 "$GH_LOG")" 'reload refused.*certmap\.ini:3'
gh_curl viewer /api/whoami >/dev/null
expect "... and the CRL that came with it is not used either" "$(status)" 200
cp "$T/good.ini" "$flash/certmap.ini"
printf '[trust]\ncrl = sometimes\n' > "$flash/gatehouse.ini"
gh_reload
expect_match "a bad gatehouse.ini: refused, named" "$(tail -2 "$GH_LOG")" 'reload refused.*gatehouse\.ini:2'

# settings take effect on reload: reject = page
printf '[tls]\nreject = page\n' > "$flash/gatehouse.ini"
cp "$PKI/crl.pem" "$flash/crl.pem"
gh_reload
body=$(gh_curl - /api/whoami)
expect "after reject = page, a client without a certificate gets 403 JSON" "$(status) $(printf '%s' "$body" | jq -r .reason)" "403 no-certificate"

finish
