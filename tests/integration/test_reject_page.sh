#!/usr/bin/env bash
# [tls] reject = page: the handshake completes for a client without a
# certificate or with a failing one, and every request gets a readable 403
# that names the reason.
. "$(dirname "$0")/lib.sh"

flash=$(make_flash)
printf '[tls]\nreject = page\n' > "$flash/gatehouse.ini"
gh_start "$flash" || exit 1

body=$(gh_curl - /)
expect "no certificate: the UI answers 403" "$(status)" 403
expect_match "... as an HTML page" "$body" '<!doctype html>'
expect_match "... that names the reason" "$body" 'no-certificate'
body=$(gh_curl - /api/whoami)
expect "no certificate: the API answers 403 JSON" "$(status) $(printf '%s' "$body" | jq -r .reason)" "403 no-certificate"
for pair in expired:expired notyet:not-yet-valid revoked:revoked serveronly:policy; do
    IFS=: read -r who reason <<<"$pair"
    body=$(gh_curl "$who" /api/whoami)
    expect "$who: 403 with reason $reason" "$(status) $(printf '%s' "$body" | jq -r .reason)" "403 $reason"
done
# a leaf from an unknown CA, sent alone (a failing CA certificate in the chain
# still ends the handshake: see tls.c, on_verify)
code=$(curl -sS -o "$T/b" -w '%{http_code}' --cacert "$PKI/root.pem" --cert "$PKI/other.pem" --key "$PKI/other.key" \
    "https://127.0.0.1:$GH_PORT/api/whoami" 2>/dev/null || true)
expect "a certificate from an unknown CA: 403 untrusted" "$code $(jq -r .reason "$T/b" 2>/dev/null)" "403 untrusted"
body=$(gh_curl other /api/whoami)
expect "the same with its untrusted root sent along: 403 untrusted" "$(status) $(printf '%s' "$body" | jq -r .reason)" "403 untrusted"
code=$(curl -sS -o "$T/b" -w '%{http_code}' --cacert "$PKI/root.pem" --cert "$PKI/other.pem" --key "$PKI/other.key" \
    "https://127.0.0.1:$GH_PORT/api/whoami" 2>/dev/null || true)
expect "... and that root was not cached as trusted: still 403 untrusted" "$code $(jq -r .reason "$T/b" 2>/dev/null)" "403 untrusted"
gh_curl admin /api/whoami >/dev/null
expect "a good certificate is served as usual" "$(status)" 200
audit=$(gh_curl admin /api/audit)
expect_match "refusals are in the audit log with their reason" \
    "$(printf '%s' "$audit" | jq -r '.[] | select(.status==403) | .reason' | sort -u | tr '\n' ' ')" \
    'expired.*no-certificate.*not-yet-valid.*policy.*revoked.*untrusted'
finish
