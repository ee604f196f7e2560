#!/bin/bash
# pkcs11_token.sh PKI_DIR DIR [TYPE]: a SoftHSM2 token holding the server's key,
# and a server certificate for it from the test PKI's root.
#
#   TYPE    ec (default: P-256) or rsa (2048 bits)
#
# Writes into DIR (made if needed; nothing outside it, never the system's
# token folder):
#   softhsm2.conf  point SOFTHSM2_CONF here before using the token
#   tokens/        the token store
#   pin.txt        the user PIN (random), no newline; so-pin.txt the SO PIN
#   server.pem     CN=localhost, SAN localhost/127.0.0.1/::1, serverAuth,
#                  signed by PKI_DIR/root.pem, for the key in the token
#   pub.pem        the key's public half, as read back from the token
# The token is labelled `gatehouse`; its private key `tls-key`, CKA_ID 01.
#
# Environment: SOFTHSM2_TOOL_MODULE, the SoftHSM2 module the tools on this
# machine load (default /usr/lib/softhsm/libsofthsm2.so). It may differ from
# the module the server loads under an emulator (SOFTHSM2_MODULE in
# test_pkcs11.sh): SoftHSM2's token files are the same on every architecture.
set -euo pipefail

usage() { echo "usage: $0 PKI_DIR DIR [ec|rsa]" >&2; exit 2; }
die() { echo "pkcs11_token: $*" >&2; exit 1; }

[ $# -ge 2 ] && [ $# -le 3 ] || usage
pki=$1
dir=$2
type=${3:-ec}
module=${SOFTHSM2_TOOL_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
label=gatehouse
key=tls-key

for f in root.pem root.key; do [ -f "$pki/$f" ] || die "$pki/$f missing: run certs/make-pki.sh $pki"; done
[ -f "$module" ] || die "$module missing: apt-get install softhsm2 (or set SOFTHSM2_TOOL_MODULE)"
command -v softhsm2-util >/dev/null || die "softhsm2-util missing: apt-get install softhsm2"
command -v pkcs11-tool >/dev/null || die "pkcs11-tool missing: apt-get install opensc"
case $type in
    ec) keytype=EC:prime256v1 ;;
    rsa) keytype=RSA:2048 ;;
    *) usage ;;
esac

mkdir -p "$dir/tokens"
dir=$(cd "$dir" && pwd)
cat >"$dir/softhsm2.conf" <<EOF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
export SOFTHSM2_CONF=$dir/softhsm2.conf

# Random PINs: a test that passes with a well-known PIN proves less.
pin=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
so_pin=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
(umask 077; printf '%s' "$pin" >"$dir/pin.txt"; printf '%s' "$so_pin" >"$dir/so-pin.txt")

softhsm2-util --init-token --free --label "$label" --so-pin "$so_pin" --pin "$pin" >/dev/null ||
    die "softhsm2-util could not create token $label"
pkcs11-tool --module "$module" --token-label "$label" --login --pin "$pin" \
    --keypairgen --key-type "$keytype" --label "$key" --id 01 >/dev/null 2>&1 ||
    die "pkcs11-tool could not make the $keytype key"
pkcs11-tool --module "$module" --token-label "$label" --read-object --type pubkey --label "$key" \
    -o "$dir/pub.der" >/dev/null 2>&1 || die "pkcs11-tool could not read the public key"
openssl pkey -pubin -inform DER -in "$dir/pub.der" -out "$dir/pub.pem" 2>/dev/null ||
    die "the public key read from the token is not a SubjectPublicKeyInfo"
rm -f "$dir/pub.der"

# The private key is in the token, so no CSR: `x509 -new -force_pubkey`
# (OpenSSL 3.0+) issues the certificate for the public half alone.
cat >"$dir/server-ext.cnf" <<'EOF'
[x_server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
openssl x509 -new -subj "/CN=localhost/O=Gatehouse Demo/C=DE" -force_pubkey "$dir/pub.pem" \
    -CA "$pki/root.pem" -CAkey "$pki/root.key" -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
    -days 30 -sha256 -extfile "$dir/server-ext.cnf" -extensions x_server -out "$dir/server.pem" 2>/dev/null ||
    die "openssl could not issue the server certificate"
openssl verify -CAfile "$pki/root.pem" -purpose sslserver "$dir/server.pem" >/dev/null ||
    die "the issued server certificate does not verify"
