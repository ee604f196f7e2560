#!/bin/bash
# make-flash.sh PKI_DIR FLASH_DIR: a demo flash folder for `gatehouse serve
# --flash FLASH_DIR`, from a PKI made by make-pki.sh.
#
# Trust and server files are refreshed from PKI_DIR (only when they differ, and
# by rename, so a running server never reads half a file). certmap.ini and
# gatehouse.ini are written only when absent: a table provisioned on the device
# survives re-running the demo. Delete them to get the demo versions back.
set -euo pipefail

usage() { echo "usage: $0 PKI_DIR FLASH_DIR" >&2; exit 2; }
die() { echo "make-flash: $*" >&2; exit 1; }

if [ $# -ne 2 ] || [ -z "$1" ] || [ -z "$2" ]; then usage; fi
pki=$1
flash=$2
for f in ca.pem crl.pem server.pem server.key admin.pem viewer.pem; do
    [ -f "$pki/$f" ] || die "$pki/$f missing: run certs/make-pki.sh $pki first"
done
mkdir -p "$flash"

# put SRC DEST MODE: atomically replace DEST with SRC's content when it differs.
put() {
    if cmp -s "$1" "$2"; then return 0; fi
    cp "$1" "$2.tmp.$$"
    chmod "$3" "$2.tmp.$$"
    mv -f "$2.tmp.$$" "$2"
    echo "make-flash: wrote $2"
}

# write_new DEST: DEST gets stdin unless it exists already.
write_new() {
    if [ -e "$1" ]; then
        cat >/dev/null
        echo "make-flash: kept existing $1"
        return 0
    fi
    cat >"$1.tmp.$$"
    mv -f "$1.tmp.$$" "$1"
    echo "make-flash: wrote $1"
}

put "$pki/ca.pem" "$flash/ca.pem" 644
put "$pki/crl.pem" "$flash/crl.pem" 644
put "$pki/server.pem" "$flash/server.pem" 644
put "$pki/server.key" "$flash/server.key" 600

der_sha256() { openssl x509 -in "$1" -outform DER | openssl dgst -sha256 -r | cut -c1-64 | tr a-f A-F; }
spki_sha256() {
    openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
        openssl dgst -sha256 -r | cut -c1-64 | tr a-f A-F
}

admin_fp=$(der_sha256 "$pki/admin.pem")
admin_spki=$(spki_sha256 "$pki/admin.pem")
viewer_b64=$(openssl x509 -in "$pki/viewer.pem" -outform DER | openssl base64 -A)
if [ ${#admin_fp} -ne 64 ] || [ ${#admin_spki} -ne 64 ] || [ -z "$viewer_b64" ]; then
    die "could not read the demo certificates in $pki"
fi

write_new "$flash/certmap.ini" <<EOF
; certmap.ini: the demo mapping table (CONTRACT.md section 2), made by
; certs/make-flash.sh for the certificates of certs/make-pki.sh.
;
; One-to-one mappings (certificate, fingerprint, pubkey) decide first; then
; the match mappings in file order: the first whose every match holds decides.
; With this table:
;   admin.pem      -> admin     (alice-admin, by fingerprint)
;   viewer.pem     -> viewer    (vera-viewer, by certificate)
;   operator.pem   -> operator  (acme-service)
;   field.pem      -> operator  (field-engineers)
;   contractor.pem -> refused   (contractors: denied-by-mapping)
;   unmapped.pem   -> refused   (no mapping: not-mapped)

[certmap]
version = 1

; admin.pem, by the SHA-256 of its DER.
[map "alice-admin"]
fingerprint = sha256:$admin_fp
role = admin

; viewer.pem, the whole certificate as base64 DER.
[map "vera-viewer"]
certificate = $viewer_b64
role = viewer

; admin.pem's key: would keep Alice an admin across a renewal with the same
; key (renewed-admin.pem). Disabled: this demo grants admin by fingerprint.
[map "alice-admin-key"]
pubkey = sha256:$admin_spki
role = admin
enabled = false

; Deny first, so no later rule can let a contractor in.
[map "contractors"]
match = subject.O = Contractor GmbH
action = deny

; operator.pem has OU=Service and OU=Field; either may match.
[map "acme-service"]
match = issuer.CN = Gatehouse Demo Client CA
match = subject.O = Acme Industrial
match = subject.OU = Service
role = operator

; field.pem (OU=Service Team, fiona@acme.example).
[map "field-engineers"]
match = issuer.CN = Gatehouse Demo Client CA
match = subject.OU ~ Service*
match = san.email ~i *@acme.example
role = operator
EOF

write_new "$flash/gatehouse.ini" <<'EOF'
; gatehouse.ini: settings (CONTRACT.md section 3). Every key has a safe
; default; the commented lines show the defaults.

[tls]
; reject = handshake

[trust]
; crl = optional
; min_rsa_bits = 2048
; min_ec_bits = 256
; allow_sha1 = false

[keystore]
; server_key = file:server.key
EOF
