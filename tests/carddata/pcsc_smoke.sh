#!/bin/sh
# End-to-end smoke test: vchip.py behind a real pcscd (vsmartcard vpcd driver), queried
# with opensc-tool. pcscd and vchip run in a private mount + network namespace set up by
# pcsc_env.sh (see there); clients reach this pcscd with nsenter --mount.
# Needs root and the Debian packages pcscd, vsmartcard-vpcd, opensc, iproute2.
# Exit: 0 pass, 1 fail, 77 skip (not root / packages missing).
# usage: pcsc_smoke.sh [MANIFEST [CARD_ID]]      (KEEP=1 keeps the state dir for debugging)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
MANIFEST=${1:-$HERE/../vectors/cccd/cards.json}
CARD=${2:-cccd1}
PCSC_ENV_HERE=$HERE
. "$HERE/pcsc_env.sh"

skip() { echo "SKIP: $*"; exit 77; }
pcsc_env_check || skip "$PCSC_ENV_SKIP"
command -v opensc-tool >/dev/null 2>&1 || skip "opensc-tool not installed"

STATE=$(mktemp -d /tmp/eid-pcsc-smoke.XXXXXX)
cleanup() {
    pcsc_env_stop
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

pcsc_env_start_pcscd "$STATE" || fail "pcscd did not start"
pcsc_env_start_vchip "$MANIFEST" "$CARD" --require-access-control || fail "vchip did not start"

# wait until pcscd reports the card (opensc-tool -a prints the ATR)
i=0
until pcsc_env_client opensc-tool -r 0 -a > "$STATE/atr.out" 2>&1 && grep -qi "3b" "$STATE/atr.out"; do
    i=$((i + 1)); [ $i -gt 50 ] && { cat "$STATE/atr.out"; fail "no card in reader 0 after 10 s"; }
    sleep 0.2
done
echo "ATR: $(cat "$STATE/atr.out")"

pcsc_env_client opensc-tool -r 0 \
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
