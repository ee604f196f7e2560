#!/usr/bin/env bash
# Field provisioning: PUT /api/certmap and every answer it can give,
# persistence across a restart, and requests served correctly while tables swap.
. "$(dirname "$0")/lib.sh"

flash=$(make_flash)
gh_start "$flash" || exit 1
orig=$(gh_curl admin /api/certmap)
expect "admin reads the active table" "$(status)" 200
expect "... exactly as in flash" "$orig" "$(cat "$flash/certmap.ini")"
gh_curl viewer /api/certmap >/dev/null
expect "a viewer may not read the table" "$(status) $(jq -r .reason "$T/body")" "403 role-forbidden"
gh_put_table operator "$flash/certmap.ini" >/dev/null
expect "an operator may not upload a table" "$(status) $(jq -r .reason "$T/body")" "403 role-forbidden"

# a bad table: 400 with the line and mapping, nothing changes
{ table_head; printf '[map "broken"]\nmatch = subject.CN = x\nrole = superuser\n'; } > "$T/bad.ini"
body=$(gh_put_table admin "$T/bad.ini")
expect "a table with an unknown role: 400" "$(status)" 400
expect "... and the mapping" "$(printf '%s' "$body" | jq -r .mapping)" broken
expect_match "... and what is wrong" "$(printf '%s' "$body" | jq -r .error)" 'certmap\.ini:10: map "broken": .*role'
expect "the active table is unchanged" "$(gh_curl admin /api/certmap)" "$orig"
expect "the flash is unchanged" "$(cat "$flash/certmap.ini")" "$orig"

# a table under which the uploader is no longer admin: 409, unless ?force=1
{ printf '[certmap]\nversion = 1\n\n[map "alice"]\nfingerprint = %s\nrole = operator\n' "$(fingerprint admin)"; } > "$T/demote.ini"
body=$(gh_put_table admin "$T/demote.ini")
expect "losing admin: 409" "$(status) $(printf '%s' "$body" | jq -r .reason)" "409 would-lose-admin"
expect "... and nothing changed" "$(gh_curl admin /api/whoami | jq -r .role)" admin

# over 64 KiB: 413
{ table_head; for i in $(seq 1 2000); do printf '; padding line %05d .......................\n' "$i"; done; } > "$T/big.ini"
gh_put_table admin "$T/big.ini" >/dev/null
expect "a body over 64 KiB: 413" "$(status)" 413

# a good table: 200, active at once, generation counts
{ table_head; printf '[map "vera"]\nfingerprint = %s\nrole = operator\n' "$(fingerprint viewer)"; } > "$T/good.ini"
body=$(gh_put_table admin "$T/good.ini")
expect "a valid table: 200" "$(status)" 200
expect "... answers the mapping count" "$(printf '%s' "$body" | jq -r .mappings)" 2
gen1=$(printf '%s' "$body" | jq -r .generation)
expect "the new table is active without a restart" "$(gh_curl viewer /api/whoami | jq -r '.role + " " + .mapping')" "operator vera"
body=$(gh_put_table admin "$T/good.ini")
expect "the generation counts uploads" "$(printf '%s' "$body" | jq -r .generation)" $((gen1 + 1))
# curl -T asks "Expect: 100-continue" and waits a second unless told to go on
gh_curl admin /api/certmap -T "$T/good.ini" -H 'Expect: 100-continue' -v >/dev/null
expect_match "an upload that asks to be told first is told: 100 Continue, then 200" \
    "$(grep -a '^< HTTP/' "$T/curl.err" | tr -d '\r' | paste -sd' ')" '^< HTTP/1.1 100 Continue < HTTP/1.1 200 '

# the audit log has every attempt with the uploader and the generation
audit=$(gh_curl admin /api/audit)
expect "admin reads the audit log" "$(status)" 200
expect_match "a refused upload is audited with the uploader's fingerprint" \
    "$(printf '%s' "$audit" | jq -c '.[] | select(.kind=="provision")' | head -50)" "$(fingerprint admin)"
gh_put_table admin "$T/good.ini" >/dev/null
g=$(jq -r .generation "$T/body")
audit=$(gh_curl admin /api/audit)
expect "an accepted upload is audited with its generation" \
    "$(printf '%s' "$audit" | jq -r '[.[] | select(.kind=="provision" and .status==200)][0].generation')" "$g"
expect "audit records come newest first" \
    "$(printf '%s' "$audit" | jq -r '[.[].seq] | . == (sort | reverse)')" true

# persistence: restart, same table, same generation
gen_before=$(gh_curl viewer /api/whoami | jq -r .generation)
gh_stop
gh_start "$flash" || exit 1
expect "after a restart the uploaded table is active" "$(gh_curl viewer /api/whoami | jq -r '.role + " " + .mapping')" "operator vera"
expect "... with the same generation" "$(gh_curl viewer /api/whoami | jq -r .generation)" "$gen_before"

# requests during swaps: every answer is 200 with a role of one table or the other
{ table_head; printf '[map "vera"]\nfingerprint = %s\nrole = viewer\n' "$(fingerprint viewer)"; } > "$T/t1.ini"
{ table_head; printf '[map "vera"]\nfingerprint = %s\nrole = operator\n' "$(fingerprint viewer)"; } > "$T/t2.ini"
(for i in $(seq 1 60); do
    curl -sS --cacert "$PKI/root.pem" --cert "$PKI/viewer-chain.pem" --key "$PKI/viewer.key" \
        "https://127.0.0.1:$GH_PORT/api/whoami" "https://127.0.0.1:$GH_PORT/api/whoami" -w '\n%{http_code}\n' 2>&1
 done) > "$T/during.out" &
reader=$!
for i in $(seq 1 10); do gh_put_table admin "$T/t$((i % 2 + 1)).ini" >/dev/null; [ "$(status)" = 200 ] || bad "upload $i during requests: $(status)"; done
wait "$reader"
n200=$(grep -c '^200$' "$T/during.out" || true)
other=$(grep -E '^[0-9]{3}$' "$T/during.out" | grep -vc '^200$' || true)
roles=$(grep -o '"role":"[a-z]*"' "$T/during.out" | sort -u | tr '\n' ' ')
expect "120 requests during 10 swaps: all answered 200" "$n200 $other" "120 0"
expect_match "... each with a role of one table or the other" "$roles" '^("role":"(operator|viewer)" ?)+$'

# unknown route and method
gh_curl admin /api/nothing >/dev/null
expect "an unknown route: 404 JSON" "$(status) $(jq -r 'has("error")' "$T/body")" "404 true"
gh_curl admin /api/whoami -X DELETE >/dev/null
expect "a method the route does not have: 405" "$(status)" 405

body=$(gh_put_table admin "$T/demote.ini" '?force=1')
expect "?force=1 uploads it anyway" "$(status)" 200
expect "... and the uploader is now an operator" "$(gh_curl admin /api/whoami | jq -r .role)" operator
gh_put_table admin "$T/good.ini" >/dev/null
expect "... who can no longer upload" "$(status)" 403

finish
