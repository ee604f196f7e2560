#!/usr/bin/env bash
# Revocation along the whole path (CONTRACT.md section 7): the usual PKI
# layout (ca.pem = the root, crl.pem = the root's CRL and the intermediate's),
# a revoked intermediate CA whether the client sends it or ca.pem holds it,
# `crl = required` with a CA whose issuer has no CRL, a CRL that claims an
# issuer whose key did not sign it, and the audit of a client certificate
# wolfSSL cannot parse (reason bad-certificate, with its fingerprint).
. "$(dirname "$0")/lib.sh"

# ---------------------------------------------------------------- the PKI
# root -> int -> {leaf, gone}; root's CRL revokes int in one version and
# nothing in the other; int's CRL revokes gone. fake-int has int's name and
# another key: a CRL it signs claims to be int's.
P=$T/pki; mkdir -p "$P"
cat >"$P/openssl.cnf" <<EOF
[req]
distinguished_name = dn
[dn]
[ca]
default_ca = ca_x
[ca_x]
dir = $P
database = \$dir/\$ENV::DB/index.txt
serial = \$dir/\$ENV::DB/serial
crlnumber = \$dir/\$ENV::DB/crlnumber
new_certs_dir = \$dir/\$ENV::DB
default_md = sha256
default_crl_days = 30
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
organizationName = optional
[x_root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[x_ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[x_leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid:always
[x_noca]
basicConstraints = critical, CA:FALSE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[x_nokcs]
basicConstraints = critical, CA:TRUE
keyUsage = critical, digitalSignature, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[x_crit]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
1.3.6.1.4.1.55555.1 = critical, ASN1:UTF8String:must be understood
EOF
export DB=rootdb   # the config names $ENV::DB; openssl req reads it too
newdb() { mkdir -p "$P/$1"; : >"$P/$1/index.txt"; echo 01 >"$P/$1/serial"; echo 01 >"$P/$1/crlnumber"; }
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$P/$1.key" 2>/dev/null; }
csr() { openssl req -new -config "$P/openssl.cnf" -key "$P/$1.key" -subj "$2" -out "$P/$1.csr" 2>/dev/null; }
sign() {   # DB ISSUER NAME EXT [openssl ca options]
    local db=$1 issuer=$2 name=$3 ext=$4; shift 4
    DB=$db openssl ca -batch -config "$P/openssl.cnf" -cert "$P/$issuer.pem" -keyfile "$P/$issuer.key" \
        -extensions "$ext" -days 30 -in "$P/$name.csr" -out "$P/$name.pem" -notext "$@" 2>"$P/$name.err" ||
        { echo "# openssl ca for $name failed:"; sed 's/^/#   /' "$P/$name.err"; exit 1; }
}
gencrl() { DB=$1 openssl ca -config "$P/openssl.cnf" -cert "$P/$2.pem" -keyfile "$P/$2.key" -gencrl -out "$P/$3" 2>/dev/null; }
newdb rootdb; newdb intdb; newdb fakedb
key root; csr root "/O=Chain Test/CN=Chain Test Root"
sign rootdb root root x_root -selfsign
key int; csr int "/O=Chain Test/CN=Chain Test Intermediate"
sign rootdb root int x_ca
key leaf; csr leaf "/O=Chain Test/CN=Lea Leaf"; sign intdb int leaf x_leaf
key gone; csr gone "/O=Chain Test/CN=Gus Gone"; sign intdb int gone x_leaf
DB=intdb openssl ca -config "$P/openssl.cnf" -cert "$P/int.pem" -keyfile "$P/int.key" -revoke "$P/gone.pem" 2>/dev/null
gencrl intdb int int-crl.pem
gencrl rootdb root root-crl-clean.pem
DB=rootdb openssl ca -config "$P/openssl.cnf" -cert "$P/root.pem" -keyfile "$P/root.key" -revoke "$P/int.pem" 2>/dev/null
gencrl rootdb root root-crl-revokes-int.pem
# int rekeyed: the same name, a new key and serial, valid; the root's CRL
# above revokes only the old int
key int2; csr int2 "/O=Chain Test/CN=Chain Test Intermediate"
sign rootdb root int2 x_ca
newdb int2db
key leaf2; csr leaf2 "/O=Chain Test/CN=Len Leaf Two"; sign int2db int2 leaf2 x_leaf
# the same name as int, another key: its CRL claims int as its issuer
# (openssl ca orders the name as its policy says: made the same way as int's)
key fake; csr fake "/O=Chain Test/CN=Chain Test Intermediate"
sign fakedb fake fake x_root -selfsign
gencrl fakedb fake fake-int-crl.pem
for n in leaf gone; do cat "$P/$n.pem" "$P/int.pem" >"$P/$n-chain.pem"; done
# wolfSSL cannot parse these client certificates: an unknown critical
# extension, and a serial number of zero
key crit; csr crit "/O=Chain Test/CN=Cris Critical"
openssl x509 -req -in "$P/crit.csr" -CA "$P/int.pem" -CAkey "$P/int.key" -set_serial 0x4242 -days 30 \
    -extfile "$P/openssl.cnf" -extensions x_crit -out "$P/crit.pem" 2>/dev/null
key zero; csr zero "/O=Chain Test/CN=Zed Zero"
openssl x509 -req -in "$P/zero.csr" -CA "$P/int.pem" -CAkey "$P/int.key" -set_serial 0 -days 30 \
    -extfile "$P/openssl.cnf" -extensions x_leaf -out "$P/zero.pem" 2>/dev/null
# and one larger than the server takes (budget.h GH_CERT_DER_MAX): 400 names
key big; csr big "/O=Chain Test/CN=Bea Big"
{ printf '[x_big]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n'
  printf 'extendedKeyUsage = clientAuth\nsubjectAltName = '
  seq 1 400 | sed 's/.*/DNS:host-&.an-example-of-a-long-name.example/' | paste -sd, -; } >"$P/big.ext"
openssl x509 -req -in "$P/big.csr" -CA "$P/int.pem" -CAkey "$P/int.key" -set_serial 0x4444 -days 30 \
    -extfile "$P/big.ext" -extensions x_big -out "$P/big.pem" 2>/dev/null
# (An Ed25519 client is not among them: with no signature scheme in common,
# openssl sends an empty certificate list, and the audit rightly says
# no-certificate.)
for n in crit zero; do cat "$P/$n.pem" "$P/int.pem" >"$P/$n-chain.pem"; done
# CAs that may not sign: no CA:TRUE, no keyCertSign; and a CA below int,
# whose pathlen is 0
leaf_of() {   # CA NAME: NAME signed by CA, as a client
    key "$2"; csr "$2" "/O=Chain Test/CN=$2"
    openssl x509 -req -in "$P/$2.csr" -CA "$P/$1.pem" -CAkey "$P/$1.key" -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
        -days 30 -extfile "$P/openssl.cnf" -extensions x_leaf -out "$P/$2.pem" 2>/dev/null
}
key noca; csr noca "/O=Chain Test/CN=Not A CA"; sign rootdb root noca x_noca; leaf_of noca noca-leaf
key nokcs; csr nokcs "/O=Chain Test/CN=No KeyCertSign CA"; sign rootdb root nokcs x_nokcs; leaf_of nokcs nokcs-leaf
key sub; csr sub "/O=Chain Test/CN=Below PathLen Zero"; sign intdb int sub x_ca; leaf_of sub sub-leaf
cat "$P/sub.pem" "$P/int.pem" >"$P/sub-path.pem"
leaf_of fake fake-leaf   # under the look-alike of int (same names, another key)
cat "$P/int.pem" "$P/int.pem" >"$P/int-twice.pem"
for f in root.pem int.pem leaf.pem gone.pem crit.pem zero.pem big.pem int-crl.pem root-crl-clean.pem \
         root-crl-revokes-int.pem fake-int-crl.pem int2.pem leaf2.pem noca-leaf.pem nokcs-leaf.pem sub-leaf.pem fake-leaf.pem; do
    [ -s "$P/$f" ] || { echo "# could not make $f"; exit 1; }
done

# ---------------------------------------------------------------- helpers
# sc WHO: GET /api/whoami as WHO sending WHO-chain.pem (leaf + int). Prints
# "STATUS REASON" ("000 -" when the handshake failed); the alert openssl saw
# is in $T/alert.
sc() {   # WHO [CA_FILE]: sending WHO's certificate and CA_FILE (default: int)
    local who=$1 chain=${2:-$P/int.pem}
    printf 'GET /api/whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
        timeout $((10 * SLOW)) openssl s_client -quiet -connect "127.0.0.1:$GH_PORT" \
            -CAfile "$PKI/root.pem" -cert "$P/$who.pem" -cert_chain "$chain" -key "$P/$who.key" \
            >"$T/sc.out" 2>&1 || true
    grep -Eo 'alert [a-z ]+' "$T/sc.out" | head -1 | sed 's/^alert //; s/ *$//' >"$T/alert"
    local code reason
    code=$(grep -aEo '^HTTP/1\.1 [0-9]{3}' "$T/sc.out" | head -1 | awk '{print $2}')
    reason=$(sed -n '/^{/,$p' "$T/sc.out" | jq -r '.reason // "-"' 2>/dev/null | head -1)
    echo "${code:-000} ${reason:--}"
}
alert() { local a; a=$(cat "$T/alert"); echo "${a:-none}"; }
# curl as WHO, sending leaf + int: the HTTP status
cu() {
    curl -sS --max-time $((10 * SLOW)) --cacert "$PKI/root.pem" --cert "$P/$1-chain.pem" --key "$P/$1.key" \
        -o /dev/null -w '%{http_code}' "https://127.0.0.1:$GH_PORT/api/whoami" 2>"$T/curl.err" || true
}
# the newest audit record about CN, as "reason|detail|fingerprint"
audit_of() {
    gh_curl admin '/api/audit?limit=64' |
        jq -r --arg cn "$1" 'first(.[] | select(.reason != "ok" and (((.subject // "") | contains($cn)) or
            ((.detail // "") | contains($cn))))) | "\(.reason)|\(.detail)|\(.fingerprint)"'
}
sha256_of() { openssl x509 -in "$1" -outform DER | sha256sum | awk '{print toupper($1)}'; }

flash=$(make_flash)
# the demo's admin keeps the audit log readable; the test's own leaves map
# to viewer by their O
{ table_head; printf '[map "chain-test"]\nmatch = subject.O = Chain Test\nrole = viewer\n'; } >"$flash/certmap.ini"
setup() {   # CA_FILES CRL_FILES MODE: ca.pem = demo CAs + CA_FILES, crl.pem = demo CRL + CRL_FILES
    local f
    cat "$PKI/ca.pem" >"$flash/ca.pem"; for f in $1; do cat "$P/$f" >>"$flash/ca.pem"; done
    cat "$PKI/crl.pem" "$PKI/crl-root.pem" >"$flash/crl.pem"; for f in $2; do cat "$P/$f" >>"$flash/crl.pem"; done
    printf '[trust]\ncrl = %s\n' "$3" >"$flash/gatehouse.ini"
    gh_stop; gh_start "$flash" || gh_start "$flash" || { bad "server did not start"; finish; exit 1; }
}

# ---------------------------------------------------------------- the usual layout
setup root.pem "root-crl-clean.pem int-crl.pem" optional
expect "usual layout (ca.pem = root, crl.pem = root's CRL + the intermediate's): it starts, a good client is served (curl)" \
    "$(cu leaf)" 200
expect "... and with openssl s_client" "$(sc leaf)" "200 -"
expect "... a leaf the intermediate's CRL revokes is refused in the handshake" "$(sc gone)" "000 -"
expect "... with alert certificate_revoked" "$(alert)" "certificate revoked"
expect "... curl is refused too" "$(cu gone)" 000
expect_match "... audit reason revoked" "$(audit_of 'Gus Gone')" '^revoked\|certificate'
expect "... and the good client is still served" "$(cu leaf)" 200
expect_no_match "... no warning about a missing CRL" "$(cat "$GH_LOG")" 'no current CRL|not used'
setup root.pem "root-crl-clean.pem int-crl.pem" required
expect "usual layout with crl = required: the good client is served" "$(sc leaf)" "200 -"
expect "... the revoked leaf is refused" "$(sc gone)" "000 -"
expect "... with alert certificate_revoked" "$(alert)" "certificate revoked"

# ---------------------------------------------------------------- a revoked intermediate
setup root.pem "root-crl-revokes-int.pem int-crl.pem" optional
expect "the root's CRL revokes the intermediate, ca.pem = root (client sends leaf + intermediate): refused" \
    "$(sc leaf)" "000 -"
expect "... with alert certificate_revoked" "$(alert)" "certificate revoked"
expect "... curl is refused too" "$(cu leaf)" 000
expect_match "... audit reason revoked, naming the CA" "$(audit_of 'Lea Leaf')" \
    '^revoked\|the CA [^|]*CN=Chain Test Intermediate[^|]* is revoked'
expect "... while the demo's admin is served" "$(gh_curl admin /api/whoami >/dev/null; status)" 200

setup "root.pem int.pem" "root-crl-revokes-int.pem int-crl.pem" optional
expect "... the same with ca.pem = root + intermediate: refused" "$(sc leaf)" "000 -"
expect "... with alert certificate_revoked" "$(alert)" "certificate revoked"
expect_match "... audit reason revoked, naming the CA" "$(audit_of 'Lea Leaf')" \
    '^revoked\|the CA [^|]*CN=Chain Test Intermediate[^|]* is revoked'
expect_match "... and the log said so at start" "$(cat "$GH_LOG")" \
    'warning: ca\.pem: certificate [0-9]+ \([^)]*CN=Chain Test Intermediate[^)]*\) is revoked'
expect "... curl, sending only its own certificate, is refused too" \
    "$(curl -sS --max-time $((10 * SLOW)) --cacert "$PKI/root.pem" --cert "$P/leaf.pem" --key "$P/leaf.key" \
        -o /dev/null -w '%{http_code}' "https://127.0.0.1:$GH_PORT/api/whoami" 2>/dev/null)" 000
expect "... while the demo's admin is served" "$(gh_curl admin /api/whoami >/dev/null; status)" 200

# The intermediate rekeyed: ca.pem = root + the new int2 (the same name as
# the revoked int). A client sending the old int must not pass for a client
# of int2: a CA it sends is an anchor only when byte for byte one of ca.pem.
# (without int's own CRL: wolfSSL would check it against int2, the CA of
# that name in ca.pem, and refuse to load it)
setup "root.pem int2.pem" "root-crl-revokes-int.pem" optional
expect "rekeyed intermediate: a client of the revoked old one, sending it, is refused" "$(sc leaf)" "000 -"
expect "... with alert certificate_revoked" "$(alert)" "certificate revoked"
expect "... a client of the new one (same name) is served" "$(sc leaf2 "$P/int2.pem")" "200 -"

# ---------------------------------------------------------------- crl = required and a CA without a CRL
setup root.pem "int-crl.pem" required
# (crl.pem holds the demo root's CRL, not this root's)
expect "crl = required, the root's CRL is missing: the intermediate cannot be checked, refused" "$(sc leaf)" "000 -"
expect_match "... audit reason revocation-unknown, naming the CA" "$(audit_of 'Lea Leaf')" \
    '^revocation-unknown\|the CA [^|]*CN=Chain Test Intermediate[^|]*: crl\.pem has no current CRL'
setup "root.pem int.pem" "int-crl.pem" required
expect "... the same with the intermediate in ca.pem: refused" "$(sc leaf)" "000 -"
expect_match "... audit reason revocation-unknown, naming the CA" "$(audit_of 'Lea Leaf')" \
    '^revocation-unknown\|the CA [^|]*CN=Chain Test Intermediate[^|]*: crl\.pem has no current CRL'
setup root.pem "int-crl.pem" optional
expect "crl = optional, the root's CRL is missing: served" "$(sc leaf)" "200 -"
expect_match "... with a warning" "$(cat "$GH_LOG")" 'warning: .*CN=Chain Test Intermediate.*\(a CA a client sent\): no current CRL'
expect "... and the intermediate's CRL still applies" "$(sc gone)" "000 -"

# ---------------------------------------------------------------- a CRL its issuer did not sign
setup root.pem "root-crl-clean.pem fake-int-crl.pem" optional
expect "a CRL that claims the intermediate but another key signed it: start-up goes on, the client is served (optional)" \
    "$(sc leaf)" "200 -"
sc leaf >/dev/null
expect "... and it is never applied: the revoked leaf, not in it, stays unchecked (served, 403 not-mapped is not expected: viewer)" \
    "$(sc gone)" "200 -"
expect "... it is logged once" "$(grep -Ec 'CRL 4 claims to be from .*CN=Chain Test Intermediate.*, but its signature does not verify' "$GH_LOG")" 1
setup root.pem "root-crl-clean.pem fake-int-crl.pem" required
expect "... with crl = required the client is refused (revocation-unknown)" "$(sc leaf)" "000 -"
expect_match "... audit says why" "$(audit_of 'Lea Leaf')" '^revocation-unknown\|'

# ---------------------------------------------------------------- garbage
cat "$PKI/crl.pem" >"$flash/crl.pem"
printf -- '-----BEGIN X509 CRL-----\nbm90IGEgQ1JMIGF0IGFsbA==\n-----END X509 CRL-----\n' >>"$flash/crl.pem"
gh_stop
"$GATEHOUSE" check --flash "$flash" >/dev/null 2>&1 || true
$RUNNER "$GATEHOUSE" serve --flash "$flash" --listen "127.0.0.1:$(free_port)" >"$T/garbage.log" 2>&1 &
gpid=$!
for _ in $(seq 1 $((50 * SLOW))); do kill -0 "$gpid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$gpid" 2>/dev/null; then kill "$gpid"; bad "a garbage CRL: the server started"; else ok "a garbage CRL stops start-up"; fi
wait "$gpid" 2>/dev/null || true
expect_match "... with a clear error" "$(cat "$T/garbage.log")" 'crl\.pem: CRL 2 cannot be loaded'

# ---------------------------------------------------------------- what passed before, still
setup root.pem "root-crl-clean.pem int-crl.pem" optional
expect "a chain that sends the intermediate twice is served" "$(sc leaf "$P/int-twice.pem")" "200 -"
expect "a leaf under a CA without CA:TRUE is refused" "$(sc noca-leaf "$P/noca.pem")" "000 -"
expect_match "... audit says untrusted" "$(audit_of 'noca-leaf')" '^untrusted\|'
expect "a leaf below a CA under pathlen:0 is refused" "$(sc sub-leaf "$P/sub-path.pem")" "000 -"
expect_match "... audit says untrusted" "$(audit_of 'sub-leaf')" '^untrusted\|'
sc leaf >/dev/null   # int is now a known signer of this generation
expect "a leaf under a look-alike of the intermediate (same names, another key) is refused" \
    "$(sc fake-leaf "$P/fake.pem")" "000 -"
# (the look-alike claims int's name as its issuer: its signature fails
# against int's key)
expect_match "... audit says its CA certificate failed" "$(audit_of 'fake-leaf')" \
    '^(untrusted|bad-certificate)\|a CA certificate of its chain: '
expect "a leaf under a CA without keyCertSign is refused" "$(sc nokcs-leaf "$P/nokcs.pem")" "000 -"
got=$(gh_curl admin '/api/audit?limit=64' | jq -r 'first(.[] | select(.kind == "handshake")) | "\(.reason)|\(.detail)|\(.fingerprint)"')
expect_match "... audit reason bad-certificate naming the CA certificate, with the client's fingerprint" "$got" \
    "^bad-certificate\|a CA certificate of its chain: .+\|sha256:$(openssl x509 -in "$P/nokcs-leaf.pem" -outform DER | sha256sum | awk '{print toupper($1)}')\$"

# ---------------------------------------------------------------- an open connection after a reload
# The usual layout, then the root's CRL revokes the intermediate: a client
# still connected is refused at its next request.
ka_two() {
    local req="GET /api/whoami HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    { printf "$req"; sleep 2; printf "$req"; sleep $((2 * SLOW)); } |
        timeout $((20 * SLOW)) openssl s_client -quiet -connect "127.0.0.1:$GH_PORT" -CAfile "$PKI/root.pem" \
            -cert "$P/leaf.pem" -cert_chain "$P/int.pem" -key "$P/leaf.key" >"$T/ka.out" 2>"$T/ka.err" &
    local spid=$!
    sleep 1
    cat "$PKI/crl.pem" "$PKI/crl-root.pem" "$P/root-crl-revokes-int.pem" "$P/int-crl.pem" >"$flash/crl.pem"
    gh_reload
    wait "$spid" 2>/dev/null || true
    grep -aEo 'HTTP/1\.1 [0-9]{3} ' "$T/ka.out" | awk '{print $2}' | tr '\n' ' ' | sed 's/ $//'
}
expect "an open connection: 200, then 403 once a reload revokes its intermediate" "$(ka_two)" "200 403"
expect_match "... saying why" "$(cat "$T/ka.out")" '"reason":"revoked"'
setup root.pem "root-crl-clean.pem int-crl.pem" optional

# ---------------------------------------------------------------- certificates wolfSSL cannot parse
expect "big: the certificate is larger than the server takes" \
    "$([ "$(openssl x509 -in "$P/big.pem" -outform DER | wc -c)" -gt "$(awk '$2 == "GH_CERT_DER_MAX" {print $3}' "$SRC/server/budget.h")" ] && echo yes)" yes
for n in crit zero big; do
    expect "$n: refused in the handshake" "$(sc "$n")" "000 -"
    got=$(gh_curl admin '/api/audit?limit=64' | jq -r 'first(.[] | select(.kind == "handshake")) | "\(.reason)|\(.detail)|\(.fingerprint)"')
    expect_match "$n: audit reason bad-certificate with the parser's reason" "$got" '^bad-certificate\|.+\|'
    expect_match "$n: ... and the SHA-256 of the certificate it sent" "$got" "\|sha256:$(sha256_of "$P/$n.pem")\$"
done

finish
