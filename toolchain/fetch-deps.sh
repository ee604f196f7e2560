#!/bin/sh
# Fetch, verify, unpack and patch the three third-party source packages from
# Debian 13 "trixie" (see README "Dependencies"). Idempotent: a second run with
# the tarballs already in $DEPS/dl needs no network.
#
#   toolchain/fetch-deps.sh DEPS_DIR
#
# Leaves patched trees in DEPS_DIR/src/{wolfssl,civetweb,inih} and a stamp
# file recording which tarballs and patches made them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
deps=${1:?usage: fetch-deps.sh DEPS_DIR}
mkdir -p "$deps"
deps=$(cd "$deps" && pwd)
dl=$deps/dl
src=$deps/src
mkdir -p "$dl" "$src"

# file  sha256   (the pins of ../shared/deps.md)
pins="wolfssl_5.7.2.orig.tar.gz 0f2ed82e345b833242705bbc4b08a2a2037a33f7bf9c610efae6464f6b10e305
wolfssl_5.7.2-0.1+deb13u2.debian.tar.xz c4c31ffaa8e05e1132cb535cc0b0cd3083e04f134883ab039154f3857d0a96d8
civetweb_1.16+dfsg.orig.tar.xz 41dbfd68cd3b914ce440a5813f21058813b61a972600cc04fb8233a0d2d04fe4
civetweb_1.16+dfsg-2+deb13u1.debian.tar.xz 1e5f56ab5592026dc5cd90302cfaa5a66b889f8959440e64dc0e373d18165ebb
libinih_59.orig.tar.gz 062279922805f5e9a369551a08d5ddb506140fe50774183ffdbb7c22bb97e3f4
libinih_59-1.debian.tar.xz 1271db2900148296fd5b9ea1518947458d26957b737b07042422023b362fc353"

verified() {  # all pinned files present with the right hash?
    echo "$pins" | while read -r f h; do
        [ -f "$dl/$f" ] || return 1
        echo "$h  $dl/$f" | sha256sum -c --quiet - >/dev/null 2>&1 || return 1
    done
}

if ! verified; then
    # A private apt state: the machine's apt configuration is never touched,
    # and the mirror is whatever this machine already uses (no host names here).
    top=$deps/apt
    mkdir -p "$top/lists/partial" "$top/cache/archives/partial" "$top/parts"
    uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
          awk '$2 !~ /-/ {print $1; exit}')
    if [ -z "$uri" ]; then
        echo "fetch-deps: apt knows no Debian mirror (run 'apt-get update' once)" >&2
        exit 1
    fi
    printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$uri" > "$top/parts/trixie-src.sources"
    set -- -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$top/parts" \
           -o "Dir::State::Lists=$top/lists" -o "Dir::Cache=$top/cache" \
           -o Debug::NoLocking=1
    apt-get "$@" update -qq
    # civetweb's .dsc answers 404 on some mirrors while its tarballs download:
    # the exit code is not trusted, the hashes below are.
    echo "fetch-deps: downloading the source packages (log: $top/source.log)"
    (cd "$dl" && apt-get "$@" source --download-only \
        wolfssl=5.7.2-0.1+deb13u2 civetweb=1.16+dfsg-2+deb13u1 libinih=59-1) >"$top/source.log" 2>&1 || true
    echo "$pins" | while read -r f h; do
        if [ ! -f "$dl/$f" ]; then echo "fetch-deps: $f was not downloaded:" >&2; tail -5 "$top/source.log" >&2; exit 1; fi
        if ! echo "$h  $dl/$f" | sha256sum -c --quiet - >/dev/null 2>&1; then
            echo "fetch-deps: $f has the wrong SHA-256 (expected $h)" >&2; exit 1
        fi
    done
fi

# unpack NAME ORIG DEBIAN SKIP...: fresh tree, Debian's series applied in order,
# skipping the patches named (packaging-only ones).
unpack() {
    name=$1 orig=$2 deb=$3; shift 3
    stamp="$orig $deb skip:$* ours:$(cat "$here"/patches/"$name"-*.patch 2>/dev/null | cksum)"
    if [ -f "$src/$name/.gatehouse-stamp" ] && [ "$(cat "$src/$name/.gatehouse-stamp")" = "$stamp" ]; then
        return 0
    fi
    rm -rf "$src/$name" "$src/$name.tmp"
    mkdir -p "$src/$name.tmp"
    tar -xf "$dl/$orig" -C "$src/$name.tmp" --strip-components=1
    tar -xf "$dl/$deb" -C "$src/$name.tmp"
    if [ -f "$src/$name.tmp/debian/patches/series" ]; then
        grep -v -e '^#' -e '^[[:space:]]*$' "$src/$name.tmp/debian/patches/series" |
        while read -r p _; do
            for s in "$@"; do
                if [ "$s" = "$p" ]; then echo "fetch-deps: $name: skipping $p (Debian packaging only)"; continue 2; fi
            done
            patch -d "$src/$name.tmp" -p1 -s --no-backup-if-mismatch < "$src/$name.tmp/debian/patches/$p" ||
                { echo "fetch-deps: $name: patch $p does not apply" >&2; exit 1; }
        done
    fi
    # then our own few patches (toolchain/patches/NAME-*.patch), in name order
    for p in "$here"/patches/"$name"-*.patch; do
        [ -f "$p" ] || continue
        patch -d "$src/$name.tmp" -p1 -s --no-backup-if-mismatch < "$p" ||
            { echo "fetch-deps: $name: our patch $(basename "$p") does not apply" >&2; exit 1; }
    done
    echo "$stamp" > "$src/$name.tmp/.gatehouse-stamp"
    mv "$src/$name.tmp" "$src/$name"
}

# Skipped Debian patches, and why:
#  wolfssl  multi-arch, dfsg, fix-hurd-i386-flags, disable-crl-monitor,
#           disable-jobserver, handle-debian-files: configure.ac/Makefile.am and
#           test-header changes for Debian's autotools packaging; we build with
#           user_settings.h (the CRL monitor stays off: HAVE_CRL_MONITOR is unset).
#           All 17 CVE patches are applied.
#  civetweb soversion: the shared library's SONAME (we link civetweb statically).
#           CVE-2025-55763, the form-parsing fix and webdav-uploads are applied.
#  inih     all eight: meson/soname/version, the test suite, and 0002 "runtime
#           options", which turns inih's compile-time limits into mutable globals
#           with a stack VLA for Debian's shared library (0006/0007 follow from
#           it); an embedded build wants the compile-time INI_* options instead.
unpack wolfssl wolfssl_5.7.2.orig.tar.gz wolfssl_5.7.2-0.1+deb13u2.debian.tar.xz \
    multi-arch.patch dfsg.patch fix-hurd-i386-flags.patch disable-crl-monitor.patch \
    disable-jobserver.patch handle-debian-files.diff
unpack civetweb civetweb_1.16+dfsg.orig.tar.xz civetweb_1.16+dfsg-2+deb13u1.debian.tar.xz \
    soversion
unpack inih libinih_59.orig.tar.gz libinih_59-1.debian.tar.xz \
    0001-Increment-soversion.patch 0002-Add-runtime-options.patch 0003-tests-add-Makefile.patch \
    0004-tests-add-options-to-unittest.patch 0005-Force-INI_HANDLER_LINENO.patch \
    0006-Fix-cpp-type-of-INI_HANDLER_LINENO.patch 0007-Force-include-stdlib.patch 0008-Set-version.patch
echo "fetch-deps: sources ready in $src"
