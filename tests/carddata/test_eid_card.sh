#!/bin/bash
# Integration test of eid-card against a real pcscd (vsmartcard vpcd) with
#   * the project's virtual CCCD chip (vchip.py): BAC, PACE (CAN and MRZ), Active
#     Authentication, wrong MRZ/CAN, card removed mid-read, no card, no PC/SC service;
#   * a chip someone else wrote: Debian's vicc ePassport (/work/shared/peers/vicc, i.e.
#     ../shared/peers/vicc next to the repository), BAC with the ICAO example MRZ.
# TAP output. Exit 77 (skip) when not root or pcscd/vpcd are missing.
# usage: test_eid_card.sh EID_CARD_EXE     (KEEP=1 keeps the state directory)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
EID_CARD=${1:?usage: test_eid_card.sh EID_CARD_EXE}
EID_CARD=$(cd "$(dirname "$EID_CARD")" && pwd)/$(basename "$EID_CARD")
MANIFEST=$HERE/../vectors/cccd/cards.json
CARDS=$HERE/../vectors/cccd/cards
PEERS=${PEERS_DIR:-$(cd "$HERE/../../.." && pwd)/shared/peers}
PCSC_ENV_HERE=$HERE
. "$HERE/pcsc_env.sh"

if ! pcsc_env_check; then echo "1..0 # SKIP $PCSC_ENV_SKIP"; exit 77; fi
[ -x "$EID_CARD" ] || { echo "Bail out! $EID_CARD not executable"; exit 1; }

STATE=$(mktemp -d /tmp/eid-card-test.XXXXXX)
VICC_STATE=
N=0
FAILED=0
cleanup() {
    pcsc_env_stop
    if [ -n "$VICC_STATE" ] && [ -f "$VICC_STATE/pcscd.pid" ]; then
        sh "$PEERS/vicc/pcsc_down.sh" "$VICC_STATE"
    fi
    if [ "${KEEP:-0}" = 1 ]; then echo "# state kept in $STATE"; else rm -rf "$STATE"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ok() { N=$((N + 1)); echo "ok $N - $*"; }
not_ok() {
    N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; shift
    for f in "$@"; do [ -f "$f" ] && sed 's/^/#   /' "$f" | tail -n 15; done
    return 0
}
skip() { N=$((N + 1)); echo "ok $N - $1 # SKIP $2"; }

# run_card OUT_NAME ARGS... -> $RC, stdout in $STATE/OUT_NAME.out, stderr .err
run_card() {
    local name=$1; shift
    rm -rf "$STATE/$name"
    pcsc_env_client timeout 60 "$EID_CARD" read "$@" --out "$STATE/$name" --json \
        > "$STATE/$name.out" 2> "$STATE/$name.err"
    RC=$?
}
# same_files DIR CARD [with_cardaccess]
same_files() {
    local f g
    for f in EF.COM DG1 DG2 DG13 DG14 DG15 EF.SOD ${3:+EF.CardAccess}; do
        g=$(echo "$f" | tr . _)
        cmp -s "$CARDS/$2/$f.bin" "$1/$g.bin" || { echo "# $g differs from $2/$f.bin"; return 1; }
    done
    return 0
}
json_get() { /usr/bin/python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[k]
print(d)' "$1" "$2" 2>/dev/null; }

MRZ1='IDVNM0900123450001090012345<<19003152M3003150VNM<<<<<<<<<<<2NGUYEN<<VAN<MAU<<<<<<<<<<<<<<<'
CAN1=012345

pcsc_env_start_pcscd "$STATE" || { echo "Bail out! pcscd did not start"; exit 1; }
start_chip() {
    pcsc_env_start_vchip "$MANIFEST" "$@" --require-access-control || {
        echo "Bail out! vchip did not start"; exit 1; }
    pcsc_env_wait_card || { echo "Bail out! no card"; exit 1; }
}
start_chip cccd1

# 1. BAC with the full MRZ
run_card bac --mrz "$MRZ1" --access bac
if [ $RC = 0 ] && same_files "$STATE/bac" cccd1 &&
   [ "$(json_get "$STATE/bac.out" access_control)" = BAC ] &&
   [ "$(json_get "$STATE/bac.out" dg1.citizen_id)" = 001090012345 ]; then
    ok "BAC with the MRZ: all 7 files byte-identical to cccd1, DG1 parsed"
else not_ok "BAC with the MRZ (rc=$RC)" "$STATE/bac.err" "$STATE/bac.out"; fi

# 2. PACE with the CAN
run_card pace_can --can "$CAN1"
if [ $RC = 0 ] && same_files "$STATE/pace_can" cccd1 ca &&
   [ "$(json_get "$STATE/pace_can.out" access_control)" = PACE-CAN ] &&
   [ "$(json_get "$STATE/pace_can.out" dg13.full_name)" = "Nguyễn Văn Mẫu" ]; then
    ok "PACE with the CAN: files byte-identical (EF.CardAccess too), DG13 parsed"
else not_ok "PACE with the CAN (rc=$RC)" "$STATE/pace_can.err" "$STATE/pace_can.out"; fi

# 3. MRZ by fields, access auto -> PACE-MRZ
run_card pace_mrz --doc-number 090012345 --birth 900315 --expiry 300315
if [ $RC = 0 ] && same_files "$STATE/pace_mrz" cccd1 &&
   [ "$(json_get "$STATE/pace_mrz.out" access_control)" = PACE-MRZ ]; then
    ok "auto with the MRZ fields uses PACE-MRZ, files byte-identical"
else not_ok "PACE with the MRZ (rc=$RC)" "$STATE/pace_mrz.err" "$STATE/pace_mrz.out"; fi

# 4. Active Authentication
run_card aa --can "$CAN1" --challenge 0011223344556677
SIG=$(json_get "$STATE/aa.out" active_authentication.signature)
if [ $RC = 0 ] && [ ${#SIG} = 512 ] && [ -s "$STATE/aa/AA_signature.bin" ]; then
    ok "Active Authentication returns a 256-byte signature (extended Le under SM)"
else not_ok "Active Authentication (rc=$RC)" "$STATE/aa.err"; fi

# 5. wrong MRZ (valid check digits) -> 4
run_card wrong_mrz --doc-number 090012346 --birth 900315 --expiry 300315 --access bac
if [ $RC = 4 ] && grep -q "Access denied" "$STATE/wrong_mrz.err"; then
    ok "wrong MRZ with BAC -> exit 4, operator message"
else not_ok "wrong MRZ (rc=$RC, want 4)" "$STATE/wrong_mrz.err"; fi

# 6. wrong CAN -> 4
run_card wrong_can --can 999999
if [ $RC = 4 ]; then ok "wrong CAN with PACE -> exit 4"
else not_ok "wrong CAN (rc=$RC, want 4)" "$STATE/wrong_can.err"; fi

# 7. card removed in the middle of reading -> 5
pcsc_env_stop_chip
start_chip cccd1 --remove-after 14
run_card removed --mrz "$MRZ1" --access bac
if [ $RC = 5 ] && grep -q "removed" "$STATE/removed.err"; then
    ok "card removed mid-read (vchip --remove-after 14) -> exit 5"
else not_ok "card removed (rc=$RC, want 5)" "$STATE/removed.err" "$STATE/vchip.log"; fi

# 8. no card on the reader -> 3
pcsc_env_stop_chip
sleep 1
run_card nocard --mrz "$MRZ1"
if [ $RC = 3 ] && grep -q "No card" "$STATE/nocard.err"; then ok "no card on the reader -> exit 3"
else not_ok "no card (rc=$RC, want 3)" "$STATE/nocard.err"; fi

# 9. no PC/SC service at all (empty private /run/pcscd) -> 3
pcsc_env_stop
unshare --mount --propagation private sh -c 'mount -t tmpfs tmpfs /run/pcscd && exec "$0" read --can 012345' \
    "$EID_CARD" > "$STATE/noreader.out" 2> "$STATE/noreader.err"
RC=$?
if [ $RC = 3 ] && grep -q "No card reader found" "$STATE/noreader.err"; then
    ok "no pcscd -> exit 3, 'No card reader found'"
else not_ok "no reader (rc=$RC, want 3)" "$STATE/noreader.err"; fi

# 10. interop: Debian's vicc ePassport (BAC, 3DES SM) written by someone else
if [ -x "$PEERS/vicc/pcsc_up.sh" ] || [ -f "$PEERS/vicc/pcsc_up.sh" ]; then
    if [ ! -d /usr/lib/python3/site-packages/virtualsmartcard ] &&
       ! /usr/bin/python3 -c 'import virtualsmartcard' 2>/dev/null; then
        skip "vicc interop: BAC + DG1 with the ICAO example MRZ" "python3-virtualsmartcard missing"
    else
        VICC_STATE=$STATE/vicc
        if PCSC_PRIVATE=1 sh "$PEERS/vicc/pcsc_up.sh" "$VICC_STATE" --require-bac \
            > "$STATE/vicc_up.log" 2>&1; then
            PCSCD_PID=$(cat "$VICC_STATE/pcscd.pid")
            run_card vicc_out --mrz 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C<3UTO6908061F9406236ZE184226B<<<<<10'
            PCSCD_PID=
            if [ $RC = 0 ] && [ "$(json_get "$STATE/vicc_out.out" dg1.document_number)" = L898902C ] &&
               [ "$(json_get "$STATE/vicc_out.out" access_control)" = BAC ] &&
               [ -s "$STATE/vicc_out/DG1.bin" ]; then
                ok "vicc interop: BAC + DG1 read and parsed (document L898902C)"
            else not_ok "vicc interop (rc=$RC)" "$STATE/vicc_out.err" "$VICC_STATE/vicc.log"; fi
            sh "$PEERS/vicc/pcsc_down.sh" "$VICC_STATE"
        else
            not_ok "vicc interop: pcsc_up.sh failed" "$STATE/vicc_up.log"
        fi
    fi
else
    skip "vicc interop: BAC + DG1 with the ICAO example MRZ" "peers absent"
fi

echo "1..$N"
[ $FAILED = 0 ]
