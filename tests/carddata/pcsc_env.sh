# pcsc_env.sh - start/stop a private pcscd (vsmartcard vpcd driver) and a virtual chip
# for tests. Source it from sh or bash:  . tests/carddata/pcsc_env.sh
#
# Everything runs in a private mount + network namespace:
#   * net: vpcd listens on 0.0.0.0:$PCSC_ENV_PORT; only the namespace's loopback sees it;
#   * mount: a tmpfs over /run/pcscd, so this pcscd's socket never meets the machine's
#     pcscd (or another test's); clients reach it with pcsc_env_client (nsenter --mount).
# Processes are stopped by PID only.
#
#   pcsc_env_check                    -> 0, or 1 with PCSC_ENV_SKIP set to the reason
#   pcsc_env_start_pcscd STATE        pcscd with one vpcd reader "eid-server vchip"
#   pcsc_env_start_vchip MANIFEST CARD [vchip args...]   (log: STATE/vchip.log)
#   pcsc_env_start_chip NAME CMD...   any card emulator in pcscd's net namespace
#   pcsc_env_wait_card                wait until reader 0 shows an ATR
#   pcsc_env_stop_chip                stop the card emulator (card removed)
#   pcsc_env_stop                     stop everything started here
#   pcsc_env_client CMD...            run a PC/SC client against this pcscd
PCSC_ENV_HERE=${PCSC_ENV_HERE:-$(cd "$(dirname "$0")" && pwd)}
PCSC_ENV_PORT=${PCSC_ENV_PORT:-35963}
PCSC_ENV_VPCD_LIB=/usr/lib/pcsc/drivers/serial/libifdvpcd.so
PCSC_ENV_STATE=
PCSCD_PID=
CHIP_PID=

pcsc_env_check() {
    PCSC_ENV_SKIP=
    if [ "$(id -u)" != 0 ]; then PCSC_ENV_SKIP="needs root (namespaces, pcscd)"; return 1; fi
    for t in pcscd unshare nsenter ip /usr/bin/python3; do
        command -v "$t" >/dev/null 2>&1 || { PCSC_ENV_SKIP="$t not installed"; return 1; }
    done
    [ -e "$PCSC_ENV_VPCD_LIB" ] || { PCSC_ENV_SKIP="vsmartcard-vpcd not installed"; return 1; }
    return 0
}

pcsc_env_stop_pid() {   # TERM, wait up to 3 s, then KILL
    [ -n "$1" ] || return 0
    kill "$1" 2>/dev/null || return 0
    _i=0
    while kill -0 "$1" 2>/dev/null && [ $_i -lt 30 ]; do sleep 0.1; _i=$((_i + 1)); done
    kill -9 "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}

pcsc_env_start_pcscd() {
    PCSC_ENV_STATE=$1
    mkdir -p "$PCSC_ENV_STATE/reader.conf.d"
    cat > "$PCSC_ENV_STATE/reader.conf.d/vchip" <<CONF
FRIENDLYNAME "${PCSC_ENV_READER_NAME:-eid-server vchip}"
DEVICENAME   /dev/null:$PCSC_ENV_PORT
LIBPATH      $PCSC_ENV_VPCD_LIB
CHANNELID    $PCSC_ENV_PORT
CONF
    mkdir -p /run/pcscd
    # unshare and sh both exec, so $! is pcscd itself
    unshare --mount --net --propagation private sh -c \
        'mount -t tmpfs -o mode=0755 tmpfs /run/pcscd && ip link set lo up &&
         exec pcscd --foreground --debug --apdu -c "$0"' "$PCSC_ENV_STATE/reader.conf.d" \
        > "$PCSC_ENV_STATE/pcscd.log" 2>&1 &
    PCSCD_PID=$!
    _i=0
    until grep -q "daemon ready" "$PCSC_ENV_STATE/pcscd.log" 2>/dev/null; do
        kill -0 "$PCSCD_PID" 2>/dev/null || { echo "# pcscd exited"; return 1; }
        _i=$((_i + 1)); [ $_i -gt 100 ] && { echo "# pcscd not ready after 10 s"; return 1; }
        sleep 0.1
    done
    return 0
}

pcsc_env_start_chip() {   # NAME CMD... ; waits for "connected to vpcd" in STATE/NAME.log
    _name=$1; shift
    nsenter --net=/proc/$PCSCD_PID/ns/net "$@" > "$PCSC_ENV_STATE/$_name.log" 2>&1 &
    CHIP_PID=$!
    _i=0
    until grep -q "connected to vpcd" "$PCSC_ENV_STATE/$_name.log" 2>/dev/null; do
        kill -0 "$CHIP_PID" 2>/dev/null || { echo "# $_name exited"; return 1; }
        _i=$((_i + 1)); [ $_i -gt 100 ] && { echo "# $_name did not connect after 10 s"; return 1; }
        sleep 0.1
    done
    return 0
}

pcsc_env_start_vchip() {   # MANIFEST CARD [args]
    _m=$1; _c=$2; shift 2
    pcsc_env_start_chip vchip /usr/bin/python3 -u "$PCSC_ENV_HERE/vchip.py" \
        --card "$_m" "$_c" --host 127.0.0.1 --port "$PCSC_ENV_PORT" "$@"
}

pcsc_env_client() { nsenter --mount=/proc/$PCSCD_PID/ns/mnt "$@"; }

pcsc_env_wait_card() {   # until pcscd has powered the card (ATR in the log)
    _i=0
    until grep -q "Card ATR" "$PCSC_ENV_STATE/pcscd.log" 2>/dev/null &&
          [ "$(grep -c 'Card ATR' "$PCSC_ENV_STATE/pcscd.log")" -gt "${PCSC_ENV_ATR_SEEN:-0}" ]; do
        _i=$((_i + 1)); [ $_i -gt 100 ] && { echo "# no card after 20 s"; return 1; }
        sleep 0.2
    done
    PCSC_ENV_ATR_SEEN=$(grep -c 'Card ATR' "$PCSC_ENV_STATE/pcscd.log")
    # pcscd logs the ATR slightly before clients can connect (a wider gap under load):
    # wait until a PC/SC client sees the card too (reading the ATR sends no APDU)
    _i=0
    until pcsc_env_client opensc-tool -r 0 -a >/dev/null 2>&1; do
        _i=$((_i + 1)); [ $_i -gt 100 ] && { echo "# card not visible to clients after 20 s"; return 1; }
        sleep 0.2
    done
    return 0
}

pcsc_env_stop_chip() {
    pcsc_env_stop_pid "$CHIP_PID"
    CHIP_PID=
}

pcsc_env_stop() {
    pcsc_env_stop_chip
    pcsc_env_stop_pid "$PCSCD_PID"
    PCSCD_PID=
}
