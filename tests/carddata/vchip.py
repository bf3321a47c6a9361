#!/usr/bin/python3
"""vchip: a virtual CCCD (ICAO 9303 eMRTD) chip for the project's tests.

It serves one card produced by gen.py and speaks vsmartcard's vpcd protocol over TCP
(it connects to vpcd, which pcscd loads as a reader driver), so PC/SC clients such as
eid-card or opensc-tool see a contactless ID card.

  /usr/bin/python3 tests/carddata/vchip.py --card tests/vectors/cccd/cards.json cccd1 \
      [--host 127.0.0.1] [--port 35963] [--require-access-control] [--remove-after N]

Implemented (ICAO 9303-11): SELECT (AID, FID, MF), READ BINARY (offset and SFI forms),
GET CHALLENGE, BAC (MUTUAL AUTHENTICATE) with 3DES secure messaging, PACE
(id-PACE-ECDH-GM-AES-CBC-CMAC-128, brainpoolP256r1, MRZ or CAN) with AES secure
messaging, Active Authentication (INTERNAL AUTHENTICATE: RSA ISO/IEC 9796-2 scheme 1
with SHA-1 or SHA-256, or ECDSA plain r||s) and Chip Authentication
(MSE:Set AT + GENERAL AUTHENTICATE, id-CA-ECDH-AES-CBC-CMAC-128, DG14 key).
The APDU handler (class Chip) has no I/O, so tests drive it in-process.
"""
import argparse
import hashlib
import json
import os
import socket
import struct
import sys
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emrtd import (  # noqa: E402
    BRAINPOOLP256R1, CURVES_BY_PACE_ID, EMRTD_AID, OID_CA_ECDH_AES128, OID_PACE_ECDH_GM_AES128,
    SecureMessaging, SMError, aes_enc, bac_keys, kdf, oid_to_str, pace_kpi,
    pace_password, pace_token, pad, parse_all, retail_mac, tdes_dec, tdes_enc, tlv)

# ATR of a contactless card as PC/SC part 3 builds it: 3B 8n 80 01 + historical bytes + TCK.
# Historical bytes: category 80, compact-TLV F7 = application identifier (the eMRTD AID).
_HIST = bytes.fromhex('80F7') + EMRTD_AID


def _atr():
    body = bytes([0x80 | len(_HIST), 0x80, 0x01]) + _HIST
    tck = 0
    for b in body:
        tck ^= b
    return b'\x3B' + body + bytes([tck])


ATR = _atr()

SW_OK = 0x9000


class Removed(Exception):
    """The simulated card has been pulled out of the field."""


def parse_apdu(apdu):
    """ISO 7816-4 cases 1-4, short and extended. Returns dict or raises ValueError."""
    if len(apdu) < 4:
        raise ValueError('short APDU')
    a = {'cla': apdu[0], 'ins': apdu[1], 'p1': apdu[2], 'p2': apdu[3], 'data': b'', 'le': None,
         'extended': False}
    body = apdu[4:]
    if not body:
        return a
    if len(body) == 1:
        a['le'] = body[0] or 256
        return a
    if body[0] != 0:                                    # short
        lc = body[0]
        if len(body) == 1 + lc:
            a['data'] = body[1:]
        elif len(body) == 2 + lc:
            a['data'], a['le'] = body[1:1 + lc], body[1 + lc] or 256
        else:
            raise ValueError('bad short APDU length')
        return a
    a['extended'] = True                                # extended: 00 then 2 bytes
    if len(body) == 3:
        a['le'] = int.from_bytes(body[1:3], 'big') or 65536
        return a
    lc = int.from_bytes(body[1:3], 'big')
    if len(body) == 3 + lc:
        a['data'] = body[3:]
    elif len(body) == 5 + lc:
        a['data'] = body[3:3 + lc]
        a['le'] = int.from_bytes(body[3 + lc:], 'big') or 65536
    else:
        raise ValueError('bad extended APDU length')
    return a


class CardData:
    """Everything a chip needs: files by FID, MRZ information, CAN, chip keys."""

    def __init__(self, files, mrz_info, can=None, aa_key=None, aa_hash='sha1', ca_key=None,
                 mf_files=None):
        self.files = files                  # {fid(int): bytes} inside the eMRTD application
        self.mf_files = mf_files or {}      # {fid: bytes} in the MF (EF.CardAccess)
        self.mrz_info, self.can = mrz_info, can
        self.aa_key, self.aa_hash, self.ca_key = aa_key, aa_hash, ca_key

    @classmethod
    def from_manifest(cls, manifest_path, card_id):
        with open(manifest_path, encoding='utf-8') as f:
            m = json.load(f)
        base = os.path.dirname(os.path.abspath(manifest_path))
        card = next((c for c in m['cards'] if c['id'] == card_id), None)
        if card is None:
            raise SystemExit('no card %r in %s (have: %s)' % (
                card_id, manifest_path, ', '.join(c['id'] for c in m['cards'])))
        cdir = os.path.join(base, card['dir'])
        files, mf = {}, {}
        for e in card['files'].values():
            with open(os.path.join(cdir, e['path']), 'rb') as f:
                data = f.read()
            (mf if e['location'] == 'MF' else files)[int(e['fid'], 16)] = data

        def key(rel):
            with open(os.path.join(cdir, rel), 'rb') as f:
                return serialization.load_pem_private_key(f.read(), None)
        return cls(files, card['access']['mrz_information'], card['access']['can'],
                   key(card['aa']['private_key']), card['aa']['hash'],
                   key(card['ca']['private_key']), mf)


class Chip:
    """The APDU handler. process(apdu) -> response bytes (data || SW)."""

    def __init__(self, card, require_access_control=False, remove_after=None, rng=os.urandom,
                 log=None):
        self.card = card
        self.require_ac = require_access_control
        self.remove_after = remove_after
        self.rng = rng
        self.log = log
        self.apdu_count = 0
        self.removed = False
        self.power_on()

    # --- lifecycle --------------------------------------------------------
    def power_on(self):
        self.app_selected = False
        self.current = None                 # (fid, data)
        self.sm = None
        self.access = None                  # None | 'bac' | 'pace'
        self.rnd_ic = None
        self.pace = None
        self.ca_pending = None
        self.chain = b''

    reset = power_on

    def power_off(self):
        self.power_on()

    def atr(self):
        return ATR

    # --- helpers ----------------------------------------------------------
    def _rand_scalar(self, curve):
        while True:
            k = int.from_bytes(self.rng(curve.size), 'big') % curve.n
            if k:
                return k

    def _drop_session(self):
        self.sm = None
        self.access = None
        self.pace = None
        self.ca_pending = None

    def process(self, apdu):
        if self.removed:
            raise Removed()
        self.apdu_count += 1
        self._switch_after_response = None
        resp = self._process(bytes(apdu))
        if self._switch_after_response is not None:     # Chip Authentication: new SM keys
            self.sm = self._switch_after_response
            self._switch_after_response = None
        if self.log:
            self.log('> %s\n< %s' % (apdu.hex().upper(), resp.hex().upper()))
        if self.remove_after is not None and self.apdu_count >= self.remove_after:
            self.removed = True
        return resp

    def _process(self, raw):
        try:
            a = parse_apdu(raw)
        except ValueError:
            return b'\x67\x00'
        if a['cla'] == 0xFF:
            return b'\x6E\x00'
        if a['cla'] & 0x0C == 0x0C:
            if self.sm is None:
                return b'\x69\x82'
            sm = self.sm
            try:
                data, le = sm.unprotect_command(a)
            except SMError as e:
                self._drop_session()
                return e.sw.to_bytes(2, 'big')
            inner = dict(a, cla=a['cla'] & ~0x0C, data=data, le=le)
            rdata, sw = self._dispatch(inner)
            # after Chip Authentication the answer still goes out under the old keys
            return sm.protect_response(rdata, sw, odd_ins=bool(a['ins'] & 1))
        if self.sm is not None:             # a plain APDU aborts secure messaging
            self._drop_session()
        rdata, sw = self._dispatch(a)
        return rdata + sw.to_bytes(2, 'big')

    def _dispatch(self, a):
        ins = a['ins']
        if a['cla'] & 0x10 and ins != 0x86:
            return b'', 0x6884                      # chaining only for GENERAL AUTHENTICATE
        handler = {0xA4: self.select, 0xB0: self.read_binary, 0xB1: self.read_binary,
                   0x84: self.get_challenge, 0x82: self.mutual_authenticate,
                   0x88: self.internal_authenticate, 0x22: self.mse, 0x86: self.general_authenticate
                   }.get(ins)
        if handler is None:
            return b'', 0x6D00
        return handler(a)

    # --- file system ------------------------------------------------------
    def select(self, a):
        p1, p2, data = a['p1'], a['p2'], a['data']
        if p1 == 0x04:
            if data == EMRTD_AID:
                self.app_selected = True
                self.current = None
                return b'', SW_OK
            return b'', 0x6A82
        if p1 in (0x00, 0x02, 0x08) and len(data) >= 2 or (p1 == 0x00 and not data):
            if p1 == 0x00 and (not data or data == b'\x3F\x00'):
                self.app_selected = False
                self.current = None
                return b'', SW_OK
            if p1 == 0x08:
                data = data[-2:]
            fid = int.from_bytes(data[:2], 'big')
            ef = None
            if fid in self.card.mf_files:
                ef = self.card.mf_files[fid]
            elif self.app_selected and fid in self.card.files:
                ef = self.card.files[fid]
            if ef is None:
                if self.app_selected and fid == 0x0103:
                    return b'', 0x6982                  # DG3: EAC-protected on a real CCCD
                return b'', 0x6A82
            self.current = (fid, ef)
            if p2 & 0x0C == 0x0C:
                return b'', SW_OK
            fcp = tlv(0x62, tlv(0x80, len(ef).to_bytes(2, 'big')) + tlv(0x82, b'\x01')
                      + tlv(0x83, fid.to_bytes(2, 'big')))
            return fcp, SW_OK
        return b'', 0x6A86

    def _ac_ok(self, fid):
        if fid in self.card.mf_files:
            return True                                 # EF.CardAccess is always readable
        return not self.require_ac or self.access is not None

    def read_binary(self, a):
        p1, p2 = a['p1'], a['p2']
        if a['ins'] == 0xB1:                             # odd INS: offset in DO'54'
            objs = dict(parse_all(a['data']))
            if 0x54 not in objs:
                return b'', 0x6A80
            offset = int.from_bytes(objs[0x54], 'big')
        elif p1 & 0x80:
            sfi = p1 & 0x1F
            offset = p2
            hit = None
            for fid, ef in list(self.card.mf_files.items()) + (
                    list(self.card.files.items()) if self.app_selected else []):
                if fid & 0x1F == sfi and (fid >> 8) == 0x01:
                    hit = (fid, ef)
            if hit is None:
                return b'', 0x6A82
            if not self._ac_ok(hit[0]):
                return b'', 0x6982
            self.current = hit
        else:
            offset = (p1 << 8) | p2
        if self.current is None:
            return b'', 0x6986
        fid, ef = self.current
        if not self._ac_ok(fid):
            return b'', 0x6982
        le = a['le'] or 256
        if offset > len(ef):
            return b'', 0x6B00
        chunk = ef[offset:offset + le]
        if a['ins'] == 0xB1:
            chunk = tlv(0x53, chunk)
        if offset + le > len(ef):
            return chunk, 0x6282                        # end of file reached before Le bytes
        return chunk, SW_OK

    # --- BAC ---------------------------------------------------------------
    def get_challenge(self, a):
        n = a['le'] or 8
        if n != 8:
            return b'', 0x6700
        self.rnd_ic = self.rng(8)
        return self.rnd_ic, SW_OK

    def mutual_authenticate(self, a):
        data = a['data']
        rnd_ic, self.rnd_ic = self.rnd_ic, None
        if rnd_ic is None:
            return b'', 0x6985
        if len(data) != 40:
            return b'', 0x6700
        kenc, kmac = bac_keys(self.card.mrz_info)
        if retail_mac(kmac, pad(data[:32])) != data[32:]:
            self._drop_session()
            return b'', 0x6300
        s = tdes_dec(kenc, data[:32])
        rnd_ifd, rnd_ic_echo, k_ifd = s[:8], s[8:16], s[16:32]
        if rnd_ic_echo != rnd_ic:
            self._drop_session()
            return b'', 0x6300
        k_ic = self.rng(16)
        r = tdes_enc(kenc, rnd_ic + rnd_ifd + k_ic)
        resp = r + retail_mac(kmac, pad(r))
        seed = bytes(x ^ y for x, y in zip(k_ifd, k_ic))
        self.sm = SecureMessaging(kdf(seed, 1), kdf(seed, 2), rnd_ic[4:] + rnd_ifd[4:], '3des')
        self.access = 'bac'
        self.last_session = {'k_ic': k_ic, 'seed': seed}
        return resp, SW_OK

    # --- Active Authentication --------------------------------------------
    def internal_authenticate(self, a):
        if self.require_ac and self.access is None:
            return b'', 0x6982
        key = self.card.aa_key
        if key is None:
            return b'', 0x6D00
        m2 = a['data']
        if len(m2) != 8:
            return b'', 0x6700
        if isinstance(key, rsa.RSAPrivateKey):
            return self._aa_rsa(key, m2), SW_OK
        der = key.sign(m2, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        n = (key.curve.key_size + 7) // 8
        return r.to_bytes(n, 'big') + s.to_bytes(n, 'big'), SW_OK

    def _aa_rsa(self, key, m2):
        """ISO/IEC 9796-2 digital signature scheme 1, partial message recovery."""
        k = key.key_size
        nbytes = (k + 7) // 8
        if self.card.aa_hash == 'sha1':
            hfn, trailer = hashlib.sha1, b'\xBC'
        else:
            hfn, trailer = hashlib.sha256, b'\x34\xCC'
        hlen = hfn().digest_size
        m1 = self.rng(nbytes - hlen - len(trailer) - 1)
        f = b'\x6A' + m1 + hfn(m1 + m2).digest() + trailer
        pn = key.private_numbers()
        n = pn.public_numbers.n
        s = pow(int.from_bytes(f, 'big'), pn.d, n)
        s = min(s, n - s)
        return s.to_bytes(nbytes, 'big')

    # --- MSE / GENERAL AUTHENTICATE (PACE, Chip Authentication) -------------
    def mse(self, a):
        p1p2 = (a['p1'] << 8) | a['p2']
        try:
            objs = dict(parse_all(a['data']))
        except (ValueError, IndexError):
            return b'', 0x6A80
        oid = oid_to_str(objs[0x80]) if 0x80 in objs else None
        if p1p2 == 0xC1A4:                                 # PACE
            if oid != OID_PACE_ECDH_GM_AES128:
                return b'', 0x6A80
            ref = objs.get(0x83, b'')
            pid = int.from_bytes(objs.get(0x84, b'\x0D'), 'big')
            if pid not in CURVES_BY_PACE_ID:
                return b'', 0x6A80
            if ref == b'\x01':
                pw = pace_password('mrz', self.card.mrz_info)
            elif ref == b'\x02' and self.card.can:
                pw = pace_password('can', self.card.can)
            else:
                return b'', 0x6A88
            self._drop_session()
            self.pace = {'step': 1, 'curve': CURVES_BY_PACE_ID[pid], 'kpi': pace_kpi(pw), 'oid': oid}
            return b'', SW_OK
        if p1p2 == 0x41A4:                                 # Chip Authentication (AES)
            if oid != OID_CA_ECDH_AES128 or self.card.ca_key is None:
                return b'', 0x6A80
            if self.sm is None:
                return b'', 0x6982
            self.ca_pending = {'oid': oid}
            return b'', SW_OK
        if p1p2 in (0x81B6, 0x41A6):                       # TA / 3DES CA: not offered
            return b'', 0x6A80
        return b'', 0x6A86

    def general_authenticate(self, a):
        try:
            tag, body = parse_all(a['data'])[0]
        except (ValueError, IndexError):
            return b'', 0x6A80
        if tag != 0x7C:
            return b'', 0x6A80
        objs = dict(parse_all(body)) if body else {}
        if self.ca_pending is not None:
            return self._ca(objs)
        p = self.pace
        if p is None:
            return b'', 0x6985
        C = p['curve']
        chained = bool(a['cla'] & 0x10)
        step = p['step']
        try:
            if step == 1:
                if body or not chained:
                    raise ValueError
                p['s'] = self.rng(16)
                z = aes_enc(p['kpi'], p['s'])
                out = tlv(0x80, z)
            elif step == 2:
                pk_map_t = C.decode(objs[0x81])
                d = self._rand_scalar(C)
                pub = C.mul(d, C.g)
                h = C.mul(d, pk_map_t)
                s = int.from_bytes(p['s'], 'big')
                p['g2'] = C.add(C.mul(s, C.g), h)
                if p['g2'] is None:
                    raise ValueError
                out = tlv(0x82, C.encode(pub))
            elif step == 3:
                pk_t = C.decode(objs[0x83])
                d = self._rand_scalar(C)
                pub = C.mul(d, p['g2'])
                if pk_t == pub:
                    raise ValueError
                shared = C.mul(d, pk_t)
                if shared is None:
                    raise ValueError
                k = shared[0].to_bytes(C.size, 'big')
                p['kenc'], p['kmac'] = kdf(k, 1, 'aes128'), kdf(k, 2, 'aes128')
                p['pk_t'], p['pk_ic'] = C.encode(pk_t), C.encode(pub)
                out = tlv(0x84, p['pk_ic'])
            elif step == 4:
                if chained:
                    raise ValueError
                t_ifd = objs[0x85]
                if t_ifd != pace_token(p['kmac'], p['oid'], p['pk_ic']):
                    self.pace = None
                    return b'', 0x6300
                out = tlv(0x86, pace_token(p['kmac'], p['oid'], p['pk_t']))
                self.pace = None
                # the GA 4 response is plain; AES SM (SSC 0) starts with the next command
                self.sm = SecureMessaging(p['kenc'], p['kmac'], b'\0' * 16, 'aes')
                self.access = 'pace'
                self.last_session = {'kenc': p['kenc'], 'kmac': p['kmac']}
                return tlv(0x7C, out), SW_OK
            else:
                raise ValueError
        except (KeyError, ValueError):
            self.pace = None
            return b'', 0x6A80
        p['step'] = step + 1
        return tlv(0x7C, out), SW_OK

    def _ca(self, objs):
        self.ca_pending = None
        C = BRAINPOOLP256R1
        try:
            pk = C.decode(objs[0x80])
        except (KeyError, ValueError):
            return b'', 0x6A80
        d = self.card.ca_key.private_numbers().private_value
        shared = C.mul(d, pk)
        k = shared[0].to_bytes(C.size, 'big')
        new = SecureMessaging(kdf(k, 1, 'aes128'), kdf(k, 2, 'aes128'), b'\0' * 16, 'aes')
        self._switch_after_response = new
        self.last_session = {'kenc': new.kenc, 'kmac': new.kmac}
        return tlv(0x7C, b''), SW_OK


def make_clone(card):
    """Replace the chip's private keys by fresh ones of the same kind: a copy of the
    files without the secrets a genuine chip keeps (what a cloned card is)."""
    if card.ca_key is not None:
        card.ca_key = ec.generate_private_key(card.ca_key.curve)
    if isinstance(card.aa_key, rsa.RSAPrivateKey):
        card.aa_key = rsa.generate_private_key(65537, card.aa_key.key_size)
    elif card.aa_key is not None:
        card.aa_key = ec.generate_private_key(card.aa_key.curve)
    return card


def make_chip(card, **kw):
    return Chip(card, **kw)


# ---------------------------------------------------------------------------
# vpcd transport

def _recv_exact(sock, n):
    buf = b''
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError('vpcd closed the connection')
        buf += chunk
    return buf


def serve(chip, host, port, reinsert_delay=None, connect_timeout=30.0, verbose=False):
    while True:
        deadline = time.time() + connect_timeout
        while True:
            try:
                sock = socket.create_connection((host, port))
                break
            except OSError:
                if time.time() > deadline:
                    print('vchip: cannot connect to vpcd at %s:%d' % (host, port), flush=True)
                    return 1
                time.sleep(0.2)
        print('vchip: connected to vpcd at %s:%d' % (host, port), flush=True)
        try:
            while True:
                (n,) = struct.unpack('>H', _recv_exact(sock, 2))
                msg = _recv_exact(sock, n)
                if n == 1:
                    code = msg[0]
                    if code == 0:
                        chip.power_off()
                    elif code in (1, 2):
                        chip.power_on()
                    elif code == 4:
                        sock.sendall(struct.pack('>H', len(ATR)) + ATR)
                    continue
                try:
                    resp = chip.process(msg)
                except Removed:
                    break
                sock.sendall(struct.pack('>H', len(resp)) + resp)
                if chip.removed:
                    break
        except ConnectionError as e:
            print('vchip: %s' % e, flush=True)
            sock.close()
            return 0
        sock.close()
        print('vchip: card removed after %d APDUs' % chip.apdu_count, flush=True)
        if reinsert_delay is None:
            return 0
        time.sleep(reinsert_delay)
        chip.removed = False
        chip.apdu_count = 0
        chip.power_on()


def main():
    ap = argparse.ArgumentParser(description='virtual CCCD chip over vpcd')
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument('--card', nargs=2, metavar=('MANIFEST', 'ID'),
                    default=[os.path.join(here, '..', 'vectors', 'cccd', 'cards.json'), 'cccd1'],
                    help='cards.json written by gen.py and a card id (default: cccd1)')
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=35963)
    ap.add_argument('--require-access-control', action='store_true',
                    help='refuse READ BINARY of the eMRTD files (6982) before BAC/PACE')
    ap.add_argument('--remove-after', type=int, metavar='N',
                    help='simulate removal: disconnect from vpcd after answering N APDUs')
    ap.add_argument('--reinsert-after', type=float, metavar='SECONDS',
                    help='with --remove-after: put the card back after this delay')
    ap.add_argument('--clone', action='store_true',
                    help='act as a clone: every file as on the card, but fresh chip keys '
                         '(Chip and Active Authentication then fail at the reader/server)')
    ap.add_argument('--verbose', '-v', action='store_true', help='log every APDU')
    a = ap.parse_args()
    card = CardData.from_manifest(a.card[0], a.card[1])
    if a.clone:
        make_clone(card)
    log = (lambda s: print(s, flush=True)) if a.verbose else None
    chip = make_chip(card, require_access_control=a.require_access_control,
                     remove_after=a.remove_after, log=log)
    try:
        return serve(chip, a.host, a.port, a.reinsert_after)
    except KeyboardInterrupt:
        return 0


if __name__ == '__main__':
    sys.exit(main())
