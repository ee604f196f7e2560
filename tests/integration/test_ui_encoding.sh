#!/usr/bin/env bash
# The UI's content codings: gzip to a client that accepts it, the plain files
# to one that does not say so (curl without --compressed) or asks for
# identity, 406 only to one that refuses both; each with its own ETag.
. "$(dirname "$0")/lib.sh"

flash=$(make_flash)
gh_start "$flash" || exit 1
get() {   # PATH [curl args]: body in $T/body, headers in $T/head, status printed
    local p=$1; shift
    curl -sS --max-time $((10 * SLOW)) --cacert "$PKI/root.pem" --cert "$PKI/admin-chain.pem" \
        --key "$PKI/admin.key" -o "$T/body" -D "$T/head" -w '%{http_code}' "$@" "https://127.0.0.1:$GH_PORT$p"
}
hdr() { tr -d '\r' <"$T/head" | awk -v h="$1:" 'tolower($1) == tolower(h) {print $2}'; }

for f in index.html app.js app.css logo.svg; do
    path=/ui/$f; [ "$f" = index.html ] && path=/
    expect "$path without Accept-Encoding: 200" "$(get "$path")" 200
    expect "... the file itself, byte for byte" "$(cmp -s "$T/body" "$SRC/server/ui/$f" && echo same)" same
    expect "... no Content-Encoding" "$(hdr Content-Encoding)" ""
    plain_etag=$(hdr ETag)
    expect "$path with Accept-Encoding: identity: the file itself" \
        "$(get "$path" -H 'Accept-Encoding: identity'; cmp -s "$T/body" "$SRC/server/ui/$f" && echo ' same')" "200 same"
    expect "$path with Accept-Encoding: gzip: gzip, which decompresses to the file" \
        "$(get "$path" -H 'Accept-Encoding: gzip, deflate'; echo " $(hdr Content-Encoding)"; gzip -dc <"$T/body" | cmp -s - "$SRC/server/ui/$f" && echo same)" \
        "200 gzip
same"
    gz_etag=$(hdr ETag)
    expect_no_match "... its ETag is not the plain file's" "$gz_etag" "^$plain_etag\$"
    expect "$path revalidated (plain): 304" "$(get "$path" -H "If-None-Match: $plain_etag")" 304
    expect "$path revalidated (gzip): 304" "$(get "$path" -H 'Accept-Encoding: gzip' -H "If-None-Match: $gz_etag")" 304
    expect "$path: the gzip ETag does not validate the plain file" "$(get "$path" -H "If-None-Match: $gz_etag")" 200
done
expect "gzip refused, identity not mentioned: the plain file" "$(get / -H 'Accept-Encoding: gzip;q=0')" 200
expect "... byte for byte" "$(cmp -s "$T/body" "$SRC/server/ui/index.html" && echo same)" same
expect "only an unknown coding (br): the plain file" "$(get / -H 'Accept-Encoding: br')" 200
expect "gzip and identity refused: 406" "$(get / -H 'Accept-Encoding: gzip;q=0, identity;q=0')" 406
expect "*;q=0: 406" "$(get / -H 'Accept-Encoding: *;q=0')" 406
expect "x-gzip counts as gzip" "$(get / -H 'Accept-Encoding: x-gzip'; echo " $(hdr Content-Encoding)")" "200 gzip"
expect "HEAD without Accept-Encoding: the plain file's length" \
    "$(get / -I >/dev/null; hdr Content-Length)" "$(stat -c %s "$SRC/server/ui/index.html")"
finish
