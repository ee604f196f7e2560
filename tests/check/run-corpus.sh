#!/bin/bash
# run-corpus.sh BIN DATA_DIR: `BIN check NAME.ini` for every table in
# DATA_DIR/bad (must exit 1) and DATA_DIR/good (must exit 0); its output must
# be NAME.expected exactly. Run from the table's folder, so messages name the
# file as a user who typed `gatehouse check NAME.ini` sees it.
set -u
bin=$1 data=$2
pass=0 fail=0
for kind in bad good; do
    want_rc=1
    [ "$kind" = good ] && want_rc=0
    for ini in "$data/$kind"/*.ini; do
        name=$(basename "$ini" .ini)
        out=$(cd "$data/$kind" && ${GATEHOUSE_RUNNER:-} "$bin" check "$name.ini" 2>&1)
        rc=$?
        if [ "$rc" -ne "$want_rc" ]; then
            echo "FAIL $kind/$name.ini: exit $rc, expected $want_rc"
            printf '%s\n' "$out" | sed 's/^/    /'
            fail=$((fail + 1))
        elif ! diff -u "$data/$kind/$name.expected" <(printf '%s\n' "$out") >/tmp/certmap-diff.$$ 2>&1; then
            echo "FAIL $kind/$name.ini: output differs from $name.expected"
            sed 's/^/    /' /tmp/certmap-diff.$$
            fail=$((fail + 1))
        else
            pass=$((pass + 1))
        fi
    done
done
rm -f /tmp/certmap-diff.$$
echo "check corpus: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
