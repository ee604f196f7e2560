#!/bin/sh
# boot.sh: run the test image (firmware/build-image.sh) under QEMU.
#
#   boot.sh start IMAGEDIR STATEDIR PORT [FLASH_IMG]
#       Boots qemu-system-aarch64 -M virt -cpu cortex-a53 -m 256 in the
#       background (software emulation: no KVM needed), the guest's port 443
#       forwarded to 127.0.0.1:PORT, and waits until HTTPS answers there (a
#       TLS server presents its certificate). FLASH_IMG defaults to
#       IMAGEDIR/flash.img and is written in place. STATEDIR gets qemu.pid,
#       console.log (everything on the serial console) and console.port (the
#       console on 127.0.0.1, a root shell: `nc 127.0.0.1 $(cat console.port)`).
#       Exits 0 when HTTPS answers, 1 (with the console's tail) otherwise.
#   boot.sh stop STATEDIR      `poweroff` typed on the console: gatehouse gets
#                              SIGTERM, the flash is unmounted, QEMU exits.
#   boot.sh kill STATEDIR      SIGKILL to QEMU: a power cut.
#
# Environment: GH_BOOT_TIMEOUT (seconds to wait for HTTPS, default 120).
set -eu
die() { echo "boot.sh: $*" >&2; exit 1; }

free_port() {
    for _ in $(seq 1 50); do
        p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
        if ! bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null; then echo "$p"; return 0; fi
    done
    return 1
}

alive() { [ -f "$1/qemu.pid" ] && kill -0 "$(cat "$1/qemu.pid")" 2>/dev/null; }

# wait_exit STATEDIR SECONDS: 0 once QEMU has exited
wait_exit() {
    i=0
    while alive "$1"; do
        i=$((i + 1))
        [ "$i" -gt $(($2 * 10)) ] && return 1
        sleep 0.1
    done
    return 0
}

answers() {   # a TLS server on 127.0.0.1:$1 presents a certificate
    timeout 20 openssl s_client -connect "127.0.0.1:$1" </dev/null 2>/dev/null |
        grep -q 'BEGIN CERTIFICATE'
}

cmd=${1:-}
case "$cmd" in
start)
    [ $# -ge 4 ] || die "usage: boot.sh start IMAGEDIR STATEDIR PORT [FLASH_IMG]"
    img=$2 state=$3 port=$4 flash=${5:-$2/flash.img}
    for f in vmlinuz initramfs.cpio.gz; do [ -f "$img/$f" ] || die "$img/$f missing (firmware/build-image.sh)"; done
    [ -f "$flash" ] || die "$flash: no such file"
    mkdir -p "$state"
    alive "$state" && die "a QEMU from $state is still running (pid $(cat "$state/qemu.pid"))"
    cport=$(free_port) || die "no free port for the console"
    echo "$cport" >"$state/console.port"
    echo "$port" >"$state/https.port"
    : >"$state/console.log"
    # The console is a TCP socket nobody need hold open: its log file records
    # everything either way. -monitor none: stdin is not a terminal here.
    setsid qemu-system-aarch64 -M virt -cpu cortex-a53 -m 256 -smp 1 -nographic -no-reboot \
        -kernel "$img/vmlinuz" -initrd "$img/initramfs.cpio.gz" \
        -append 'console=ttyAMA0 rdinit=/init quiet panic=-1' \
        -chardev "socket,id=con0,host=127.0.0.1,port=$cport,server=on,wait=off,logfile=$state/console.log" \
        -serial chardev:con0 -monitor none \
        -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:443" -device virtio-net-device,netdev=n0 \
        -drive "file=$flash,if=none,format=raw,id=d0" -device virtio-blk-device,drive=d0 \
        -device virtio-rng-device \
        </dev/null >"$state/qemu.out" 2>&1 &
    echo $! >"$state/qemu.pid"
    t0=$(date +%s)
    limit=${GH_BOOT_TIMEOUT:-120}
    while [ $(($(date +%s) - t0)) -lt "$limit" ]; do
        if ! alive "$state"; then
            echo "boot.sh: QEMU exited during boot:" >&2
            cat "$state/qemu.out" >&2
            tail -30 "$state/console.log" >&2
            exit 1
        fi
        if answers "$port"; then
            echo "boot.sh: HTTPS answers on 127.0.0.1:$port after $(($(date +%s) - t0)) s"
            exit 0
        fi
        sleep 0.5
    done
    echo "boot.sh: no HTTPS on 127.0.0.1:$port after $limit s; the console said:" >&2
    tail -30 "$state/console.log" >&2
    kill -KILL "$(cat "$state/qemu.pid")" 2>/dev/null || true
    exit 1
    ;;
stop)
    state=${2:?usage: boot.sh stop STATEDIR}
    alive "$state" || exit 0
    # type `poweroff` into the console shell
    bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1; printf "\npoweroff\n" >&3; sleep 1' _ "$(cat "$state/console.port")" ||
        die "cannot reach the console"
    if ! wait_exit "$state" 60; then
        echo "boot.sh: the guest did not power off in 60 s: killing QEMU" >&2
        kill -KILL "$(cat "$state/qemu.pid")"
        exit 1
    fi
    ;;
kill)
    state=${2:?usage: boot.sh kill STATEDIR}
    alive "$state" || exit 0
    kill -KILL "$(cat "$state/qemu.pid")"
    wait_exit "$state" 10
    ;;
*)
    die "usage: boot.sh start IMAGEDIR STATEDIR PORT [FLASH_IMG] | stop STATEDIR | kill STATEDIR"
    ;;
esac
