#!/bin/bash
# End-to-end test of `eid-card verify`: a real eidd + Redis (server_fixture.py, i.e.
# tests/lib/eidtest.py) with a registered terminal client and the test CSCAs imported, a
# real pcscd with the virtual CCCD chip (pcsc_env.sh, private namespaces), and eid-card
# doing token -> challenge -> card read with AA + CA -> verify.
#   genuine RSA card (secret from EID_CLIENT_SECRET) -> valid, exit 0, nothing leaked;
#   genuine ECDSA card with --json and --client-secret -> the server's JSON, exit 0;
#   tampered DG13 -> invalid, exit 8; a clone (vchip --clone) -> AA and CA fail, exit 8;
#   wrong CAN -> exit 4; server down -> exit 7; a server that never answers -> exit 7
#   after --timeout; wrong client secret -> exit 7; plain http to another host -> exit 2.
# TAP output. Exit 77 (skip) when not root, pcscd/vpcd or redis-server are missing.
# usage: test_eid_card_verify.sh EID_CARD_EXE     (EID_BUILD = the meson build directory;
#        KEEP=1 keeps the state directory)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
EID_CARD=${1:?usage: test_eid_card_verify.sh EID_CARD_EXE}
EID_CARD=$(cd "$(dirname "$EID_CARD")" && pwd)/$(basename "$EID_CARD")
MANIFEST=$HERE/../vectors/cccd/cards.json
PCSC_ENV_HERE=$HERE
PCSC_ENV_PORT=${PCSC_ENV_PORT:-35964}
. "$HERE/pcsc_env.sh"

if ! pcsc_env_check; then echo "1..0 # SKIP $PCSC_ENV_SKIP"; exit 77; fi
command -v redis-server >/dev/null 2>&1 || { echo "1..0 # SKIP redis-server not installed"; exit 77; }
[ -x "$EID_CARD" ] || { echo "Bail out! $EID_CARD not executable"; exit 1; }
export EID_BUILD=${EID_BUILD:-$(cd "$(dirname "$EID_CARD")/.." && pwd)}

STATE=$(mktemp -d /tmp/eid-card-verify.XXXXXX)
FIXTURE_PID=
SILENT_PID=
N=0
FAILED=0
cleanup() {
    pcsc_env_stop
    [ -n "$SILENT_PID" ] && pcsc_env_stop_pid "$SILENT_PID"
    if [ -n "$FIXTURE_PID" ]; then
        exec 3>&- 2>/dev/null
        pcsc_env_stop_pid "$FIXTURE_PID"
    fi
    if [ "${KEEP:-0}" = 1 ]; then echo "# state kept in $STATE"; else rm -rf "$STATE"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ok() { N=$((N + 1)); echo "ok $N - $*"; }
not_ok() {
    N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; shift
    for f in "$@"; do [ -f "$f" ] && sed 's/^/#   /' "$f" | tail -n 20; done
    return 0
}
json_get() { /usr/bin/python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[k]
print(d)' "$1" "$2" 2>/dev/null; }

# --- the server -----------------------------------------------------------------------
mkfifo "$STATE/fixture.ctl"
/usr/bin/python3 "$HERE/server_fixture.py" "$STATE" < "$STATE/fixture.ctl" \
    > "$STATE/fixture.out" 2> "$STATE/fixture.err" &
FIXTURE_PID=$!
exec 3> "$STATE/fixture.ctl"            # the fixture runs until this closes
i=0
until [ -f "$STATE/server.json" ]; do
    kill -0 "$FIXTURE_PID" 2>/dev/null || { echo "Bail out! server fixture failed"; sed 's/^/# /' "$STATE/fixture.err" | tail -30; exit 1; }
    i=$((i + 1)); [ $i -gt 300 ] && { echo "Bail out! server fixture not ready after 60 s"; exit 1; }
    sleep 0.2
done
URL=$(json_get "$STATE/server.json" url)
CLIENT_ID=$(json_get "$STATE/server.json" client_id)
SECRET=$(json_get "$STATE/server.json" client_secret)

# --- the reader -----------------------------------------------------------------------
pcsc_env_start_pcscd "$STATE" || { echo "Bail out! pcscd did not start"; exit 1; }
start_chip() {
    pcsc_env_stop_chip
    pcsc_env_start_vchip "$MANIFEST" "$@" --require-access-control || {
        echo "Bail out! vchip did not start"; exit 1; }
    pcsc_env_wait_card || { echo "Bail out! no card"; exit 1; }
}
# verify NAME ARGS... -> $RC, stdout NAME.out, stderr NAME.err; the secret via the env
verify() {
    local name=$1; shift
    pcsc_env_client env EID_CLIENT_SECRET="$SECRET" timeout 120 "$EID_CARD" verify \
        --client-id "$CLIENT_ID" "$@" > "$STATE/$name.out" 2> "$STATE/$name.err"
    RC=$?
}

# 1. genuine RSA card (cccd1: ISO 9796-2 AA), PACE with the CAN, human output
start_chip cccd1
verify genuine --server "$URL" --can 012345
if [ $RC = 0 ] && grep -q '^verdict: VALID' "$STATE/genuine.out" &&
   grep -Eq '^  active_authentication +pass' "$STATE/genuine.out" &&
   grep -Eq '^  data_group_hashes +pass' "$STATE/genuine.out" &&
   grep -q '^reader: chip authentication: pass' "$STATE/genuine.out" &&
   grep -q '^citizen id: 001090012345' "$STATE/genuine.out" &&
   grep -q '^full name: Nguyễn Văn Mẫu' "$STATE/genuine.out"; then
    ok "genuine RSA card: verdict VALID, AA pass (server), CA pass (reader), exit 0"
else not_ok "genuine RSA card (rc=$RC, want 0)" "$STATE/genuine.err" "$STATE/genuine.out"; fi
if ! grep -qF "$SECRET" "$STATE/genuine.out" "$STATE/genuine.err"; then
    ok "the client secret appears in no output"
else not_ok "the client secret was printed"; fi

# 2. genuine ECDSA card (cccd2), --json, secret on the command line, server URL with '/'
start_chip cccd2
pcsc_env_client timeout 120 "$EID_CARD" verify --server "$URL/" --client-id "$CLIENT_ID" \
    --client-secret "$SECRET" --can 004567 --json > "$STATE/json.out" 2> "$STATE/json.err"
RC=$?
VID=$(json_get "$STATE/json.out" verification_id)
if [ $RC = 0 ] && [ "$(json_get "$STATE/json.out" verdict)" = valid ] &&
   [ "$(json_get "$STATE/json.out" checks.active_authentication)" = pass ] &&
   [ "$(json_get "$STATE/json.out" document.citizen_id)" = 079305004567 ] &&
   [ ${#VID} = 22 ] && grep -q 'chip_authentication (reader): pass' "$STATE/json.err"; then
    ok "genuine ECDSA card with --json: the server's verdict (valid, AA pass), exit 0"
else not_ok "genuine ECDSA card --json (rc=$RC, want 0)" "$STATE/json.err" "$STATE/json.out"; fi

# 3. tampered DG13 with the original SOD
start_chip cccd1-tampered-dg13
verify tampered --server "$URL" --can 012345 --json
if [ $RC = 8 ] && [ "$(json_get "$STATE/tampered.out" verdict)" = invalid ] &&
   [ "$(json_get "$STATE/tampered.out" checks.data_group_hashes)" = fail ] &&
   grep -q 'dg_hash_mismatch:13' "$STATE/tampered.out"; then
    ok "tampered DG13: invalid (dg_hash_mismatch:13), exit 8"
else not_ok "tampered DG13 (rc=$RC, want 8)" "$STATE/tampered.err" "$STATE/tampered.out"; fi

# 4. a clone: the same files, other chip keys
start_chip cccd1 --clone
verify clone --server "$URL" --can 012345
if [ $RC = 8 ] && grep -q '^verdict: INVALID' "$STATE/clone.out" &&
   grep -Eq '^  active_authentication +fail' "$STATE/clone.out" &&
   grep -q '^reader: chip authentication: fail' "$STATE/clone.out" &&
   grep -q 'possible clone' "$STATE/clone.err"; then
    ok "a clone (vchip --clone): AA fail at the server, CA fail at the reader, exit 8"
else not_ok "clone (rc=$RC, want 8)" "$STATE/clone.err" "$STATE/clone.out"; fi

# 5. wrong CAN
start_chip cccd1
verify wrongcan --server "$URL" --can 999999
if [ $RC = 4 ] && grep -q 'Access denied' "$STATE/wrongcan.err"; then
    ok "wrong CAN: exit 4"
else not_ok "wrong CAN (rc=$RC, want 4)" "$STATE/wrongcan.err"; fi

# 6. wrong client secret: the server refuses -> 7
pcsc_env_client env EID_CLIENT_SECRET=not-the-secret timeout 60 "$EID_CARD" verify \
    --server "$URL" --client-id "$CLIENT_ID" --can 012345 > "$STATE/badsecret.out" 2> "$STATE/badsecret.err"
RC=$?
if [ $RC = 7 ] && grep -q 'refused' "$STATE/badsecret.err" && grep -q 'HTTP 401' "$STATE/badsecret.err"; then
    ok "wrong client secret: refused (HTTP 401), exit 7"
else not_ok "wrong client secret (rc=$RC, want 7)" "$STATE/badsecret.err"; fi

# 7. server down: nothing listens on the port -> 7, fast
DOWN_PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
t0=$(date +%s)
verify down --server "http://127.0.0.1:$DOWN_PORT" --can 012345
t1=$(date +%s)
if [ $RC = 7 ] && grep -q 'Cannot reach the server' "$STATE/down.err" && [ $((t1 - t0)) -lt 10 ]; then
    ok "server down: 'Cannot reach the server', exit 7 ($((t1 - t0)) s)"
else not_ok "server down (rc=$RC, want 7)" "$STATE/down.err"; fi

# 8. a server that accepts and never answers: the timeout holds -> 7
/usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    conns.append(s.accept())' > "$STATE/silent.port" &
SILENT_PID=$!
i=0; until [ -s "$STATE/silent.port" ] || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
t0=$(date +%s)
verify silent --server "http://127.0.0.1:$(cat "$STATE/silent.port")" --can 012345 --timeout 2
t1=$(date +%s)
pcsc_env_stop_pid "$SILENT_PID"; SILENT_PID=
if [ $RC = 7 ] && grep -q 'did not answer within 2 s' "$STATE/silent.err" && [ $((t1 - t0)) -lt 8 ]; then
    ok "a server that never answers: timeout after 2 s, exit 7 ($((t1 - t0)) s)"
else not_ok "silent server (rc=$RC, want 7)" "$STATE/silent.err"; fi

# 9. plain http to another host is refused before anything is sent -> 2
verify plainhttp --server "http://192.0.2.1:8080" --can 012345
if [ $RC = 2 ] && grep -q 'https' "$STATE/plainhttp.err"; then
    ok "http:// to a non-loopback host: refused (exit 2)"
else not_ok "plain http (rc=$RC, want 2)" "$STATE/plainhttp.err"; fi

# 10. no secret at all -> 2
pcsc_env_client env -u EID_CLIENT_SECRET "$EID_CARD" verify --server "$URL" --client-id "$CLIENT_ID" \
    --can 012345 > "$STATE/nosecret.out" 2> "$STATE/nosecret.err"
RC=$?
if [ $RC = 2 ] && grep -q 'EID_CLIENT_SECRET' "$STATE/nosecret.err"; then
    ok "no client secret: usage error naming EID_CLIENT_SECRET (exit 2)"
else not_ok "no secret (rc=$RC, want 2)" "$STATE/nosecret.err"; fi

# 11. the server side: eidd exits cleanly, no ID number or secret in its log
pcsc_env_stop
exec 3>&-
wait "$FIXTURE_PID"
FIXTURE_PID=
if [ "$(json_get "$STATE/server_exit.json" eidd_rc)" = 0 ] &&
   [ "$(json_get "$STATE/server_exit.json" log_leaks)" = 0 ]; then
    ok "eidd exits 0; its log has no citizen ID number and no client secret"
else not_ok "eidd exit / log" "$STATE/server_exit.json" "$STATE/fixture.err"; fi

echo "1..$N"
[ $FAILED = 0 ]
