#!/usr/bin/env bash
# The trust policy of gatehouse.ini [trust] (CONTRACT.md section 3): CRL
# required or optional, key sizes, SHA-1, EKU, X.509 v3, validity of every
# certificate of the chain, and the chain's depth. Each refusal has its own
# reason and detail in the audit log.
. "$(dirname "$0")/lib.sh"

# OpenSSL 3 refuses to even load rsa1024 and sha1 certificates at its default
# security level, so every client here is s_client at level 0: what it sends
# is exactly the certificate and chain we name.
#
# sc WHO [CHAIN_FILE]: GET /api/whoami as WHO, sending CHAIN_FILE (default:
# WHO-chain.pem). Prints "STATUS REASON" ("000 -" when the handshake failed);
# the alert openssl saw is in $T/alert.
sc() {
    local who=$1 chain=${2:-$PKI/$1-chain.pem}
    # what comes after the leaf (s_client sends -cert, then -cert_chain)
    awk 'n > 0 { print } /-----END CERTIFICATE-----/ { n++ }' "$chain" >"$T/sc-chain.pem"
    [ -s "$T/sc-chain.pem" ] || cp "$PKI/root.pem" "$T/sc-chain.pem"
    chain=$T/sc-chain.pem
    printf 'GET /api/whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
        timeout $((10 * SLOW)) openssl s_client -quiet -connect "127.0.0.1:$GH_PORT" \
            -CAfile "$PKI/root.pem" -cipher 'DEFAULT:@SECLEVEL=0' \
            -cert "$PKI/$who.pem" -cert_chain "$chain" -key "$PKI/$who.key" >"$T/sc.out" 2>&1 || true
    grep -Eo 'alert [a-z ]+' "$T/sc.out" | head -1 | sed 's/^alert //; s/ *$//' >"$T/alert"
    local code reason
    code=$(grep -aEo '^HTTP/1\.1 [0-9]{3}' "$T/sc.out" | head -1 | awk '{print $2}')
    reason=$(sed -n '/^{/,$p' "$T/sc.out" | jq -r '.reason // "-"' 2>/dev/null | head -1)
    echo "${code:-000} ${reason:--}"
}
alert() { local a; a=$(cat "$T/alert"); echo "${a:-none}"; }

# the newest audit record about SUBJECT_CN, as "reason|detail"
audit_of() {
    gh_curl admin '/api/audit?limit=64' |
        jq -r --arg cn "CN=$1," 'first(.[] | select((.subject // "") | startswith($cn))) | "\(.reason)|\(.detail)"'
}

# A table that maps the odd certificates, so that getting past the policy
# shows as 200 and not as 403 not-mapped.
write_table() {
    {
        table_head
        for who in sha1 rsa1024 deep p384 rsa2048; do
            fp=$(fingerprint "$who")
            [ -n "$fp" ] && printf '[map "%s"]\nfingerprint = %s\nrole = viewer\n\n' "$who" "$fp"
        done
        printf '[map "temp-ca-leaves"]\nmatch = subject.O = Policy Test\nrole = viewer\n'
    } >"$1/certmap.ini"
}

flash=$(make_flash)
write_table "$flash"
settings() { printf '%s\n' "$@" >"$flash/gatehouse.ini"; }
# (a port another test took between free_port and bind: try another)
restart() { gh_stop; gh_start "$flash" || gh_start "$flash" || gh_start "$flash" || exit 1; }

# ---------------------------------------------------------------- key, signature, version, EKU
settings '[trust]'
restart
expect "admin (P-256, SHA-256, v3, clientAuth) is served" "$(sc admin)" "200 -"
expect "an RSA 2048 client is served" "$(sc rsa2048)" "200 -"
expect "a P-384 client is served" "$(sc p384)" "200 -"

check_refusal() {   # WHO CN DETAIL_REGEX
    local who=$1 cn=$2 re=$3 got
    expect "$who: refused in the handshake" "$(sc "$who")" "000 -"
    expect "$who: with alert bad_certificate" "$(alert)" "bad certificate"
    got=$(audit_of "$cn")
    expect_match "$who: audit reason policy, detail says why" "$got" "^policy\|.*$re"
}
check_refusal rsa1024 "Rob RSA1024" 'RSA key of 1024 bits \(gatehouse\.ini: min_rsa_bits = 2048\)'
check_refusal sha1 "Sven SHA1" 'signed with SHA-1'
check_refusal v1 "Vic Version1" 'X\.509 version 1'
check_refusal serveronly "Sam Serveronly" 'Extended Key Usage does not allow clientAuth'
sc admin "$PKI/admin-chain.pem" >/dev/null
expect "the same refusals in one log: each with its own detail" \
    "$(gh_curl admin '/api/audit?limit=64' | jq -r '[.[] | select(.reason=="policy") | .detail] | unique | length')" 4

# the same, as readable 403s (reject = page)
settings '[tls]' 'reject = page'
restart
for pair in rsa1024:policy sha1:policy v1:policy serveronly:policy expired:expired notyet:not-yet-valid; do
    IFS=: read -r who reason <<<"$pair"
    expect "reject = page: $who gets 403 $reason" "$(sc "$who")" "403 $reason"
done

settings '[trust]' 'allow_sha1 = true'
restart
expect "allow_sha1 = true lets the SHA-1 certificate in" "$(sc sha1)" "200 -"
expect "... and nothing else changes: rsa1024 is still refused" "$(sc rsa1024)" "000 -"

settings '[trust]' 'min_rsa_bits = 1024'
restart
expect "min_rsa_bits = 1024 lets the RSA 1024 certificate in" "$(sc rsa1024)" "200 -"
expect "... and SHA-1 is still refused" "$(sc sha1)" "000 -"

settings '[trust]' 'min_ec_bits = 384'
restart
expect "min_ec_bits = 384: a P-384 client is refused, its CA's key is P-256" "$(sc p384)" "000 -"
expect_match "... the log says which key" "$(grep 'CN=Petra P384' "$GH_LOG")" \
    'reason=policy.*a CA certificate of its chain: EC key of 256 bits \(gatehouse\.ini: min_ec_bits = 384\)'

# ---------------------------------------------------------------- validity of the whole chain
# CAs made here, under the demo root: one expired, one not yet valid, each
# with a leaf that is itself valid now.
mkca() {   # NAME START END: $T/ca/NAME.pem (CA from root), NAME-leaf.pem, NAME-leaf-chain.pem
    local n=$1 d=$T/ca
    mkdir -p "$d/db"; : >"$d/db/index.txt"; echo 01 >"$d/db/serial"
    cat >"$d/openssl.cnf" <<EOF
[req]
distinguished_name = dn
[dn]
[ca]
default_ca = ca_x
[ca_x]
database = $d/db/index.txt
serial = $d/db/serial
new_certs_dir = $d/db
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
organizationName = optional
[x_ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[x_leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
EOF
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/$n.key" 2>/dev/null
    openssl req -new -config "$d/openssl.cnf" -key "$d/$n.key" -subj "/O=Policy Test/CN=$n" -out "$d/$n.csr" 2>/dev/null
    openssl ca -batch -config "$d/openssl.cnf" -cert "$PKI/root.pem" -keyfile "$PKI/root.key" -rand_serial \
        -extensions x_ca -startdate "$2" -enddate "$3" -in "$d/$n.csr" -out "$d/$n.pem" -notext 2>/dev/null
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/$n-leaf.key" 2>/dev/null
    openssl req -new -config "$d/openssl.cnf" -key "$d/$n-leaf.key" -subj "/O=Policy Test/CN=$n leaf" -out "$d/$n-leaf.csr" 2>/dev/null
    # the leaf is valid now even where its CA is not (openssl ca would clip it)
    openssl x509 -req -in "$d/$n-leaf.csr" -CA "$d/$n.pem" -CAkey "$d/$n.key" -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
        -days 30 -extfile "$d/openssl.cnf" -extensions x_leaf -out "$d/$n-leaf.pem" 2>/dev/null
    cat "$d/$n-leaf.pem" "$d/$n.pem" >"$d/$n-leaf-chain.pem"
    cp "$d/$n-leaf.pem" "$PKI_T/$n-leaf.pem"; cp "$d/$n-leaf.key" "$PKI_T/$n-leaf.key"
    cp "$d/$n-leaf-chain.pem" "$PKI_T/$n-leaf-chain.pem"
}
# sc reads $PKI/NAME.*: give the made certificates a PKI folder of their own
PKI_T=$T/pki-t; mkdir -p "$PKI_T"; cp "$PKI/root.pem" "$PKI_T/"
utc() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
mkca expired-ca "$(utc '-30 days')" "$(utc '-1 day')"
mkca notyet-ca "$(utc '+1 day')" "$(utc '+30 days')"
mkca good-ca "$(utc '-1 day')" "$(utc '+30 days')"

settings '[trust]'
restart
PKI_SAVE=$PKI; PKI=$PKI_T
expect "a leaf under a valid CA it sends along is served" "$(sc good-ca-leaf)" "200 -"
expect "a valid leaf under an expired CA it sends along: refused" "$(sc expired-ca-leaf)" "000 -"
expect "... with alert certificate_expired" "$(alert)" "certificate expired"
expect "a valid leaf under a not-yet-valid CA: refused" "$(sc notyet-ca-leaf)" "000 -"
expect "... with alert certificate_expired" "$(alert)" "certificate expired"
PKI=$PKI_SAVE
expect_match "the audit names the expired CA certificate" "$(audit_of 'expired-ca leaf')" \
    '^expired\|a CA certificate of its chain'
expect_match "... and the not-yet-valid one" "$(audit_of 'notyet-ca leaf')" \
    '^not-yet-valid\|a CA certificate of its chain'

# An expired CA in ca.pem itself (a trust anchor past its date): its
# clients are refused, everyone else is served.
cat "$PKI/ca.pem" "$T/ca/expired-ca.pem" >"$flash/ca.pem"
restart
PKI=$PKI_T
cp "$T/ca/expired-ca-leaf.pem" "$PKI_T/anchor-leaf.pem"; cp "$T/ca/expired-ca-leaf.key" "$PKI_T/anchor-leaf.key"
expect "a leaf of an expired CA in ca.pem, sent alone: refused" "$(sc anchor-leaf "$PKI_T/anchor-leaf.pem")" "000 -"
PKI=$PKI_SAVE
expect "... while admin is served" "$(sc admin)" "200 -"
cp "$PKI/ca.pem" "$flash/ca.pem"

# ---------------------------------------------------------------- chain depth
# deep: root -> deep-int -> deep-ca -> deep, sending deep-ca and deep-int.
# Without crl.pem (there is no CRL for the deep CAs).
rm -f "$flash/crl.pem"
settings '[trust]' 'max_depth = 1'
restart
expect "max_depth = 1: deep (two CAs below the root) is refused" "$(sc deep)" "000 -"
expect_match "... audit reason chain-too-deep" "$(audit_of 'Dora Deep')" '^chain-too-deep\|.*max_depth = 1'
expect "max_depth = 1: admin (one CA below the root) is served" "$(sc admin)" "200 -"
cat "$PKI/admin-chain.pem" "$PKI/root.pem" >"$T/admin-with-root.pem"
expect "max_depth = 1: admin sending the root along too is served (a self-signed root is not counted)" \
    "$(sc admin "$T/admin-with-root.pem")" "200 -"

settings '[trust]' 'max_depth = 2'
restart
expect "max_depth = 2: deep is served" "$(sc deep)" "200 -"
settings '[trust]'
restart
expect "the default max_depth ($(grep -Eo 'GH_MAX_CHAIN_DEPTH +[0-9]+' "$SRC/server/budget.h" | awk '{print $2}')) serves deep" "$(sc deep)" "200 -"

# depth counts from the trust anchor in ca.pem: with deep-int in ca.pem,
# deep's chain has one CA below it.
cat "$PKI/ca.pem" "$PKI/deep-int.pem" >"$flash/ca.pem"
settings '[trust]' 'max_depth = 1'
restart
cat "$PKI/deep.pem" "$PKI/deep-ca.pem" >"$T/deep-short.pem"
expect "deep-int in ca.pem, max_depth = 1: deep sending only deep-ca is served" "$(sc deep "$T/deep-short.pem")" "200 -"
cp "$PKI/ca.pem" "$flash/ca.pem"

# The count is of what the client sends, every time. wolfSSL keeps each CA it
# verified in a handshake as a trusted signer until the next reload; counting
# only what it walked, a client whose chain is too deep could leave out the
# CA an earlier client sent and pass. ivy's chain is root -> deep-int -> ivy:
# after ivy, deep sending only deep-ca would reach deep-int through the cache.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI_T/ivy.key" 2>/dev/null
openssl req -new -config "$T/ca/openssl.cnf" -key "$PKI_T/ivy.key" -subj "/O=Policy Test/CN=ivy" \
    -out "$T/ivy.csr" 2>/dev/null
openssl x509 -req -in "$T/ivy.csr" -CA "$PKI/deep-int.pem" -CAkey "$PKI/deep-int.key" -set_serial 0x1b \
    -days 30 -extfile "$T/ca/openssl.cnf" -extensions x_leaf -out "$PKI_T/ivy.pem" 2>/dev/null
cat "$PKI_T/ivy.pem" "$PKI/deep-int.pem" >"$PKI_T/ivy-chain.pem"
settings '[trust]' 'max_depth = 1'
restart
PKI=$PKI_T
expect "max_depth = 1: ivy (deep-int below the root) is served" "$(sc ivy)" "200 -"
PKI=$PKI_SAVE
expect "... then deep, sending deep-ca but not deep-int (cached from ivy's handshake), is refused" \
    "$(sc deep "$T/deep-short.pem")" "000 -"
expect_match "... audit reason chain-incomplete" "$(audit_of 'Dora Deep')" \
    '^chain-incomplete\|its chain reaches ca.pem only through a CA certificate it did not send'
expect "... and deep sending its whole chain is still too deep" "$(sc deep)" "000 -"
expect_match "... audit reason chain-too-deep" "$(audit_of 'Dora Deep')" '^chain-too-deep\|'
settings '[trust]' 'max_depth = 2'
restart
PKI=$PKI_T; sc ivy >/dev/null; PKI=$PKI_SAVE
expect "max_depth = 2: deep leaving out deep-int is refused all the same" "$(sc deep "$T/deep-short.pem")" "000 -"
expect "... and deep sending its whole chain is served" "$(sc deep)" "200 -"

# ---------------------------------------------------------------- crl = required / optional
crl_case() {   # DESCRIPTION CRL_FILE|- MODE REJECT
    if [ "$2" = - ]; then rm -f "$flash/crl.pem"; else cp "$2" "$flash/crl.pem"; fi
    settings '[tls]' "reject = $4" '[trust]' "crl = $3"
    restart
}

crl_case "" - required handshake
expect "crl = required, crl.pem missing: admin is refused in the handshake" "$(sc admin)" "000 -"
expect_match "... the log says why" "$(cat "$GH_LOG")" 'warning: crl\.pem is missing.*every client is refused'
crl_case "" - required page
expect "crl = required, crl.pem missing, reject = page: 403 revocation-unknown" "$(sc admin)" "403 revocation-unknown"
body=$(gh_curl admin /)
expect_match "... the 403 page says so" "$body" 'cannot check revocation'

crl_case "" "$PKI/crl-stale.pem" required handshake
expect "crl = required, crl.pem past its nextUpdate: admin is refused" "$(sc admin)" "000 -"
expect_match "... the log says why" "$(cat "$GH_LOG")" 'warning: crl\.pem: CRL 1 is past its nextUpdate.*every client is refused'
crl_case "" "$PKI/crl-stale.pem" required page
expect "... and with reject = page: 403 revocation-unknown" "$(sc admin)" "403 revocation-unknown"

# every CA on the path needs its issuer's CRL: the client CA's from the root
cat "$PKI/crl.pem" "$PKI/crl-root.pem" >"$T/crl-both.pem"
crl_case "" "$PKI/crl.pem" required handshake
expect "crl = required, crl.pem without the root's CRL: admin is refused (its CA cannot be checked)" \
    "$(sc admin)" "000 -"
expect_match "... audit reason revocation-unknown, naming the client CA (in the log: admin cannot read the API)" \
    "$(grep 'CN=Alice Admin' "$GH_LOG" | tail -1)" \
    'reason=revocation-unknown .*detail=the CA .*Gatehouse Demo Client CA.*: crl\.pem has no current CRL'
crl_case "" "$T/crl-both.pem" required handshake
expect "crl = required with current CRLs of the root and the client CA: admin is served" "$(sc admin)" "200 -"
expect "... a revoked certificate is refused" "$(sc revoked)" "000 -"
expect "... with alert certificate_revoked" "$(alert)" "certificate revoked"
rm -f "$flash/crl.pem"; gh_reload
expect "crl.pem removed, reloaded: everyone is refused" "$(sc admin)" "000 -"
cp "$T/crl-both.pem" "$flash/crl.pem"; gh_reload
expect "a current crl.pem put back, reloaded: admin is served again" "$(sc admin)" "200 -"

crl_case "" - optional handshake
expect "crl = optional, no crl.pem: admin is served" "$(sc admin)" "200 -"
expect "... and the revoked certificate too (nothing to check against)" "$(sc revoked)" "403 not-mapped"
crl_case "" "$PKI/crl-stale.pem" optional handshake
expect "crl = optional, crl.pem past its nextUpdate: admin is served" "$(sc admin)" "200 -"
expect_match "... with a warning in the log" "$(cat "$GH_LOG")" 'warning: crl\.pem: CRL 1 is past its nextUpdate'
expect_match "... and one for each client served without a revocation check" "$(cat "$GH_LOG")" \
    'warning: CN=Alice Admin.*without a revocation check'
crl_case "" "$PKI/crl.pem" optional handshake
expect "crl = optional with a current crl.pem: the revoked certificate is refused" "$(sc revoked)" "000 -"
expect "... with alert certificate_revoked" "$(alert)" "certificate revoked"
expect "crl = optional: deep, whose CAs have no CRL in crl.pem, is served (with a warning)" "$(sc deep)" "200 -"

finish
