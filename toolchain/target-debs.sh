#!/bin/sh
# target-debs.sh ARCH DEST PKG...: Debian packages of another architecture
# (arm64, armhf), downloaded and unpacked into DEST with dpkg-deb -x.
#
# Used for the cross builds' cmocka and for the firmware image's kernel and
# busybox. Needs no root and leaves the machine's apt configuration alone: a
# private apt state lists the same mirrors and suites this machine already uses
# (so no host name is written here), for ARCH only. apt checks the archive's
# signatures as usual. The .deb files are kept in $GH_DEPS_DIR/debs/ARCH
# (default _deps/), so a second run needs no network.
#
# A PKG may be a metapackage ending in '^' (linux-image-cloud-arm64^): it is
# resolved to the package it depends on, so the kernel follows Debian's point
# releases without an edit here.
#
# Prints the resolved package names and versions, one a line, to stdout.
set -eu
arch=${1:?usage: target-debs.sh ARCH DEST PKG...}
dest=${2:?usage: target-debs.sh ARCH DEST PKG...}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
deps=${GH_DEPS_DIR:-$here/../_deps}
mkdir -p "$deps" "$dest"
deps=$(cd "$deps" && pwd)
top=$deps/apt-$arch
debs=$deps/debs/$arch
mkdir -p "$top/lists/partial" "$top/cache/archives/partial" "$top/parts" "$top/etc" "$debs"

set -- "$@" --
APT="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$top/parts
  -o Dir::State::Lists=$top/lists -o Dir::Cache=$top/cache -o Dir::State::status=/dev/null
  -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=$top/etc
  -o APT::Architecture=$arch -o APT::Architectures=$arch -o Debug::NoLocking=1
  -o APT::Sandbox::User=$(id -un)"

# Refresh the index at most once a day: a kernel package disappears from the
# mirror when the next point release replaces it.
stamp=$top/lists/.gatehouse-updated
if [ -z "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
    : > "$top/parts/target.sources"
    apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null | sort -u |
    while read -r uri rel; do
        printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nArchitectures: %s\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n' \
            "$uri" "$rel" "$arch" >> "$top/parts/target.sources"
    done
    if [ ! -s "$top/parts/target.sources" ]; then
        echo "target-debs: apt knows no Debian mirror (run 'apt-get update' once)" >&2
        exit 1
    fi
    ok=
    for i in 1 2 3; do   # an index in mid-sync fails now and then
        # shellcheck disable=SC2086
        if apt-get $APT update -qq >"$top/update.log" 2>&1; then ok=1; break; fi
        sleep $((i * 5))
    done
    if [ -n "$ok" ]; then
        touch "$stamp"
    else
        # One suite mid-sync (often the security one) still leaves the others
        # usable: go on with what was fetched; a package that cannot be found
        # fails below. No stamp: the next run tries again.
        sed 's/^/target-debs: /' "$top/update.log" >&2
        echo "target-debs: apt-get update failed for some index; going on with the ones it has" >&2
    fi
fi

while [ "$1" != "--" ]; do
    pkg=$1; shift
    case "$pkg" in
    *^)
        meta=${pkg%^}
        # shellcheck disable=SC2086
        pkg=$(apt-cache $APT depends --no-recommends --no-suggests "$meta" 2>/dev/null |
              awk '$1 == "Depends:" {print $2; exit}')
        [ -n "$pkg" ] || { echo "target-debs: $meta: no such metapackage for $arch" >&2; exit 1; }
        ;;
    esac
    # shellcheck disable=SC2086
    ver=$(apt-cache $APT policy "$pkg" 2>/dev/null | awk '$1 == "Candidate:" {print $2}')
    if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
        echo "target-debs: $pkg: not in the $arch index" >&2; exit 1
    fi
    file=$(ls "$debs/${pkg}_$(echo "$ver" | sed 's/:/%3a/')_"*.deb 2>/dev/null | head -1 || true)
    if [ -z "$file" ]; then
        # shellcheck disable=SC2086
        (cd "$debs" && apt-get $APT download -qq "$pkg=$ver") >&2 ||
            { echo "target-debs: downloading $pkg=$ver failed" >&2; exit 1; }
        file=$(ls "$debs/${pkg}_$(echo "$ver" | sed 's/:/%3a/')_"*.deb | head -1)
    fi
    dpkg-deb -x "$file" "$dest"
    echo "$pkg $ver"
done
