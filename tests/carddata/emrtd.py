#!/usr/bin/python3
"""Shared primitives for the project's CCCD test tooling (gen.py, vchip.py, test_vchip.py).

Written for this project from the public specifications only (ICAO Doc 9303 parts 3/10/11,
BSI TR-03110, TR-03111, RFC 5639, SEC 2, ISO/IEC 9797-1, ISO/IEC 7816-4):
  * a tiny DER/BER-TLV encoder and decoder,
  * MRZ check digits,
  * the ICAO key derivation function, 3DES retail MAC, AES-CMAC,
  * secure messaging (3DES and AES) usable from either side (chip or reader),
  * affine elliptic-curve arithmetic over prime fields (for PACE generic mapping,
    which needs points on a generator that no crypto library lets us choose).
Every primitive here is checked against the ICAO worked examples by test_vchip.py.
"""
import hashlib

from Cryptodome.Cipher import AES, DES, DES3
from Cryptodome.Hash import CMAC

# ---------------------------------------------------------------------------
# DER / BER-TLV


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([0x80 | len(b)]) + b


def tlv(tag, value):
    """tag: int (1..3 bytes, written big-endian as given) or bytes."""
    if isinstance(tag, int):
        tag = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, 'big')
    return tag + der_len(len(value)) + value


def der_int(v):
    if v == 0:
        return tlv(0x02, b'\x00')
    n = (v.bit_length() + 8) // 8          # room for a sign bit
    return tlv(0x02, v.to_bytes(n, 'big', signed=True))


def der_oid(dotted):
    parts = [int(x) for x in dotted.split('.')]
    out = bytearray()
    first = parts[0] * 40 + parts[1]
    for v in [first] + parts[2:]:
        chunk = [v & 0x7F]
        v >>= 7
        while v:
            chunk.append(0x80 | (v & 0x7F))
            v >>= 7
        out += bytes(reversed(chunk))
    return tlv(0x06, bytes(out))


def der_seq(*items):
    return tlv(0x30, b''.join(items))


def der_set(*items, sort=True):
    items = sorted(items) if sort else list(items)
    return tlv(0x31, b''.join(items))


def der_octet(b):
    return tlv(0x04, b)


def der_utf8(s):
    return tlv(0x0C, s.encode('utf-8'))


def der_printable(s):
    return tlv(0x13, s.encode('ascii'))


def der_null():
    return b'\x05\x00'


def der_bitstring(b, unused=0):
    return tlv(0x03, bytes([unused]) + b)


def der_utctime(dt):
    return tlv(0x17, dt.strftime('%y%m%d%H%M%SZ').encode())


def parse_tlv(data, off=0):
    """Parse one BER-TLV at data[off:]. Returns (tag:int, value:bytes, next_offset)."""
    t = data[off]
    tag = t
    off += 1
    if t & 0x1F == 0x1F:                   # multi-byte tag
        while True:
            b = data[off]
            off += 1
            tag = (tag << 8) | b
            if not b & 0x80:
                break
    ln = data[off]
    off += 1
    if ln & 0x80:
        n = ln & 0x7F
        if n == 0 or n > 3:
            raise ValueError('bad length')
        ln = int.from_bytes(data[off:off + n], 'big')
        off += n
    if off + ln > len(data):
        raise ValueError('TLV overruns buffer')
    return tag, data[off:off + ln], off + ln


def parse_all(data):
    """All TLVs in a buffer, as a list of (tag, value)."""
    out, off = [], 0
    while off < len(data):
        if data[off] in (0x00, 0xFF):      # padding between objects
            off += 1
            continue
        tag, val, off = parse_tlv(data, off)
        out.append((tag, val))
    return out


def oid_to_str(body):
    vals, v = [], 0
    for b in body:
        v = (v << 7) | (b & 0x7F)
        if not b & 0x80:
            vals.append(v)
            v = 0
    first = vals[0]
    a = min(first // 40, 2)
    return '.'.join(str(x) for x in [a, first - 40 * a] + vals[1:])


# ---------------------------------------------------------------------------
# MRZ (ICAO 9303 part 3)

def mrz_value(c):
    if c.isdigit():
        return int(c)
    if 'A' <= c <= 'Z':
        return ord(c) - 55
    if c == '<':
        return 0
    raise ValueError('bad MRZ character %r' % c)


def check_digit(s):
    w = (7, 3, 1)
    return str(sum(mrz_value(c) * w[i % 3] for i, c in enumerate(s)) % 10)


def mrz_information(doc_number, dob, doe):
    """The BAC / PACE-MRZ key seed input: number+cd, dob+cd, doe+cd.
    doc_number may be longer than 9 characters (then the full number is used)."""
    return (doc_number + check_digit(doc_number) + dob + check_digit(dob)
            + doe + check_digit(doe))


# ---------------------------------------------------------------------------
# Symmetric primitives

def pad(data, bs=8):
    data = data + b'\x80'
    return data + b'\x00' * (-len(data) % bs)


def unpad(data):
    i = data.rstrip(b'\x00')
    if not i or i[-1] != 0x80:
        raise ValueError('bad padding')
    return i[:-1]


def set_parity(key):
    out = bytearray()
    for b in key:
        b &= 0xFE
        out.append(b | (bin(b).count('1') % 2 == 0))
    return bytes(out)


def kdf(k, counter, alg='3des'):
    """ICAO 9303-11 §9.7.1: Keydata = H(K || c). alg: 3des | aes128 | aes192 | aes256."""
    c = counter.to_bytes(4, 'big')
    if alg == '3des':
        return set_parity(hashlib.sha1(k + c).digest()[:16])
    if alg == 'aes128':
        return hashlib.sha1(k + c).digest()[:16]
    if alg == 'aes192':
        return hashlib.sha256(k + c).digest()[:24]
    if alg == 'aes256':
        return hashlib.sha256(k + c).digest()[:32]
    raise ValueError(alg)


def des3_key24(k16):
    return k16[:16] + k16[:8]


def tdes_enc(key, data, iv=b'\0' * 8):
    return DES3.new(des3_key24(key), DES3.MODE_CBC, iv).encrypt(data)


def tdes_dec(key, data, iv=b'\0' * 8):
    return DES3.new(des3_key24(key), DES3.MODE_CBC, iv).decrypt(data)


def retail_mac(key, data):
    """ISO/IEC 9797-1 MAC algorithm 3, DES, data already padded (method 2)."""
    ka, kb = key[:8], key[8:16]
    h = DES.new(ka, DES.MODE_CBC, b'\0' * 8).encrypt(data)[-8:]
    h = DES.new(kb, DES.MODE_ECB).decrypt(h)
    return DES.new(ka, DES.MODE_ECB).encrypt(h)


def aes_enc(key, data, iv=b'\0' * 16):
    return AES.new(key, AES.MODE_CBC, iv).encrypt(data)


def aes_dec(key, data, iv=b'\0' * 16):
    return AES.new(key, AES.MODE_CBC, iv).decrypt(data)


def aes_cmac(key, data):
    return CMAC.new(key, msg=data, ciphermod=AES).digest()


# ---------------------------------------------------------------------------
# Secure messaging (ICAO 9303-11 §9.8), usable from both ends.

class SecureMessaging:
    def __init__(self, ks_enc, ks_mac, ssc, mode='3des'):
        self.kenc, self.kmac, self.mode = ks_enc, ks_mac, mode
        self.bs = 8 if mode == '3des' else 16
        self.ssc = int.from_bytes(ssc, 'big')

    def _ssc(self):
        return self.ssc.to_bytes(self.bs, 'big')

    def _inc(self):
        self.ssc = (self.ssc + 1) % (1 << (8 * self.bs))

    def mac(self, data):
        if self.mode == '3des':
            return retail_mac(self.kmac, pad(self._ssc() + data, 8))
        return aes_cmac(self.kmac, pad(self._ssc() + data, 16))[:8]

    def encrypt(self, data):
        if self.mode == '3des':
            return tdes_enc(self.kenc, pad(data, 8))
        iv = AES.new(self.kenc, AES.MODE_ECB).encrypt(self._ssc())
        return aes_enc(self.kenc, pad(data, 16), iv)

    def decrypt(self, data):
        if self.mode == '3des':
            return unpad(tdes_dec(self.kenc, data))
        iv = AES.new(self.kenc, AES.MODE_ECB).encrypt(self._ssc())
        return unpad(aes_dec(self.kenc, data, iv))

    # --- reader side -----------------------------------------------------
    def protect(self, cla, ins, p1, p2, data=b'', le=None, extended=False):
        """Returns the protected command APDU. le: None (absent), or 1..65536."""
        self._inc()
        cla = cla | 0x0C
        header = bytes([cla, ins, p1, p2])
        do87 = b''
        if data:
            if ins & 1:                        # odd INS: DO'85' (no padding indicator)
                do87 = tlv(0x85, self.encrypt(data))
            else:
                do87 = tlv(0x87, b'\x01' + self.encrypt(data))
        do97 = b''
        if le is not None:
            if extended or le > 256:
                do97 = tlv(0x97, (le % 65536).to_bytes(2, 'big'))
            else:
                do97 = tlv(0x97, bytes([le % 256]))
        m = pad(header, self.bs) + do87 + do97
        do8e = tlv(0x8E, self.mac(m))
        body = do87 + do97 + do8e
        if extended or len(body) > 255:
            return header + b'\x00' + len(body).to_bytes(2, 'big') + body + b'\x00\x00'
        return header + bytes([len(body)]) + body + b'\x00'

    def unprotect_response(self, resp):
        """Returns (data, sw) or raises ValueError on a MAC / format failure."""
        self._inc()
        body, sw = resp[:-2], resp[-2:]
        objs = parse_all(body)
        mac_input, data, sw_in, cc = b'', b'', None, None
        for tag, val in objs:
            if tag in (0x87, 0x85):
                mac_input += tlv(tag, val)
                data = self.decrypt(val[1:] if tag == 0x87 else val)
            elif tag == 0x99:
                mac_input += tlv(tag, val)
                sw_in = val
            elif tag == 0x8E:
                cc = val
        if cc is None:
            raise ValueError('no DO8E in response (SW %s)' % sw.hex())
        if self.mac(mac_input) != cc:
            raise ValueError('response MAC mismatch')
        return data, (sw_in if sw_in is not None else sw)

    # --- chip side -------------------------------------------------------
    def unprotect_command(self, apdu):
        """apdu: parsed dict (cla, ins, p1, p2, data, le). Returns (ins-level data, le or None).
        Raises SMError with the SW to answer."""
        self._inc()
        header = bytes([apdu['cla'], apdu['ins'], apdu['p1'], apdu['p2']])
        try:
            objs = parse_all(apdu['data'])
        except (ValueError, IndexError):
            raise SMError(0x6988)
        mac_input, enc, le, cc = b'', None, None, None
        for tag, val in objs:
            if tag in (0x87, 0x85):
                mac_input += tlv(tag, val)
                enc = (tag, val)
            elif tag == 0x97:
                mac_input += tlv(tag, val)
                le = int.from_bytes(val, 'big') if val else 0
                if le == 0:
                    le = 65536 if len(val) == 2 else 256
            elif tag == 0x8E:
                cc = val
            else:
                raise SMError(0x6988)
        if cc is None:
            raise SMError(0x6987)
        if self.mac(pad(header, self.bs) + mac_input) != cc:
            raise SMError(0x6988)
        data = b''
        if enc is not None:
            tag, val = enc
            try:
                if tag == 0x87:
                    if not val or val[0] != 0x01:
                        raise SMError(0x6988)
                    data = self.decrypt(val[1:])
                else:
                    data = self.decrypt(val)
            except ValueError:
                raise SMError(0x6988)
        return data, le

    def protect_response(self, data, sw, odd_ins=False):
        self._inc()
        do87 = b''
        if data:
            do87 = tlv(0x85, self.encrypt(data)) if odd_ins else tlv(0x87, b'\x01' + self.encrypt(data))
        do99 = tlv(0x99, sw.to_bytes(2, 'big'))
        do8e = tlv(0x8E, self.mac(do87 + do99))
        return do87 + do99 + do8e + sw.to_bytes(2, 'big')


class SMError(Exception):
    def __init__(self, sw):
        super().__init__('SM error %04X' % sw)
        self.sw = sw


# ---------------------------------------------------------------------------
# BAC (ICAO 9303-11 §9.7.2, Appendix D)

def bac_keys(mrz_info):
    kseed = hashlib.sha1(mrz_info.encode('ascii')).digest()[:16]
    return kdf(kseed, 1), kdf(kseed, 2)


# ---------------------------------------------------------------------------
# Elliptic curves over prime fields (affine coordinates, None = point at infinity)

class Curve:
    def __init__(self, name, p, a, b, gx, gy, n, h=1, oid=None, pace_id=None):
        self.name, self.p, self.a, self.b, self.n, self.h = name, p, a, b, n, h
        self.g = (gx, gy)
        self.oid, self.pace_id = oid, pace_id
        self.size = (p.bit_length() + 7) // 8

    def on_curve(self, P):
        if P is None:
            return True
        x, y = P
        return (y * y - (x * x * x + self.a * x + self.b)) % self.p == 0

    def add(self, P, Q):
        if P is None:
            return Q
        if Q is None:
            return P
        p = self.p
        if P[0] == Q[0]:
            if (P[1] + Q[1]) % p == 0:
                return None
            lam = (3 * P[0] * P[0] + self.a) * pow(2 * P[1], -1, p) % p
        else:
            lam = (Q[1] - P[1]) * pow(Q[0] - P[0], -1, p) % p
        x = (lam * lam - P[0] - Q[0]) % p
        return (x, (lam * (P[0] - x) - P[1]) % p)

    def mul(self, k, P):
        R = None
        for bit in bin(k % self.n)[2:]:
            R = self.add(R, R)
            if bit == '1':
                R = self.add(R, P)
        return R

    def encode(self, P):
        return b'\x04' + P[0].to_bytes(self.size, 'big') + P[1].to_bytes(self.size, 'big')

    def decode(self, b):
        if len(b) != 1 + 2 * self.size or b[0] != 4:
            raise ValueError('not an uncompressed point')
        P = (int.from_bytes(b[1:1 + self.size], 'big'), int.from_bytes(b[1 + self.size:], 'big'))
        if not (P[0] < self.p and P[1] < self.p and self.on_curve(P)):
            raise ValueError('point not on curve')
        return P

    def ecparameters_der(self):
        """Explicit ECParameters (RFC 3279 / TR-03111), version 1, prime field, uncompressed base."""
        fid = der_seq(der_oid('1.2.840.10045.1.1'), der_int(self.p))
        curve = der_seq(der_octet(self.a.to_bytes(self.size, 'big')),
                        der_octet(self.b.to_bytes(self.size, 'big')))
        return der_seq(der_int(1), fid, curve, der_octet(self.encode(self.g)),
                       der_int(self.n), der_int(self.h))


BRAINPOOLP256R1 = Curve(
    'brainpoolP256r1',
    0xA9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377,
    0x7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9,
    0x26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6,
    0x8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262,
    0x547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997,
    0xA9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7,
    oid='1.3.36.3.3.2.8.1.1.7', pace_id=13)

P256 = Curve(
    'secp256r1',
    0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF,
    0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC,
    0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
    0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
    0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
    0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    oid='1.2.840.10045.3.1.7', pace_id=12)

CURVES_BY_PACE_ID = {13: BRAINPOOLP256R1, 12: P256}

# ---------------------------------------------------------------------------
# Object identifiers used by the tooling

OID_BSI_DE = '0.4.0.127.0.7'
OID_PACE_ECDH_GM_AES128 = '0.4.0.127.0.7.2.2.4.2.2'
OID_CA_ECDH_AES128 = '0.4.0.127.0.7.2.2.3.2.2'
OID_CA_ECDH_3DES = '0.4.0.127.0.7.2.2.3.2.1'
OID_PK_ECDH = '0.4.0.127.0.7.2.2.1.2'
OID_TA = '0.4.0.127.0.7.2.2.2'
OID_AA_INFO = '2.23.136.1.1.5'
OID_ECDSA_PLAIN_SHA256 = '0.4.0.127.0.7.1.1.4.1.3'
OID_LDS_SO = '2.23.136.1.1.1'
OID_SIGNED_DATA = '1.2.840.113549.1.7.2'
OID_SHA256 = '2.16.840.1.101.3.4.2.1'
OID_SHA1 = '1.3.14.3.2.26'
OID_CONTENT_TYPE = '1.2.840.113549.1.9.3'
OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4'
OID_SIGNING_TIME = '1.2.840.113549.1.9.5'
OID_SHA256_RSA = '1.2.840.113549.1.1.11'
OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2'
OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1'

EMRTD_AID = bytes.fromhex('A0000002471001')


def pace_token(kmac, oid, point_enc, mode='aes'):
    """Authentication token over 7F49 { 06 OID, 86 point } (ICAO 9303-11 §4.4.3.4)."""
    body = tlv(0x7F49, der_oid(oid) + tlv(0x86, point_enc))
    if mode == 'aes':
        return aes_cmac(kmac, body)[:8]
    return retail_mac(kmac, pad(body, 8))


def pace_kpi(password_bytes):
    """K-pi for AES-128 from f(pi) (MRZ: SHA-1 of MRZ information; CAN: the digits as bytes)."""
    return kdf(password_bytes, 3, 'aes128')


def pace_password(kind, value):
    """kind 'mrz' (value = MRZ information) or 'can'. Returns f(pi) bytes."""
    if kind == 'mrz':
        return hashlib.sha1(value.encode('ascii')).digest()
    return value.encode('latin-1')
