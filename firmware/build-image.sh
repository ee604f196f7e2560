#!/bin/sh
# build-image.sh OUTDIR BINARY FLASHDIR: a bootable test image for QEMU's
# `virt` board, aarch64 (Cortex-A53), from Debian's packages. No root needed.
#
#   OUTDIR/vmlinuz              Debian's cloud kernel (virtio, ext4, PL031 RTC)
#   OUTDIR/initramfs.cpio.gz    busybox, firmware/init as /init, the virtio
#                               modules, BINARY as /usr/sbin/gatehouse
#   OUTDIR/flash.img            ext4 labelled "flash" holding FLASHDIR (the
#                               files of CONTRACT.md: certmap.ini, ca.pem, ...)
#   OUTDIR/manifest.txt         what went in, with versions
#
# BINARY must be a static aarch64 executable (-DGH_STATIC=ON): the image has no
# C library. Boot it with firmware/boot.sh. The kernel and busybox are fetched
# once through toolchain/target-debs.sh (cached in _deps/debs/arm64).
set -eu
usage() { echo "usage: build-image.sh OUTDIR BINARY FLASHDIR" >&2; exit 2; }
[ $# -eq 3 ] || usage
out=$1 bin=$2 flashdir=$3
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "build-image: $*" >&2; exit 1; }

[ -f "$bin" ] || die "$bin: no such file"
[ -d "$flashdir" ] || die "$flashdir: no such folder"
head -c 20 "$bin" | od -An -tx1 | tr -d ' \n' | grep -q '^7f454c460201' ||
    die "$bin: not a 64-bit little-endian ELF file"
if LC_ALL=C readelf -l "$bin" 2>/dev/null | grep -q 'program interpreter'; then
    die "$bin is dynamically linked: build it with -DGH_STATIC=ON (the image has no C library)"
fi
for f in certmap.ini ca.pem server.pem; do
    [ -f "$flashdir/$f" ] || die "$flashdir/$f missing (certs/make-flash.sh makes a demo flash folder)"
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$out/work
rm -rf "$work"
mkdir -p "$work/pkgs" "$work/root"

# ---- Debian's kernel and busybox (the metapackage follows point releases)
sh "$here/../toolchain/target-debs.sh" arm64 "$work/pkgs" \
    'linux-image-cloud-arm64^' busybox-static >"$work/packages.txt"
kver=$(ls "$work/pkgs/lib/modules" | head -1)
[ -n "$kver" ] && [ -f "$work/pkgs/boot/vmlinuz-$kver" ] || die "no kernel in the package"
cp "$work/pkgs/boot/vmlinuz-$kver" "$out/vmlinuz"

# ---- the root filesystem (an initramfs: the kernel unpacks it into RAM)
r=$work/root
mkdir -p "$r/bin" "$r/sbin" "$r/usr/bin" "$r/usr/sbin" "$r/lib/modules" "$r/etc" \
    "$r/proc" "$r/sys" "$r/dev" "$r/tmp" "$r/flash" "$r/root"
cp "$work/pkgs/bin/busybox" "$r/bin/busybox"
ln -s busybox "$r/bin/sh"
cp "$here/init" "$r/init"
chmod 755 "$r/init" "$r/bin/busybox"   # not executable: kernel panic, error -13
cp "$bin" "$r/usr/sbin/gatehouse"
chmod 755 "$r/usr/sbin/gatehouse"
echo gatehouse >"$r/etc/hostname"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$r/etc/passwd"
printf 'root:x:0:\n' >"$r/etc/group"

# The virtio drivers the board needs, with what they depend on, in load order
# (read from each module's own depends= field: no depmod on the build host).
mods=$work/pkgs/lib/modules/$kver/kernel
modpath() { find "$mods" -name "$1.ko" | head -1; }
order=
add_module() {
    case " $order " in *" $1 "*) return 0 ;; esac
    p=$(modpath "$1")
    [ -n "$p" ] || die "kernel $kver has no module $1"
    for d in $(strings "$p" | sed -n 's/^depends=//p' | tr ',' ' '); do
        add_module "$d"
    done
    order="$order $1"
    cp "$(modpath "$1")" "$r/lib/modules/$1.ko"   # $p is global: recomputed
}
for m in virtio_mmio virtio_net virtio_blk virtio-rng; do add_module "$m"; done
echo "$order" | tr ' ' '\n' | sed '/^$/d' >"$r/lib/modules/load-order"

(cd "$r" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9n >"$out/initramfs.cpio.gz"

# ---- the flash: ext4 made from a folder, without root or a loop mount
flashsize=${GH_FLASH_SIZE_KB:-8192}
rm -f "$out/flash.img"
truncate -s "${flashsize}K" "$out/flash.img"
mkfs.ext4 -q -F -L flash -d "$flashdir" "$out/flash.img" || die "mkfs.ext4 -d failed"

{
    echo "kernel $kver"
    cat "$work/packages.txt"
    echo "modules$order"
    echo "gatehouse $(stat -c %s "$bin") bytes, sha256 $(sha256sum "$bin" | cut -d' ' -f1)"
    echo "initramfs $(stat -c %s "$out/initramfs.cpio.gz") bytes"
    echo "flash ${flashsize} KiB ext4, from $(ls "$flashdir" | tr '\n' ' ')"
} >"$out/manifest.txt"
rm -rf "$work"
cat "$out/manifest.txt"
