#!/bin/bash
# run-cert-cases.sh BIN CASES_DIR PKI_DIR: for each NAME.ini.in in CASES_DIR,
# fill in the demo PKI's values (@FP:x@ fingerprint, @SPKI:x@ key digest,
# @CERT:x@ one-line base64, @PEMLINES:x@ indented base64 lines), then for each
# line "CERT<TAB>TEXT" of NAME.cases check that
# `BIN check NAME.ini --cert PKI_DIR/CERT.pem` prints TEXT as a whole line.
set -u
bin=$1 cases=$2 pki=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0

b64() { grep -v -- ----- "$pki/$1.pem" | tr -d '\n'; }
fp() { awk -v n="$1" -v k="$2" '$1 == n { for (i = 2; i <= NF; i++) if (index($i, k) == 1) print substr($i, length(k) + 1) }' "$pki/fingerprints.txt"; }

for tmpl in "$cases"/*.ini.in; do
    name=$(basename "$tmpl" .ini.in)
    ini=$work/$name.ini
    cp "$tmpl" "$ini"
    for tok in $(grep -o '@[A-Z]*:[a-z0-9-]*@' "$tmpl" | sort -u); do
        kind=${tok#@}; kind=${kind%%:*}
        cert=${tok#*:}; cert=${cert%@}
        case $kind in
        FP) val=sha256:$(fp "$cert" sha256:) ;;
        SPKI) val=sha256:$(fp "$cert" spki-sha256:) ;;
        CERT) val=$(b64 "$cert") ;;
        PEMLINES) val=$(grep -v -- ----- "$pki/$cert.pem" | sed 's/^/    /' | sed ':a;N;$!ba;s/\n/\\n/g') ;;
        *) echo "unknown placeholder $tok"; exit 2 ;;
        esac
        python3 - "$ini" "$tok" "$val" <<'PY'
import sys
p, tok, val = sys.argv[1:]
s = open(p).read().replace(tok, val.replace('\\n', '\n'))
open(p, 'w').write(s)
PY
    done
    if ! (cd "$work" && ${GATEHOUSE_RUNNER:-} "$bin" check "$name.ini" >/dev/null); then
        echo "FAIL $name.ini: the filled-in table does not load:"
        (cd "$work" && ${GATEHOUSE_RUNNER:-} "$bin" check "$name.ini") | sed 's/^/    /'
        fail=$((fail + 1))
        continue
    fi
    while IFS=$'\t' read -r cert want; do
        case $cert in ''|'#'*) continue ;; esac
        out=$(cd "$work" && ${GATEHOUSE_RUNNER:-} "$bin" check "$name.ini" --cert "$pki/$cert.pem" 2>&1)
        if printf '%s\n' "$out" | grep -qxF -- "$want"; then
            pass=$((pass + 1))
        else
            echo "FAIL $name.ini --cert $cert.pem: no line"
            echo "    $want"
            echo "  in:"
            printf '%s\n' "$out" | sed 's/^/    | /'
            fail=$((fail + 1))
        fi
    done <"$cases/$name.cases"
done
echo "check --cert cases: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
