#!/bin/sh
# End-to-end smoke test: vchip.py behind a real pcscd (vsmartcard vpcd driver), queried
# with opensc-tool. Everything runs in a private mount + network namespace:
#   * net: vpcd listens on 0.0.0.0:35963/35964; here only the namespace's loopback sees it;
#   * mount: a tmpfs over /run/pcscd, so this pcscd's socket never meets the machine's
#     pcscd (or another test's); clients reach it with nsenter --mount.
# Needs root and the Debian packages pcscd, vsmartcard-vpcd, opensc, iproute2.
# Exit: 0 pass, 1 fail, 77 skip (not root / packages missing).
# usage: pcsc_smoke.sh [MANIFEST [CARD_ID]]      (KEEP=1 keeps the state dir for debugging)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
MANIFEST=${1:-$HERE/../vectors/cccd/cards.json}
CARD=${2:-cccd1}
PORT=35963
VPCD_LIB=/usr/lib/pcsc/drivers/serial/libifdvpcd.so

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (namespaces, pcscd)"
for t in pcscd opensc-tool unshare nsenter ip /usr/bin/python3; do
    command -v "$t" >/dev/null 2>&1 || skip "$t not installed"
done
[ -e "$VPCD_LIB" ] || skip "vsmartcard-vpcd not installed ($VPCD_LIB)"

STATE=$(mktemp -d /tmp/eid-pcsc-smoke.XXXXXX)
PCSCD_PID=
VCHIP_PID=

stop_pid() {   # stop_pid PID: TERM, wait up to 3 s, then KILL
    [ -n "$1" ] || return 0
    kill "$1" 2>/dev/null || return 0
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}
cleanup() {
    stop_pid "$VCHIP_PID"
    stop_pid "$PCSCD_PID"
    if [ "${KEEP:-0}" = 1 ]; then echo "state kept in $STATE"; else rm -rf "$STATE"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
    echo "FAIL: $*"
    for f in vchip.log opensc.out pcscd.log; do
        [ -f "$STATE/$f" ] && { echo "---- $f (tail)"; tail -n 40 "$STATE/$f"; }
    done
    exit 1
}

mkdir -p "$STATE/reader.conf.d"
cat > "$STATE/reader.conf.d/vchip" <<EOF
FRIENDLYNAME "eid-server vchip"
DEVICENAME   /dev/null:$PORT
LIBPATH      $VPCD_LIB
CHANNELID    $PORT
EOF

# mount point for the private tmpfs (the directory pcscd itself uses)
mkdir -p /run/pcscd
# unshare and sh both exec, so $! is pcscd itself
unshare --mount --net --propagation private sh -c \
    'mount -t tmpfs -o mode=0755 tmpfs /run/pcscd && ip link set lo up &&
     exec pcscd --foreground --debug --apdu -c "$0"' "$STATE/reader.conf.d" \
    > "$STATE/pcscd.log" 2>&1 &
PCSCD_PID=$!

i=0
until grep -q "daemon ready" "$STATE/pcscd.log" 2>/dev/null; do
    kill -0 "$PCSCD_PID" 2>/dev/null || fail "pcscd exited"
    i=$((i + 1)); [ $i -gt 100 ] && fail "pcscd not ready after 10 s"
    sleep 0.1
done

nsenter --net=/proc/$PCSCD_PID/ns/net /usr/bin/python3 -u "$HERE/vchip.py" \
    --card "$MANIFEST" "$CARD" --host 127.0.0.1 --port $PORT --require-access-control \
    > "$STATE/vchip.log" 2>&1 &
VCHIP_PID=$!

i=0
until grep -q "connected to vpcd" "$STATE/vchip.log" 2>/dev/null; do
    kill -0 "$VCHIP_PID" 2>/dev/null || fail "vchip exited"
    i=$((i + 1)); [ $i -gt 100 ] && fail "vchip did not connect after 10 s"
    sleep 0.1
done

client() { nsenter --mount=/proc/$PCSCD_PID/ns/mnt "$@"; }

# wait until pcscd reports the card (opensc-tool -a prints the ATR)
i=0
until client opensc-tool -r 0 -a > "$STATE/atr.out" 2>&1 && grep -qi "3b" "$STATE/atr.out"; do
    i=$((i + 1)); [ $i -gt 50 ] && { cat "$STATE/atr.out"; fail "no card in reader 0 after 10 s"; }
    sleep 0.2
done
echo "ATR: $(cat "$STATE/atr.out")"

client opensc-tool -r 0 \
    -s '00 A4 04 0C 07 A0 00 00 02 47 10 01' \
    -s '00 A4 02 0C 02 01 01' \
    -s '00 B0 00 00 04' > "$STATE/opensc.out" 2>&1 || fail "opensc-tool failed"
cat "$STATE/opensc.out"
SWS=$(grep -o 'SW1=0x[0-9a-fA-F]*, SW2=0x[0-9a-fA-F]*' "$STATE/opensc.out" | tr '\n' ' ')
case "$SWS" in
    "SW1=0x90, SW2=0x00 SW1=0x90, SW2=0x00 SW1=0x69, SW2=0x82 ") ;;
    *) fail "unexpected status words: $SWS (want 9000, 9000, 6982)" ;;
esac
echo "PASS: SELECT eMRTD 90 00, SELECT DG1 90 00, plain READ BINARY 69 82"
exit 0
