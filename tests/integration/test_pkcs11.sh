#!/usr/bin/env bash
# The server's key inside a PKCS#11 token (CONTRACT.md section 3): a SoftHSM2
# token made for this run (tests/integration/pkcs11_token.sh, never the
# system's token folder), a flash folder without any private key, real
# mutual-TLS clients, signatures made inside the token, and one clear line
# for every way the key can be unreachable.
#
# Environment, besides lib.sh's:
#   SOFTHSM2_MODULE       the module the server loads (default
#                         /usr/lib/softhsm/libsofthsm2.so; under qemu the
#                         target's build of SoftHSM2: toolchain/cross.sh
#                         fetches and exports it). It must be built for the
#                         server's machine: a mismatch fails at once.
#   SOFTHSM2_TOOL_MODULE  the module softhsm2-util/pkcs11-tool use here
#   PKCS11_SPY            opensc's pkcs11-spy.so built for the server's
#                         architecture (default: this machine's, natively only;
#                         toolchain/cross.sh exports the target's)
#   PKCS11_TOKEN_TMPDIR   where the token stores are made (default: in the
#                         test's own folder). cross.sh sets a tmpfs for armhf:
#                         a 32-bit SoftHSM2 under qemu-user on a 64-bit host
#                         cannot readdir() ext4 (EOVERFLOW) and finds no token.
# Exits 77 (ctest: skipped) when softhsm2 or opensc is not installed.
. "$(dirname "$0")/lib.sh"

MODULE=${SOFTHSM2_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
TOOL_MODULE=${SOFTHSM2_TOOL_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
if ! command -v softhsm2-util >/dev/null || ! command -v pkcs11-tool >/dev/null || [ ! -f "$TOOL_MODULE" ]; then
    echo "# SKIP: needs softhsm2 and opensc (apt-get install softhsm2 opensc)"
    exit 77
fi
if [ -z "$RUNNER" ]; then
    SPY=${PKCS11_SPY:-$(ls /usr/lib/*/pkcs11-spy.so 2>/dev/null | head -1)}
else
    SPY=${PKCS11_SPY:-}
fi

# The server dlopens MODULE itself: one built for another machine (this
# machine's SoftHSM2 under qemu-user) would fail every check below for a
# reason that is not the keystore's, so say that once, plainly.
elf_machine() {   # e_machine of an ELF file (62 x86-64, 183 aarch64, 40 arm); else "none"
    if [ "$(head -c4 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
        od -An -tu2 -j18 -N2 "$1" | tr -d ' '
    else
        echo none
    fi
}
MODULE_FILE=$(readlink -f "$MODULE")
if [ "$(elf_machine "$GATEHOUSE")" != "$(elf_machine "$MODULE_FILE")" ]; then
    bad "the module the server loads is built for the server's machine: SOFTHSM2_MODULE=$MODULE_FILE is ELF machine $(elf_machine "$MODULE_FILE"), $GATEHOUSE is $(elf_machine "$GATEHOUSE") (under qemu-user, point SOFTHSM2_MODULE at the target's SoftHSM2, as toolchain/cross.sh does)"
    finish
    exit 1
fi
ok "the module the server loads is built for the server's machine (ELF machine $(elf_machine "$MODULE_FILE"))"
if [ -n "$SPY" ] && [ -f "$SPY" ] && [ "$(elf_machine "$(readlink -f "$SPY")")" != "$(elf_machine "$GATEHOUSE")" ]; then
    bad "the pkcs11-spy the server loads is built for the server's machine: PKCS11_SPY=$SPY is not"
    SPY=
fi

if [ -n "${PKCS11_TOKEN_TMPDIR:-}" ]; then
    if ! tokbase=$(mktemp -d "$PKCS11_TOKEN_TMPDIR/gh-token.XXXXXX"); then
        bad "a folder for the tokens could be made in PKCS11_TOKEN_TMPDIR=$PKCS11_TOKEN_TMPDIR"
        finish
        exit 1
    fi
    # kept with $T when a check failed (lib.sh's cleanup)
    trap 'cleanup; if [ "$FAILS" -eq 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$tokbase"; else echo "# tokens kept in $tokbase"; fi' EXIT
else
    tokbase=$T
fi
tok=$tokbase/token
if ! SOFTHSM2_TOOL_MODULE=$TOOL_MODULE bash "$SRC/tests/integration/pkcs11_token.sh" "$PKI" "$tok" ec; then
    bad "a SoftHSM2 token with a P-256 key could be made"
    finish
    exit 1
fi
export SOFTHSM2_CONF=$tok/softhsm2.conf

uri() {   # uri PATH-ATTRS [MODULE [PIN-SOURCE]]: the server_key value
    echo "pkcs11:$1?module-path=${2:-$MODULE}&pin-source=${3:-file:pin.txt}"
}
set_key() {   # set_key FLASH URI
    printf '; the key is in a PKCS#11 token\n[keystore]\nserver_key = %s\n' "$2" >"$1/gatehouse.ini"
}

flash=$(make_flash)
rm -f "$flash/server.key"
cp "$tok/server.pem" "$tok/pin.txt" "$flash/"
chmod 600 "$flash/pin.txt"
set_key "$flash" "$(uri 'token=gatehouse;object=tls-key')"

expect "the flash folder holds no private key file" \
    "$(grep -l -- 'PRIVATE KEY' "$flash"/* 2>/dev/null | wc -l)" 0
expect "the flash folder has no server.key" "$([ -e "$flash/server.key" ] && echo present || echo absent)" absent

gh_start "$flash" || { bad "the server starts with its key in the token"; finish; exit 1; }
expect_match "the server says the key signs inside the token" "$(cat "$GH_LOG")" \
    'server key: EC key [^ ]+ in PKCS#11 token "gatehouse" .*signs inside the token'
# GH_PID is the server, or the qemu-user process running it: either way the
# module's file is mapped in it (qemu maps the guest's libraries as files), and
# no other SoftHSM2 is.
expect "the server has exactly SOFTHSM2_MODULE's file mapped as its SoftHSM2" \
    "$(grep -oE '/[^ ]*libsofthsm2[^ ]*' "/proc/$GH_PID/maps" 2>/dev/null | sort -u | tr '\n' ' ')" "$MODULE_FILE "

slot=$(sed -n 's/.*PKCS#11 token "gatehouse" (slot \([0-9]*\)).*/\1/p' "$GH_LOG")
body=$(gh_curl admin /api/whoami)
expect "admin gets 200 from /api/whoami" "$(status)" 200
expect "whoami answers admin's role" "$(printf '%s' "$body" | jq -r .role)" admin
expect "whoami answers admin's fingerprint" "$(printf '%s' "$body" | jq -r .fingerprint)" "$(fingerprint admin)"
gh_curl viewer /api/whoami >/dev/null
expect "viewer gets 200 from /api/whoami" "$(status)" 200
gh_curl admin /api/whoami --tlsv1.2 --tls-max 1.2 >/dev/null
expect "a TLS 1.2 handshake signs with the token key" "$(status)" 200
gh_curl admin /api/whoami --tlsv1.3 >/dev/null
expect "a TLS 1.3 handshake signs with the token key" "$(status)" 200

# The certificate the server presents carries the token's public key.
timeout $((10 * SLOW)) openssl s_client -connect "127.0.0.1:$GH_PORT" -CAfile "$PKI/root.pem" \
    -cert "$PKI/admin-chain.pem" -key "$PKI/admin.key" </dev/null 2>/dev/null |
    openssl x509 -noout -pubkey >"$T/presented.pem" 2>/dev/null
expect "the server presents the certificate for the token's key" \
    "$(openssl pkey -pubin -in "$T/presented.pem" -outform DER 2>/dev/null | sha256sum)" \
    "$(openssl pkey -pubin -in "$tok/pub.pem" -outform DER | sha256sum)"

# Eight workers, one token session: 20 clients at once must all get in.
n=20
pids=()
for i in $(seq 1 $n); do
    curl -sS --max-time $((30 * SLOW)) --cacert "$PKI/root.pem" --cert "$PKI/admin-chain.pem" \
        --key "$PKI/admin.key" -o /dev/null -w '%{http_code}\n' "https://127.0.0.1:$GH_PORT/api/whoami" \
        >"$T/par.$i" 2>&1 &
    pids+=($!)
done
wait "${pids[@]}"   # not a bare `wait`: the server is a child too
expect "$n clients handshaking at once all get 200" "$(cat "$T"/par.* | grep -c '^200$')" "$n"
expect_no_match "no key operation failed under load" "$(cat "$GH_LOG")" 'key operation failed'

kill -TERM "$GH_PID"; wait "$GH_PID"; rc=$?; GH_PID=
expect "SIGTERM exits 0" "$rc" 0
signed=$(sed -n 's/.*token "gatehouse": \([0-9]*\) signatures made in the token.*/\1/p' "$GH_LOG")
# one signature for the start-up probe, then one per handshake: 4 curls,
# s_client, n parallel curls
expect "every handshake signed once in the token" "${signed:-none}" $((1 + 4 + 1 + n))

# ---- opensc's pkcs11-spy between the server and SoftHSM2: the calls it sees ----
if [ -n "$SPY" ] && [ -f "$SPY" ]; then
    spyflash=$T/spyflash; rm -rf "$spyflash"; cp -r "$flash" "$spyflash"
    set_key "$spyflash" "$(uri 'token=gatehouse;object=tls-key' "$SPY")"
    export PKCS11SPY=$MODULE PKCS11SPY_OUTPUT=$T/spy.log
    # the spy leaks a little when loaded: see tests/lsan.supp (ASan builds)
    saved_lsan=${LSAN_OPTIONS-}
    export LSAN_OPTIONS="suppressions=$SRC/tests/lsan.supp:fast_unwind_on_malloc=0${saved_lsan:+:$saved_lsan}"
    if gh_start "$spyflash"; then
        expect "the spy passes the server's calls to SOFTHSM2_MODULE" \
            "$(sed -n 's/^Loaded: "\(.*\)"$/\1/p' "$T/spy.log")" "$MODULE"
        before=$(grep -c 'C_Sign$' "$T/spy.log" || true)
        gh_curl admin /api/whoami >/dev/null
        expect "through the spy, admin gets 200" "$(status)" 200
        after=$(grep -c 'C_Sign$' "$T/spy.log" || true)
        expect_match "a handshake calls C_Sign in the token (spy: $before then $after)" \
            "$([ "$after" -gt "$before" ] && echo yes || echo no)" '^yes$'
        expect "the server logs in once" "$(grep -c 'C_Login$' "$T/spy.log")" 1
        expect "the private key's value is never asked for" \
            "$(grep -cE '^[[:space:]]+CKA_VALUE[[:space:]]' "$T/spy.log" || true)" 0
        gh_stop
    else
        bad "the server starts with pkcs11-spy as its module"
    fi
    # a wrong PIN: exactly one C_Login, so it never walks the token into lock-out
    printf 'not-the-pin' >"$spyflash/pin.txt"
    : >"$T/spy.log"
    timeout $((20 * SLOW)) $RUNNER "$GATEHOUSE" serve --flash "$spyflash" --listen 127.0.0.1:1 >/dev/null 2>&1
    expect "with a wrong PIN the server tries C_Login once" "$(grep -c 'C_Login$' "$T/spy.log")" 1
    unset PKCS11SPY PKCS11SPY_OUTPUT
    if [ -n "$saved_lsan" ]; then export LSAN_OPTIONS=$saved_lsan; else unset LSAN_OPTIONS; fi
else
    echo "# pkcs11-spy.so not found: the C_Sign/C_Login spy checks are skipped"
fi

# ---- start-up problems: one line that says what is wrong, non-zero exit ----
startup_fails() {   # DESCRIPTION REGEX: run serve on $bad and expect failure
    local out rc
    out=$(timeout $((20 * SLOW)) $RUNNER "$GATEHOUSE" serve --flash "$bad" --listen 127.0.0.1:1 2>&1) && rc=0 || rc=$?
    # (the valgrind run's GATEHOUSE_SYSTEM_HEAP=1 says so on a line of its own)
    out=$(printf '%s\n' "$out" | grep -v 'GATEHOUSE_SYSTEM_HEAP=1: ')
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] &&
        printf '%s' "$out" | grep -Eq -- "$2"; then
        ok "$1"
    else
        bad "$1: rc=$rc output: $out"
    fi
}
fresh_bad() { bad=$T/bad; rm -rf "$bad"; cp -r "$flash" "$bad"; }

fresh_bad; printf 'not-the-pin\n' >"$bad/pin.txt"
startup_fails "a wrong PIN says so" 'token "gatehouse": wrong PIN in pin-source pin\.txt \(tried once'
gh_start "$flash" && { gh_curl admin /api/whoami >/dev/null; expect "after a wrong PIN the right one still works" "$(status)" 200; }
gh_stop

fresh_bad; set_key "$bad" "$(uri 'token=nosuch;object=tls-key')"
startup_fails "a missing token is named, with the tokens there are" \
    'no PKCS#11 token matches token=nosuch \(the module has "gatehouse"\)'
fresh_bad; set_key "$bad" "$(uri 'token=gate;object=tls-key')"
startup_fails "a token label is not matched by its prefix" 'no PKCS#11 token matches token=gate '
fresh_bad; set_key "$bad" "pkcs11:token=gatehouse;object=tls-key?module-path=$MODULE"
startup_fails "a token that needs a PIN, and no pin-source, says to add one" \
    'token "gatehouse" needs a PIN: add pin-source=file:pin.txt'
fresh_bad
out=$(SOFTHSM2_CONF=$T/no-such.conf timeout $((20 * SLOW)) $RUNNER "$GATEHOUSE" serve --flash "$bad" \
    --listen 127.0.0.1:1 2>&1) && rc=0 || rc=$?
expect_match "a module that cannot initialise says so (rc=$rc)" "$out" \
    '^gatehouse: server_key: module-path .*: C_Initialize failed: CKR_GENERAL_ERROR .*SOFTHSM2_CONF\)$'
fresh_bad; set_key "$bad" "$(uri 'token=gatehouse;object=nosuch')"
startup_fails "a missing key is named, with the keys there are" \
    'token "gatehouse" has no private key object=nosuch \(its private keys: "tls-key"\)'
fresh_bad; set_key "$bad" "$(uri 'token=gatehouse;id=%02')"
startup_fails "a missing key id is named" 'has no private key id=%02'
fresh_bad; set_key "$bad" "$(uri 'token=gatehouse;object=tls-key' "$T/no-such-module.so")"
startup_fails "a module path that does not exist is named" "module-path $T/no-such-module\.so: No such file"
fresh_bad; echo "not a library" >"$T/text-module.so"; set_key "$bad" "$(uri 'token=gatehouse' "$T/text-module.so")"
startup_fails "a file that is not a library is named" "module-path $T/text-module\.so is not a loadable library"
libc=
[ -z "$RUNNER" ] && libc=$(ldd "$GATEHOUSE" 2>/dev/null | awk '/libc\.so/ {print $3; exit}')
if [ -n "$libc" ] && [ -f "$libc" ]; then
    fresh_bad; set_key "$bad" "$(uri 'token=gatehouse' "$libc")"
    startup_fails "a library that is not a PKCS#11 module is named" "module-path .* is not a PKCS#11 module"
fi
fresh_bad; set_key "$bad" "$(uri 'token=gatehouse;object=tls-key' "$MODULE" file:nopin.txt)"
startup_fails "a missing PIN file is named" 'pin-source nopin\.txt: missing in the flash folder'
fresh_bad; set_key "$bad" "$(uri 'token=gatehouse;object=tls-key' "$MODULE" "file:$T/nopin")"
startup_fails "a missing absolute PIN file is named" "pin-source $T/nopin: No such file"
fresh_bad; set_key "$bad" "pkcs11:token=gatehouse;object=tls-key?module-path=$MODULE&pin-value=$(cat "$tok/pin.txt")"
startup_fails "a PIN in the URI is refused" 'pin-value is refused: a PIN never goes into gatehouse\.ini'
expect_no_match "the refused PIN is not echoed" \
    "$(timeout $((20 * SLOW)) $RUNNER "$GATEHOUSE" serve --flash "$bad" --listen 127.0.0.1:1 2>&1)" "$(cat "$tok/pin.txt")"
fresh_bad; set_key "$bad" "pkcs11:token=gatehouse;object=tls-key?pin-source=file:pin.txt"
startup_fails "a URI without module-path says to add one" 'add \?module-path='
fresh_bad; set_key "$bad" "pkcs11:token=gatehouse;object=tls key?module-path=$MODULE"
startup_fails "an unencoded space is refused with its position" 'object: a space at character [0-9]+ must be written %20'
fresh_bad; cp "$PKI/server.pem" "$bad/server.pem"
startup_fails "a token key that is not server.pem's is refused at start" \
    'the key in token "gatehouse" does not belong to the certificate in server\.pem'
fresh_bad; : >"$bad/pin.txt"
startup_fails "an empty PIN file is named" 'pin-source pin\.txt: the file is empty'

# slot-id is the slot's PKCS#11 id (SoftHSM2's are large numbers), not its
# position in the slot list
fresh_bad; set_key "$bad" "$(uri "slot-id=$slot;object=tls-key")"
if gh_start "$bad"; then
    gh_curl admin /api/whoami >/dev/null
    expect "a token chosen by slot-id=$slot serves" "$(status)" 200
    gh_stop
else
    bad "the server starts with slot-id=$slot"
fi
fresh_bad; set_key "$bad" "$(uri "slot-id=0;object=tls-key")"
startup_fails "slot-id=0 is not the first slot" 'no PKCS#11 token matches slot-id=0'

# A second key with the same label: the label alone no longer names one key,
# the id still does.
if pkcs11-tool --module "$TOOL_MODULE" --token-label gatehouse --login --pin "$(cat "$tok/pin.txt")" \
    --keypairgen --key-type EC:prime256v1 --label tls-key --id 02 >/dev/null 2>&1; then
    fresh_bad; set_key "$bad" "$(uri 'token=gatehouse;object=tls-key')"
    startup_fails "a label two keys share is refused" \
        'several private keys match object=tls-key: add object= or id='
    fresh_bad; set_key "$bad" "$(uri 'token=gatehouse;object=tls-key;id=%01')"
    if gh_start "$bad"; then
        gh_curl admin /api/whoami >/dev/null
        expect "label and id together pick the right key" "$(status)" 200
        gh_stop
    else
        bad "the server starts with object=tls-key;id=%01"
    fi
    fresh_bad; set_key "$bad" "$(uri 'token=gatehouse;id=%02')"
    startup_fails "the other key with the same label is not server.pem's" 'does not belong to the certificate'
else
    bad "a second key could be added to the token"
fi

# ---- an RSA key works the same way ----
rtok=$tokbase/rsa-token
if SOFTHSM2_TOOL_MODULE=$TOOL_MODULE bash "$SRC/tests/integration/pkcs11_token.sh" "$PKI" "$rtok" rsa; then
    rflash=$T/rsaflash; rm -rf "$rflash"; cp -r "$flash" "$rflash"
    cp "$rtok/server.pem" "$rtok/pin.txt" "$rflash/"
    set_key "$rflash" "$(uri 'token=gatehouse;id=%01')"
    if SOFTHSM2_CONF=$rtok/softhsm2.conf gh_start "$rflash"; then
        gh_curl admin /api/whoami --tlsv1.3 >/dev/null
        expect "an RSA key in the token serves TLS 1.3 (RSA-PSS)" "$(status)" 200
        gh_curl admin /api/whoami --tlsv1.2 --tls-max 1.2 >/dev/null
        expect "an RSA key in the token serves TLS 1.2" "$(status)" 200
        gh_stop
    else
        bad "the server starts with an RSA key in the token"
    fi
else
    bad "a SoftHSM2 token with an RSA key could be made"
fi

# In a sanitizer build, every server run above ended without a report.
expect "no sanitizer report in any server log" \
    "$(grep -lE 'Sanitizer|runtime error' "$T"/server-*.log 2>/dev/null | wc -l)" 0

finish
