#!/usr/bin/env bash
# The mapping engine through the running server: every field kind of
# CONTRACT.md section 2, each operator and case flag, order, deny, disabled,
# one-to-one before match. Each case uploads a table (PUT /api/certmap, as
# admin) and asks /api/whoami as the `field` client, whose certificate carries
# every field (certs/README.md).
. "$(dirname "$0")/lib.sh"

flash=$(make_flash)
gh_start "$flash" || exit 1

# demo table (certs/make-flash.sh)
for pair in admin:admin:alice-admin viewer:viewer:vera-viewer operator:operator:acme-service \
            field:operator:field-engineers; do
    IFS=: read -r who role mapping <<<"$pair"
    body=$(gh_curl "$who" /api/whoami)
    expect "demo table: $who is $role" "$(status) $(printf '%s' "$body" | jq -r '.role + " " + .mapping')" \
        "200 $role $mapping"
done
body=$(gh_curl contractor /api/whoami)
expect "demo table: contractor is denied by its mapping" "$(status) $(printf '%s' "$body" | jq -r .reason)" \
    "403 denied-by-mapping"
body=$(gh_curl unmapped /api/whoami)
expect "demo table: unmapped gets not-mapped" "$(status) $(printf '%s' "$body" | jq -r .reason)" "403 not-mapped"
body=$(gh_curl unmapped /)
expect "the UI answers an unmapped certificate with a readable page" "$(status)" 403
expect_match "... that says why" "$body" "no mapping"

# probe WHO EXPECTED_MAPPING_OR_REASON MATCH_LINE...: one mapping "probe" with
# these match lines; WHO asks whoami.
probe() {
    local who=$1 want=$2; shift 2
    { table_head; printf '[map "probe"]\n'; for m in "$@"; do printf 'match = %s\n' "$m"; done
      printf 'role = viewer\n'; } > "$T/probe.ini"
    local up; up=$(gh_put_table admin "$T/probe.ini")
    if [ "$(status)" != 200 ]; then bad "upload for [$*]: $(status) $up"; return; fi
    local body got; body=$(gh_curl "$who" /api/whoami)
    if [ "$(status)" = 200 ]; then got=$(printf '%s' "$body" | jq -r .mapping); else got=$(printf '%s' "$body" | jq -r .reason); fi
    expect "$who with [$*] -> $want" "$got" "$want"
}

probe field probe 'subject.CN = Fiona Field'
probe field not-mapped 'subject.CN = fiona field'
probe field probe 'subject.CN =i fiona field'
probe field probe 'subject.O = Acme Industrial'
probe field probe 'subject.OU = Service Team'
probe field probe 'subject.C = DE'
probe field probe 'subject.ST = Bavaria'
probe field probe 'subject.L = Munich'
probe field probe 'subject.emailAddress = fiona@acme.example'
probe field probe 'subject.serialNumber = FE-0042'
probe field probe 'subject.DC = acme' 'subject.DC = example'
probe field not-mapped 'subject.DC = com'
probe field probe 'issuer.CN = Gatehouse Demo Client CA'
probe field probe 'issuer.O = Gatehouse Demo' 'issuer.C = DE'
probe field not-mapped 'issuer.CN = Gatehouse Demo Root CA'
probe field probe 'san.email = fiona@acme.example'
probe field probe 'san.email ~i *@ACME.example'
probe field not-mapped 'san.email ~ *@ACME.example'
probe field probe 'san.dns = fiona.acme.example'
probe field probe 'san.dns ~ *.acme.example'
probe field probe 'san.uri = https://acme.example/people/fiona'
probe field probe 'san.uri ~ https://acme.example/people/*'
probe field probe 'san.ip = 192.0.2.7'
probe field probe 'san.ip = 2001:db8::7'
probe field not-mapped 'san.ip = 192.0.2.8'
probe field probe 'serial = a11ce0042'
probe field probe 'serial = A11CE0042'
probe field probe 'eku = clientAuth'
probe field probe 'eku = emailProtection'
probe field probe 'eku = 1.3.6.1.5.5.7.3.4'
probe field not-mapped 'eku = serverAuth'
probe field probe 'policy = 1.3.6.1.4.1.55555.1.2'
probe field not-mapped 'policy = 1.3.6.1.4.1.55555.1.3'
probe field probe 'subject.CN ~ F?ona *'
probe field not-mapped 'subject.CN ~ F?na *'
# several values: operator has OU=Service and OU=Field
probe operator probe 'subject.OU = Field'
probe operator probe 'subject.OU = Service'
probe operator not-mapped 'subject.OU = Service' 'subject.CN = Nobody'

# order, deny, disabled, one-to-one first
{ table_head
  printf '[map "first"]\nmatch = subject.O = Acme Industrial\nrole = viewer\n\n'
  printf '[map "second"]\nmatch = subject.CN = Fiona Field\nrole = operator\n\n'
  printf '[map "fiona-by-key"]\npubkey = %s\nrole = operator\n\n' "$(awk '$1=="field"{print $3}' "$PKI/fingerprints.txt" | sed 's/spki-//')"
} > "$T/order.ini"
gh_put_table admin "$T/order.ini" >/dev/null
expect "one-to-one (pubkey) decides before match lines" "$(gh_curl field /api/whoami | jq -r .mapping)" "fiona-by-key"
{ table_head
  printf '[map "first"]\nmatch = subject.O = Acme Industrial\nrole = viewer\n\n'
  printf '[map "second"]\nmatch = subject.CN = Fiona Field\nrole = operator\n'
} > "$T/order.ini"
gh_put_table admin "$T/order.ini" >/dev/null
expect "match mappings: the first in file order decides" "$(gh_curl field /api/whoami | jq -r '.mapping + " " + .role')" "first viewer"
{ table_head
  printf '[map "first"]\nmatch = subject.O = Acme Industrial\nrole = viewer\nenabled = false\n\n'
  printf '[map "second"]\nmatch = subject.CN = Fiona Field\nrole = operator\n'
} > "$T/order.ini"
gh_put_table admin "$T/order.ini" >/dev/null
expect "a disabled mapping is skipped" "$(gh_curl field /api/whoami | jq -r '.mapping + " " + .role')" "second operator"
{ table_head
  printf '[map "no-acme"]\nmatch = subject.O = Acme Industrial\naction = deny\n\n'
  printf '[map "second"]\nmatch = subject.CN = Fiona Field\nrole = operator\n'
} > "$T/order.ini"
gh_put_table admin "$T/order.ini" >/dev/null
body=$(gh_curl field /api/whoami)
expect "a deny mapping refuses with 403 denied-by-mapping" "$(status) $(printf '%s' "$body" | jq -r .reason)" "403 denied-by-mapping"

# pubkey survives a renewal, fingerprint does not
{ printf '[certmap]\nversion = 1\n\n[map "alice-key"]\npubkey = %s\nrole = admin\n' \
    "$(awk '$1=="admin"{print $3}' "$PKI/fingerprints.txt" | sed 's/spki-//')"; } > "$T/key.ini"
gh_put_table admin "$T/key.ini" >/dev/null
expect "upload of a pubkey table" "$(status)" 200
expect "renewed-admin (same key) is admin by pubkey" "$(gh_curl renewed-admin /api/whoami | jq -r '.role + " " + .mapping')" "admin alice-key"
{ printf '[certmap]\nversion = 1\n\n[map "alice-fp"]\nfingerprint = %s\nrole = admin\n' "$(fingerprint admin)"; } > "$T/fp.ini"
gh_put_table admin "$T/fp.ini" >/dev/null
expect "renewed-admin is not admin by the old fingerprint" "$(gh_curl renewed-admin /api/whoami | jq -r .reason)" "not-mapped"

# certificate = as PEM armour on one line, and with continuation lines
pemline=$(tr -d '\n' < "$PKI/viewer.pem")
{ table_head; printf '[map "vera-pem"]\ncertificate = %s\nrole = viewer\n' "$pemline"; } > "$T/pem.ini"
gh_put_table admin "$T/pem.ini" >/dev/null
expect "PEM armour on one line is accepted" "$(status) $(gh_curl viewer /api/whoami | jq -r .mapping)" "200 vera-pem"
{ table_head; printf '[map "vera-cont"]\ncertificate = %s\n' "$(sed -n 2p "$PKI/viewer.pem")"
  sed -n '3,$p' "$PKI/viewer.pem" | grep -v END | sed 's/^/    /'
  printf 'role = viewer\n'; } > "$T/cont.ini"
gh_put_table admin "$T/cont.ini" >/dev/null
expect "base64 on indented continuation lines is accepted" "$(status) $(gh_curl viewer /api/whoami | jq -r .mapping)" "200 vera-cont"

finish
