#!/bin/bash
# check-pki.sh PKI_DIR [FLASH_DIR]: proves that make-pki.sh (and make-flash.sh)
# made what certs/README.md promises, with openssl alone. Prints one line per
# failed property and exits 1 if any failed. With FLASH_DIR, also checks the
# demo flash folder. Run it after changing either script.
# shellcheck disable=SC2016  # the sh -c scripts below expand their own $1
set -uo pipefail

[ $# -ge 1 ] || { echo "usage: $0 PKI_DIR [FLASH_DIR]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
cd "$1" || exit 2
flash=${2:-}

failed=0
checked=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

# ok DESCRIPTION COMMAND...: the command must succeed.
ok() {
    local d=$1
    shift
    checked=$((checked + 1))
    "$@" >/dev/null 2>&1 || fail "$d"
}

# verify_ok NAME [openssl verify options]: NAME.pem chains to ca.pem.
verify_ok() {
    local n=$1 out
    shift
    checked=$((checked + 1))
    out=$(openssl verify -CAfile ca.pem "$@" "$n.pem" 2>&1) || fail "$n should verify ($*): $out"
}

# verify_err NAME CODE [options]: verification must fail with X509_V_ERR CODE.
verify_err() {
    local n=$1 code=$2 out
    shift 2
    checked=$((checked + 1))
    if out=$(openssl verify "$@" "$n.pem" 2>&1); then
        fail "$n verified but should fail with error $code ($*)"
    elif ! printf '%s\n' "$out" | grep -q "^error $code at"; then
        fail "$n should fail with error $code ($*), got: $(printf '%s' "$out" | grep '^error' | head -n 1)"
    fi
}

text() { openssl x509 -in "$1.pem" -noout -text 2>/dev/null; }
has_text() { # NAME DESCRIPTION EXTENDED-REGEX
    checked=$((checked + 1))
    text "$1" | grep -Eq -- "$3" || fail "$1: $2"
}
count_certs() { grep -c -- '-----BEGIN CERTIFICATE-----' "$1"; }
same() { [ "$1" = "$2" ]; }
rfc2253() { openssl x509 -in "$1.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//'; }
spki() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64; }
keyspki() { openssl pkey -in "$1" -pubout -outform DER | sha256sum | cut -c1-64; }
now=$(date -u +%s)
epoch() { date -u -d "$1" +%s; }
not_after() { epoch "$(openssl x509 -in "$1.pem" -noout -enddate | sed 's/^notAfter=//')"; }
not_before() { epoch "$(openssl x509 -in "$1.pem" -noout -startdate | sed 's/^notBefore=//')"; }
next_update() { epoch "$(openssl crl -in "$1" -noout -nextupdate | sed 's/^nextUpdate=//')"; }
DAY=86400

clients="admin operator viewer field urn contractor unmapped renewed-admin expired notyet
revoked serveronly rsa1024 rsa2048 sha1 v1 other public-looking deep p384"
from_client_ca="admin operator viewer field urn contractor unmapped renewed-admin expired
notyet revoked serveronly rsa1024 rsa2048 sha1 v1 p384"

# --- files and their shape ---------------------------------------------------
for f in root client-ca deep-int deep-ca other-root public-looking-ca server; do
    ok "$f.pem/$f.key are a pair" same "$(spki "$f.pem")" "$(keyspki "$f.key")"
done
for n in $clients; do
    ok "$n.pem/$n.key are a pair" same "$(spki "$n.pem")" "$(keyspki "$n.key")"
    ok "$n.pem holds one certificate" same "$(count_certs "$n.pem")" 1
    ok "$n-chain.pem starts with $n.pem" same "$(openssl x509 -in "$n-chain.pem" -outform DER | sha256sum)" \
        "$(openssl x509 -in "$n.pem" -outform DER | sha256sum)"
    checked=$((checked + 1))
    info=$(openssl pkcs12 -in "$n.p12" -info -nokeys -passin pass:gatehouse 2>&1) ||
        fail "$n.p12 does not open with password gatehouse"
    ok "$n.p12 holds the same certificates as $n-chain.pem" same \
        "$(printf '%s\n' "$info" | count_certs /dev/stdin)" "$(count_certs "$n-chain.pem")"
    ok "$n.p12 uses AES-256-CBC and a SHA-256 MAC" \
        sh -c 'printf "%s\n" "$1" | grep -q "MAC: sha256" &&
               printf "%s\n" "$1" | grep -q "Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC" &&
               printf "%s\n" "$1" | grep -q "PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC"' _ "$info"
    checked=$((checked + 1))
    openssl pkcs12 -in "$n.p12" -nocerts -nodes -passin pass:gatehouse 2>/dev/null |
        openssl pkey -pubout -outform DER 2>/dev/null | sha256sum | cut -c1-64 |
        grep -qx "$(keyspki "$n.key")" || fail "$n.p12 does not hold $n.key"
done
for n in $from_client_ca; do
    ok "$n-chain.pem is leaf + client-ca" same "$(count_certs "$n-chain.pem")" 2
    ok "$n-chain.pem ends with client-ca.pem" sh -c 'tail -n "$(wc -l <client-ca.pem)" "$1" | cmp -s - client-ca.pem' _ "$n-chain.pem"
done
ok "deep-chain.pem is deep + deep-ca + deep-int" same "$(cat deep.pem deep-ca.pem deep-int.pem)" "$(cat deep-chain.pem)"
ok "other-chain.pem is other + other-root" same "$(cat other.pem other-root.pem)" "$(cat other-chain.pem)"
ok "public-looking-chain.pem is leaf + lookalike root" same "$(cat public-looking.pem public-looking-ca.pem)" "$(cat public-looking-chain.pem)"
ok "ca.pem is root + client-ca" same "$(cat root.pem client-ca.pem)" "$(cat ca.pem)"
ok "server.pem holds only the server certificate" same "$(count_certs server.pem)" 1
ok "no key is readable by others" sh -c '! find . -maxdepth 1 \( -name "*.key" -o -name "*.p12" \) -perm /077 | grep -q .'
ok "OUTDIR ignores itself in git" grep -qx '\*' .gitignore

# --- CAs -----------------------------------------------------------------------
ok "root subject" same "$(rfc2253 root)" "CN=Gatehouse Demo Root CA,O=Gatehouse Demo,C=DE"
ok "root is self-signed" openssl verify -CAfile root.pem root.pem
ok "root lives 10 years" test "$(( ($(not_after root) - now) / DAY ))" -ge 3649
ok "client-ca subject" same "$(rfc2253 client-ca)" "CN=Gatehouse Demo Client CA,O=Gatehouse Demo,C=DE"
has_text client-ca "pathlen 0" "CA:TRUE, pathlen:0"
has_text client-ca "keyCertSign+cRLSign" "Certificate Sign, CRL Sign"
ok "client-ca is signed by root" openssl verify -CAfile root.pem client-ca.pem
has_text deep-int "pathlen 1" "CA:TRUE, pathlen:1"
has_text deep-ca "pathlen 0" "CA:TRUE, pathlen:0"
ok "other-root subject" same "$(rfc2253 other-root)" "CN=Other Root CA,O=Other Demo,C=DE"
ok "public-looking-ca imitates ISRG Root X1" same "$(rfc2253 public-looking-ca)" \
    "CN=ISRG Root X1,O=Internet Security Research Group,C=US"
for f in root client-ca deep-int deep-ca other-root public-looking-ca server; do
    has_text "$f" "EC P-256" "NIST CURVE: P-256"
done

# --- server --------------------------------------------------------------------
verify_ok server -purpose sslserver
has_text server "SAN" "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1$"
has_text server "EKU serverAuth only" "^ +TLS Web Server Authentication$"

# --- clients that must pass the chain check -----------------------------------
for n in admin operator viewer field urn contractor unmapped renewed-admin revoked rsa2048 p384; do
    verify_ok "$n" -purpose sslclient -x509_strict -auth_level 2
    crl=crl.pem
    if [ "$n" = revoked ]; then crl="crl-empty.pem"; fi
    verify_ok "$n" -purpose sslclient -untrusted "$n-chain.pem" -crl_check_all \
        -CRLfile "$crl" -CRLfile crl-root.pem
done
for n in admin operator viewer field urn contractor unmapped renewed-admin revoked rsa2048 p384 \
    expired notyet serveronly rsa1024 sha1 v1; do
    has_text "$n" "issued by the client CA" "Issuer: C = DE, O = Gatehouse Demo, CN = Gatehouse Demo Client CA$"
done
ok "admin subject" same "$(rfc2253 admin)" "CN=Alice Admin,OU=Operations,O=Gatehouse Demo,C=DE"
has_text admin "SAN email" "^ +email:alice@gatehouse.example$"
ok "operator subject (two OUs)" same "$(rfc2253 operator)" "CN=Oscar Operator,OU=Service,OU=Field,O=Acme Industrial,C=DE"
has_text operator "SAN" "^ +email:oscar@acme.example, DNS:oscar-laptop.acme.example$"
ok "viewer subject" same "$(rfc2253 viewer)" "CN=Vera Viewer,O=Gatehouse Demo,C=DE"
ok "field subject" same "$(rfc2253 field)" \
    "CN=Fiona Field,OU=Service Team,O=Acme Industrial,C=DE,ST=Bavaria,L=Munich,emailAddress=fiona@acme.example,serialNumber=FE-0042,DC=acme,DC=example"
has_text field "SAN" "^ +email:fiona@acme.example, DNS:fiona.acme.example, URI:https://acme.example/people/fiona, IP Address:192.0.2.7, IP Address:2001:DB8:0:0:0:0:0:7$"
has_text field "EKU clientAuth + emailProtection" "^ +TLS Web Client Authentication, E-mail Protection$"
has_text field "policy OID" "Policy: 1.3.6.1.4.1.55555.1.2$"
has_text field "fixed serial" "Serial Number: [0-9]+ \(0xa11ce0042\)"
has_text urn "urn: URI SAN" "^ +URI:urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66$"
ok "contractor subject" same "$(rfc2253 contractor)" "CN=Carl Contractor,O=Contractor GmbH,C=DE"
ok "unmapped subject" same "$(rfc2253 unmapped)" "CN=Nobody,O=Elsewhere Ltd"
ok "renewed-admin has admin's key" same "$(spki renewed-admin.pem)" "$(spki admin.pem)"
ok "renewed-admin has admin's subject" same "$(rfc2253 renewed-admin)" "$(rfc2253 admin)"
ok "renewed-admin has another serial" test "$(openssl x509 -in renewed-admin.pem -noout -serial)" != \
    "$(openssl x509 -in admin.pem -noout -serial)"
ok "renewed-admin has other dates" test "$(not_after renewed-admin)" != "$(not_after admin)"
ok "admin lives 2 years" test "$(( ($(not_after admin) - now) / DAY ))" -ge 729
has_text p384 "EC P-384" "NIST CURVE: P-384"
has_text rsa2048 "RSA 2048" "Public-Key: \(2048 bit\)"
for n in admin operator viewer urn contractor unmapped revoked expired notyet sha1 v1 other public-looking deep; do
    has_text "$n" "EC P-256" "NIST CURVE: P-256"
done

# --- clients that must fail, each for its own reason ---------------------------
verify_err expired 10 -CAfile ca.pem
ok "expired is wholly in the past" test "$(not_after expired)" -lt "$now"
verify_err notyet 9 -CAfile ca.pem
ok "notyet starts in the future" test "$(not_before notyet)" -gt "$now"
verify_err revoked 23 -CAfile ca.pem -crl_check -CRLfile crl.pem
verify_err viewer 23 -CAfile ca.pem -crl_check -CRLfile crl-viewer.pem
verify_err revoked 23 -CAfile ca.pem -crl_check -CRLfile crl-viewer.pem
verify_ok viewer -crl_check -CRLfile crl.pem
verify_err admin 12 -CAfile ca.pem -crl_check -CRLfile crl-stale.pem
verify_err serveronly 26 -CAfile ca.pem -purpose sslclient
has_text serveronly "EKU serverAuth only" "^ +TLS Web Server Authentication$"
verify_err rsa1024 66 -CAfile ca.pem -auth_level 2
has_text rsa1024 "RSA 1024" "Public-Key: \(1024 bit\)"
verify_err sha1 68 -CAfile ca.pem -auth_level 1
has_text sha1 "signed with SHA-1" "Signature Algorithm: ecdsa-with-SHA1"
has_text v1 "X.509 version 1" "Version: 1 \(0x0\)"
checked=$((checked + 1))
text v1 | grep -q "X509v3 extensions" && fail "v1 has extensions"
verify_err other 20 -CAfile ca.pem
verify_err other 19 -CAfile ca.pem -untrusted other-chain.pem
ok "other verifies against its own root" openssl verify -CAfile other-root.pem other.pem
verify_err public-looking 20 -CAfile ca.pem
verify_err public-looking 19 -CAfile ca.pem -untrusted public-looking-chain.pem
if [ -d /etc/ssl/certs ]; then
    verify_err public-looking 19 -CApath /etc/ssl/certs -untrusted public-looking-chain.pem
fi
verify_err deep 20 -CAfile ca.pem
verify_ok deep -untrusted deep-chain.pem
verify_err deep 22 -CAfile ca.pem -untrusted deep-chain.pem -verify_depth 1
verify_ok admin -untrusted admin-chain.pem -verify_depth 1 -CAfile root.pem

# --- CRLs ---------------------------------------------------------------------------
crl_serials() { openssl crl -in "$1" -noout -text | sed -n 's/^ *Serial Number: *//p' | tr A-F a-f; }
serial_of() { openssl x509 -in "$1.pem" -noout -serial | sed 's/^serial=//' | tr A-F a-f; }
for c in crl crl-empty crl-viewer crl-stale; do
    ok "$c.pem is signed by client-ca" openssl crl -in "$c.pem" -noout -CAfile ca.pem
    ok "$c.pem issuer is client-ca" sh -c 'openssl crl -in "$1" -noout -issuer | grep -q "CN = Gatehouse Demo Client CA$"' _ "$c.pem"
done
ok "crl-root.pem is signed by root" openssl crl -in crl-root.pem -noout -CAfile root.pem
ok "crl.pem lists exactly revoked" same "$(crl_serials crl.pem)" "$(serial_of revoked)"
ok "crl-viewer.pem lists revoked and viewer" same "$(crl_serials crl-viewer.pem | sort)" \
    "$(printf '%s\n%s\n' "$(serial_of revoked)" "$(serial_of viewer)" | sort)"
ok "crl-empty.pem lists nothing" same "$(crl_serials crl-empty.pem)" ""
ok "crl-root.pem lists nothing" same "$(crl_serials crl-root.pem)" ""
ok "crl-stale.pem is past nextUpdate" test "$(next_update crl-stale.pem)" -lt "$now"
for c in crl crl-empty crl-viewer crl-root; do
    ok "$c.pem has nextUpdate about 30 days ahead" \
        test "$(( ($(next_update "$c.pem") - now) / DAY ))" -ge 7 -a "$(( ($(next_update "$c.pem") - now) / DAY ))" -le 30
done

# --- fingerprints.txt -------------------------------------------------------------
ok "fingerprints.txt has one line per client" same "$(cut -d' ' -f1 fingerprints.txt | sort)" \
    "$(for n in $clients; do echo "$n"; done | sort)"
for n in $clients; do
    fp=$(openssl x509 -in "$n.pem" -outform DER | sha256sum | cut -c1-64 | tr a-f A-F)
    sp=$(spki "$n.pem" | tr a-f A-F)
    se=$(serial_of "$n" | sed 's/^0*//')
    ok "fingerprints.txt line for $n" grep -qx "$n sha256:$fp spki-sha256:$sp serial:$se" fingerprints.txt
done
ok "field's serial in fingerprints.txt" grep -q '^field .* serial:a11ce0042$' fingerprints.txt

# --- idempotence --------------------------------------------------------------------
before=$(find . -type f ! -name .pki-lock -exec sha256sum {} + | sort)
ok "make-pki.sh re-run succeeds" "$here/make-pki.sh" .
ok "make-pki.sh re-run changes nothing" same "$(find . -type f ! -name .pki-lock -exec sha256sum {} + | sort)" "$before"

# --- demo flash ---------------------------------------------------------------------
if [ -n "$flash" ]; then
    for f in ca.pem crl.pem server.pem server.key; do
        ok "flash $f is the PKI's" cmp -s "$f" "$flash/$f"
    done
    ok "flash has certmap.ini" test -s "$flash/certmap.ini"
    ok "flash has gatehouse.ini" test -s "$flash/gatehouse.ini"
    ok "certmap maps admin by its fingerprint" grep -qx "fingerprint = sha256:$(openssl x509 -in admin.pem -outform DER | sha256sum | cut -c1-64 | tr a-f A-F)" "$flash/certmap.ini"
    ok "certmap maps viewer by its certificate" grep -qx "certificate = $(openssl x509 -in viewer.pem -outform DER | openssl base64 -A)" "$flash/certmap.ini"
    ok "certmap has a disabled pubkey example for admin's key" grep -qx "pubkey = sha256:$(spki admin.pem | tr a-f A-F)" "$flash/certmap.ini"
    sum=$(sha256sum <"$flash/certmap.ini")
    printf '\n; edited on the device\n' >>"$flash/certmap.ini"
    edited=$(sha256sum <"$flash/certmap.ini")
    ok "make-flash.sh re-run succeeds" "$here/make-flash.sh" . "$flash"
    ok "make-flash.sh keeps an existing certmap.ini" same "$(sha256sum <"$flash/certmap.ini")" "$edited"
    # Undo our edit so the folder stays as make-flash.sh made it.
    sed -i '$d' "$flash/certmap.ini" && sed -i '$d' "$flash/certmap.ini"
    ok "certmap.ini restored" same "$(sha256sum <"$flash/certmap.ini")" "$sum"
fi

echo "check-pki: $checked checks, $failed failed"
[ "$failed" -eq 0 ]
