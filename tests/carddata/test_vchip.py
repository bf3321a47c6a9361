#!/usr/bin/python3
"""Self-tests for the CCCD test tooling, without pcscd. Prints TAP.

Drives vchip.Chip in-process as a reader would (a minimal reader-side BAC, PACE,
secure messaging, AA and CA written here), and checks the shared primitives against
the ICAO 9303 Part 11 worked examples (/work/shared/testdata/icao/VECTORS.md), and the
generated vectors in tests/vectors/cccd against cards.json.
"""
import hashlib
import json
import os
import socket
import struct
import sys
import threading
import traceback

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import emrtd as E  # noqa: E402
import gen  # noqa: E402
import vchip  # noqa: E402

MANIFEST = os.path.normpath(os.path.join(HERE, '..', 'vectors', 'cccd', 'cards.json'))
H = bytes.fromhex

_results = []


def test(name):
    def deco(fn):
        _results.append((name, fn))
        return fn
    return deco


def eq(got, want, what=''):
    if got != want:
        g = got.hex().upper() if isinstance(got, (bytes, bytearray)) else got
        w = want.hex().upper() if isinstance(want, (bytes, bytearray)) else want
        raise AssertionError('%s: got %s, want %s' % (what, g, w))


class Queue:
    """Deterministic 'random' source for the chip: hands out queued values, then os.urandom."""

    def __init__(self, *vals):
        self.vals = list(vals)

    def __call__(self, n):
        if self.vals:
            v = self.vals.pop(0)
            assert len(v) == n, (len(v), n)
            return v
        return os.urandom(n)


# ---------------------------------------------------------------------------
# A minimal reader


class Reader:
    def __init__(self, chip):
        self.chip = chip
        self.sm = None

    def raw(self, apdu):
        r = self.chip.process(apdu)
        return r[:-2], int.from_bytes(r[-2:], 'big')

    def cmd(self, cla, ins, p1, p2, data=b'', le=None, extended=False):
        if self.sm is not None:
            papdu = self.sm.protect(cla, ins, p1, p2, data, le, extended)
            resp = self.chip.process(papdu)
            if len(resp) == 2:                       # plain SW: SM error, session over
                self.sm = None
                return b'', int.from_bytes(resp, 'big')
            data_, sw = self.sm.unprotect_response(resp)
            return data_, int.from_bytes(sw, 'big')
        apdu = bytes([cla, ins, p1, p2])
        if data:
            apdu += bytes([len(data)]) + data
        if le is not None:
            apdu += bytes([le % 256])
        return self.raw(apdu)

    def select_app(self):
        return self.cmd(0x00, 0xA4, 0x04, 0x0C, E.EMRTD_AID)[1]

    def select_ef(self, fid):
        return self.cmd(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, 'big'))[1]

    def read_file(self, fid, chunk=0xDF):
        sw = self.select_ef(fid)
        if sw != 0x9000:
            raise AssertionError('SELECT %04X -> %04X' % (fid, sw))
        head, sw = self.cmd(0x00, 0xB0, 0, 0, le=4)
        if sw != 0x9000:
            raise AssertionError('READ BINARY -> %04X' % sw)
        ln = head[1]
        if ln & 0x80:
            n = ln & 0x7F
            total = 2 + n + int.from_bytes(head[2:2 + n], 'big')
        else:
            total = 2 + ln
        data = head
        while len(data) < total:
            want = min(chunk, total - len(data))
            part, sw = self.cmd(0x00, 0xB0, len(data) >> 8, len(data) & 0xFF, le=want)
            if sw != 0x9000 or not part:
                raise AssertionError('READ BINARY at %d -> %04X' % (len(data), sw))
            data += part
        return data

    def bac(self, mrz_info, rnd_ifd=None, k_ifd=None):
        kenc, kmac = E.bac_keys(mrz_info)
        rnd_ic, sw = self.cmd(0x00, 0x84, 0, 0, le=8)
        if sw != 0x9000:
            return sw
        rnd_ifd = rnd_ifd or os.urandom(8)
        k_ifd = k_ifd or os.urandom(16)
        e = E.tdes_enc(kenc, rnd_ifd + rnd_ic + k_ifd)
        resp, sw = self.cmd(0x00, 0x82, 0, 0, e + E.retail_mac(kmac, E.pad(e)), le=40)
        if sw != 0x9000:
            return sw
        if E.retail_mac(kmac, E.pad(resp[:32])) != resp[32:]:
            raise AssertionError('chip MAC wrong')
        r = E.tdes_dec(kenc, resp[:32])
        if r[:8] != rnd_ic or r[8:16] != rnd_ifd:
            raise AssertionError('chip nonces wrong')
        seed = bytes(a ^ b for a, b in zip(k_ifd, r[16:]))
        self.sm = E.SecureMessaging(E.kdf(seed, 1), E.kdf(seed, 2), rnd_ic[4:] + rnd_ifd[4:])
        return 0x9000

    def pace(self, kind, secret, curve=E.BRAINPOOLP256R1):
        """kind 'mrz' (secret = MRZ information) or 'can'. Returns the SW of the failing step or 9000."""
        oid = E.OID_PACE_ECDH_GM_AES128
        ref = b'\x01' if kind == 'mrz' else b'\x02'
        _, sw = self.cmd(0x00, 0x22, 0xC1, 0xA4, E.tlv(0x80, E.der_oid(oid)[2:])
                         + E.tlv(0x83, ref) + E.tlv(0x84, bytes([curve.pace_id])))
        if sw != 0x9000:
            return sw
        kpi = E.pace_kpi(E.pace_password(kind, secret))
        r, sw = self.cmd(0x10, 0x86, 0, 0, E.tlv(0x7C, b''), le=256)
        if sw != 0x9000:
            return sw
        z = dict(E.parse_all(E.parse_tlv(r)[1]))[0x80]
        s = int.from_bytes(E.aes_dec(kpi, z), 'big')
        C = curve
        tm = int.from_bytes(os.urandom(40), 'big') % (C.n - 1) + 1
        r, sw = self.cmd(0x10, 0x86, 0, 0, E.tlv(0x7C, E.tlv(0x81, C.encode(C.mul(tm, C.g)))), le=256)
        if sw != 0x9000:
            return sw
        pk_map_ic = C.decode(dict(E.parse_all(E.parse_tlv(r)[1]))[0x82])
        g2 = C.add(C.mul(s, C.g), C.mul(tm, pk_map_ic))
        te = int.from_bytes(os.urandom(40), 'big') % (C.n - 1) + 1
        pk_t = C.encode(C.mul(te, g2))
        r, sw = self.cmd(0x10, 0x86, 0, 0, E.tlv(0x7C, E.tlv(0x83, pk_t)), le=256)
        if sw != 0x9000:
            return sw
        pk_ic = dict(E.parse_all(E.parse_tlv(r)[1]))[0x84]
        k = C.mul(te, C.decode(pk_ic))[0].to_bytes(C.size, 'big')
        kenc, kmac = E.kdf(k, 1, 'aes128'), E.kdf(k, 2, 'aes128')
        r, sw = self.cmd(0x00, 0x86, 0, 0, E.tlv(0x7C, E.tlv(0x85, E.pace_token(kmac, oid, pk_ic))),
                         le=256)
        if sw != 0x9000:
            return sw
        t_ic = dict(E.parse_all(E.parse_tlv(r)[1]))[0x86]
        if t_ic != E.pace_token(kmac, oid, pk_t):
            raise AssertionError('chip token T_IC wrong')
        self.sm = E.SecureMessaging(kenc, kmac, b'\0' * 16, 'aes')
        return 0x9000

    def chip_auth(self, ca_pub_point):
        C = E.BRAINPOOLP256R1
        _, sw = self.cmd(0x00, 0x22, 0x41, 0xA4, E.tlv(0x80, E.der_oid(E.OID_CA_ECDH_AES128)[2:]))
        if sw != 0x9000:
            return sw
        d = int.from_bytes(os.urandom(40), 'big') % (C.n - 1) + 1
        r, sw = self.cmd(0x00, 0x86, 0, 0, E.tlv(0x7C, E.tlv(0x80, C.encode(C.mul(d, C.g)))), le=256)
        if sw != 0x9000:
            return sw
        k = C.mul(d, C.decode(ca_pub_point))[0].to_bytes(C.size, 'big')
        self.sm = E.SecureMessaging(E.kdf(k, 1, 'aes128'), E.kdf(k, 2, 'aes128'), b'\0' * 16, 'aes')
        return 0x9000


def aa_verify_rsa(pub, challenge, sig):
    """ISO/IEC 9796-2 scheme 1 verification. Returns (M1, H, hash name)."""
    n, e = pub.public_numbers().n, pub.public_numbers().e
    f = pow(int.from_bytes(sig, 'big'), e, n)
    if f & 0xF != 0xC:
        f = n - f
    fb = f.to_bytes((n.bit_length() + 7) // 8, 'big')
    if fb[0] != 0x6A:
        raise AssertionError('AA header %02X' % fb[0])
    if fb[-1] == 0xBC:
        hfn, tl = hashlib.sha1, 1
    elif fb[-2:] == b'\x34\xCC':
        hfn, tl = hashlib.sha256, 2
    else:
        raise AssertionError('AA trailer %s' % fb[-2:].hex())
    hl = hfn().digest_size
    m1, h = fb[1:-hl - tl], fb[-hl - tl:-tl]
    if hfn(m1 + challenge).digest() != h:
        raise AssertionError('AA hash mismatch')
    return m1, h, hfn().name


def aa_verify(dg15, challenge, sig):
    pub = serialization.load_der_public_key(E.parse_tlv(dg15)[1])
    if isinstance(pub, rsa.RSAPublicKey):
        return aa_verify_rsa(pub, challenge, sig)[2]
    n = len(sig) // 2
    der = encode_dss_signature(int.from_bytes(sig[:n], 'big'), int.from_bytes(sig[n:], 'big'))
    pub.verify(der, challenge, ec.ECDSA(hashes.SHA256()))      # raises InvalidSignature
    return 'ecdsa-sha256'


def load_manifest():
    with open(MANIFEST, encoding='utf-8') as f:
        return json.load(f)


def card_files(card):
    base = os.path.join(os.path.dirname(MANIFEST), card['dir'])
    out = {}
    for name, e in card['files'].items():
        with open(os.path.join(base, e['path']), 'rb') as f:
            out[name] = (int(e['fid'], 16), f.read())
    return out


def chip_for(card_id, **kw):
    return vchip.make_chip(vchip.CardData.from_manifest(MANIFEST, card_id), **kw)


# ---------------------------------------------------------------------------
# ICAO worked examples

@test('check digits (9303-3 appendix A)')
def _():
    for s, c in (('520727', '3'), ('AB2134<<<', '5'), ('L898902C<', '3'), ('690806', '1'),
                 ('940623', '6'), ('D23145890734', '9')):
        eq(E.check_digit(s), c, s)
    l2 = 'HA672242<6YTO5802254M9601086<<<<<<<<<<<<<<0'
    eq(E.check_digit(l2[0:10] + l2[13:20] + l2[21:43]), '8', 'TD3 composite')


@test('TD1 CCCD MRZ and DG1 builder (VECTORS 3.3 synthetic vector)')
def _():
    c = {'id_number': '001099012345', 'dob': (1999, 5, 12), 'expiry': (2039, 5, 12), 'sex': 'M',
         'mrz_surname': 'NGUYEN', 'mrz_given': 'VAN A'}
    lines, docno, _ = gen.td1_mrz(c)
    eq(lines, ['IDVNM0990123459001099012345<<0', '9905120M3905128VNM<<<<<<<<<<<2',
               'NGUYEN<<VAN<A<<<<<<<<<<<<<<<<<'], 'lines')
    mi = E.mrz_information(docno, '990512', '390512')
    eq(mi, '099012345999051203905128', 'MRZ information')
    ke, km = E.bac_keys(mi)
    eq(ke, H('02FB40F497C7F8347F45F42580EF5152'), 'KEnc')
    eq(km, H('94944C4AF89231014AADB5430245DF08'), 'KMAC')
    eq(E.pace_kpi(E.pace_password('mrz', mi)), H('4094ED82F561AD67DF0027DB168C33F5'), 'Kpi MRZ')
    eq(E.pace_kpi(E.pace_password('can', '012345')), H('5E5CD537047973C8F8BFDEA168324EC0'), 'Kpi CAN')
    eq(gen.dg1_bytes(lines), H(
        '615D5F1F5A4944564E4D303939303132333435393030313039393031323334353C3C3039393035313230'
        '4D33393035313238564E4D3C3C3C3C3C3C3C3C3C3C3C324E475559454E3C3C56414E3C413C3C3C3C3C3C'
        '3C3C3C3C3C3C3C3C3C3C3C'), 'DG1')


@test('BAC key derivation KEnc/KMAC from MRZ information (9303-11 D.2)')
def _():
    mi = E.mrz_information('L898902C<', '690806', '940623')
    eq(mi, 'L898902C<369080619406236', 'MRZ information')
    eq(hashlib.sha1(mi.encode()).digest(), H('239AB9CB282DAF66231DC5A4DF6BFBAEDF477565'), 'SHA-1')
    ke, km = E.bac_keys(mi)
    eq(ke, H('AB94FDECF2674FDFB9B391F85D7F76F2'), 'KEnc')
    eq(km, H('7962D9ECE03D1ACD4C76089DCE131543'), 'KMAC')


ICAO_EF_COM = H('60145F0104303130365F36063034303030305C026175')


def icao_example_chip():
    card = vchip.CardData({0x011E: ICAO_EF_COM}, 'L898902C<369080619406236')
    return vchip.make_chip(card, rng=Queue(H('4608F91988702212'),
                                           H('0B4F80323EB3191CB04970CB4052790B')))


@test('chip MUTUAL AUTHENTICATE reproduces 9303-11 D.3 (response, KSEnc, KSMAC, SSC)')
def _():
    chip = icao_example_chip()
    rd = Reader(chip)
    rnd_ic, sw = rd.cmd(0x00, 0x84, 0, 0, le=8)
    eq(rnd_ic, H('4608F91988702212'), 'RND.IC')
    ke, km = E.bac_keys('L898902C<369080619406236')
    s = H('781723860C06C2264608F919887022120B795240CB7049B01C19B33E32804F0B')
    eifd = E.tdes_enc(ke, s)
    eq(eifd, H('72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2'), 'EIFD')
    eq(E.retail_mac(km, E.pad(eifd)), H('5F1448EEA8AD90A7'), 'MIFD')
    resp, sw = rd.cmd(0x00, 0x82, 0, 0, eifd + H('5F1448EEA8AD90A7'), le=40)
    eq(sw, 0x9000, 'SW')
    eq(resp, H('46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449'),
       'response')
    eq(chip.last_session['seed'], H('0036D272F5C350ACAC50C3F572D23600'), 'seed')
    eq(chip.sm.kenc, H('979EC13B1CBFE9DCD01AB0FED307EAE5'), 'KSEnc')
    eq(chip.sm.kmac, H('F1CB1F1FB5ADF208806B89DC579DC1F8'), 'KSMAC')
    eq(chip.sm.ssc, 0x887022120C06C226, 'SSC')


@test('secure messaging: protected SELECT / READ BINARY exactly as 9303-11 D.4, both sides')
def _():
    chip = icao_example_chip()
    rd = Reader(chip)
    rd.cmd(0x00, 0xA4, 0x04, 0x0C, E.EMRTD_AID)
    eq(rd.bac('L898902C<369080619406236', H('781723860C06C226'),
              H('0B795240CB7049B01C19B33E32804F0B')), 0x9000, 'BAC')
    steps = [
        ((0x00, 0xA4, 0x02, 0x0C, H('011E'), None),
         '0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800',
         '990290008E08FA855A5D4C50A8ED9000', b''),
        ((0x00, 0xB0, 0, 0, b'', 4), '0CB000000D9701048E08ED6705417E96BA5500',
         '8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000', H('60145F01')),
        ((0x00, 0xB0, 0, 4, b'', 0x12), '0CB000040D9701128E082EA28A70F3C7B53500',
         '871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000',
         H('04303130365F36063034303030305C026175')),
    ]
    for (cla, ins, p1, p2, data, le), want_cmd, want_resp, plain in steps:
        papdu = rd.sm.protect(cla, ins, p1, p2, data, le)
        eq(papdu, H(want_cmd), 'protected command %02X' % ins)
        resp = chip.process(papdu)
        eq(resp, H(want_resp), 'protected response %02X' % ins)
        got, sw = rd.sm.unprotect_response(resp)
        eq((got, sw), (plain, b'\x90\x00'), 'unprotected')


@test('AES secure messaging matches the gmrtd real-session vector (MSE:Set AT)')
def _():
    want = H('0c2241a41d871101980953d37f67558690045d78a853b18a8e08929767a2cef172e200')
    for ssc in (0xB9, 0xBA):
        sm = E.SecureMessaging(H('cc86415f2ed7e8fd663b754265695ae1'),
                               H('581e84b8ee06c4d3eee30461498d7fb3'), ssc.to_bytes(16, 'big'), 'aes')
        if sm.protect(0x00, 0x22, 0x41, 0xA4, H('800a04007f000702020302028401c3')) == want:
            return
    raise AssertionError('no SSC near ...BA reproduces the vector')


@test('AA verifier accepts the real-chip ISO 9796-2 vector (VECTORS 1.4)')
def _():
    dg15 = H('6F81A230819F300D06092A864886F70D010101050003818D0030818902818100BD8620D45693E1CD867863'
             '9F22E9553F09E3AFD87BD26000113CE2798B7A02A2E0AB6B7525D09072109D938D6708167E8FAFAF83F17B'
             'FBA36CECCE26058C7ED9AE29516755B19F78CE0E73DA02340B117B8AB2ECA007F1390E93E896016335EB5C'
             '1E330B961C03E253D17874F7ABEE8D4962C49FFE578D46954FF23B26F5E5550203010001')
    sig = H('8AECE4E0AB1A6B9E06B31ACBA51AE316D0B7B48E2F5FE13E575060F6B9DC27A2F9D03DCF67A141F466EEC7'
            '53879106BE0992F46F5EAAD075EB1886D2ACE90D60C2EDA69880780CE4FA36EF27AB01C47527BD23B178EC'
            '8F213307281572C219487FC11B2C3D9C144DC98D96D1A79A7478449D692D3D14E8C044F81B3ADF0047E0')
    pub = serialization.load_der_public_key(E.parse_tlv(dg15)[1])
    m1, h, _ = aa_verify_rsa(pub, H('47E4EE7F211F7326'), sig)
    eq(h, H('911a07c9e992864f1d84e63c3557ed1d03474a81'), 'H')
    eq(m1[:8], H('60735d54c4fc7759'), 'M1 start')


G1 = {
    'kpi': '89DED1B26624EC1E634C1989302849DD', 'z': '95A3A016522EE98D01E76CB6B98B42C3',
    's': '3F00C4D39D153F2B2A214A078D899B22',
    't_map': '7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99',
    't_map_pub': '047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E'
                 '544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D',
    'c_map_priv': '498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560',
    'c_map_pub': '04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57'
                 '30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54',
    'H': '0460332EF2450B5D247EF6D3868397D398852ED6E8CAF6FFEEF6BF85CA57057FD5'
         '0840CA7415BAF3E43BD414D35AA4608B93A2CAF3A4E3EA4E82C9C13D03EB7181',
    'G2': '048CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E2'
          '8C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522',
    't_eph': 'A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595',
    't_eph_pub': '042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C'
                 '3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462',
    'c_eph_pub': '049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB'
                 '7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094',
    'K': '28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925',
    'kenc': 'F5F0E35C0D7161EE6724EE513A0D9A7F', 'kmac': 'FE251C7858B356B24514B3BD5F4297D1',
    't_ifd': 'C2B0BD78D94BA866', 't_ic': '3ABB9674BCE93C08',
}
G1_MRZ = E.mrz_information('T22000129', '640812', '101031')


@test('PACE ECDH-GM brainpoolP256r1, terminal side, 9303-11 G.1 (Kpi, s, H, G\', K, keys, tokens)')
def _():
    C = E.BRAINPOOLP256R1
    v = {k: H(x) for k, x in G1.items()}
    eq(hashlib.sha1(G1_MRZ.encode()).digest(), H('7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD'), 'pi')
    kpi = E.pace_kpi(E.pace_password('mrz', G1_MRZ))
    eq(kpi, v['kpi'], 'Kpi')
    eq(E.aes_dec(kpi, v['z']), v['s'], 's')
    tm = int.from_bytes(v['t_map'], 'big')
    eq(C.encode(C.mul(tm, C.g)), v['t_map_pub'], 'terminal mapping public')
    h = C.mul(tm, C.decode(v['c_map_pub']))
    eq(C.encode(h), v['H'], 'H')
    g2 = C.add(C.mul(int.from_bytes(v['s'], 'big'), C.g), h)
    eq(C.encode(g2), v['G2'], "G'")
    te = int.from_bytes(v['t_eph'], 'big')
    eq(C.encode(C.mul(te, g2)), v['t_eph_pub'], 'terminal ephemeral public')
    k = C.mul(te, C.decode(v['c_eph_pub']))[0].to_bytes(32, 'big')
    eq(k, v['K'], 'K')
    eq(E.kdf(k, 1, 'aes128'), v['kenc'], 'KSEnc')
    eq(E.kdf(k, 2, 'aes128'), v['kmac'], 'KSMAC')
    eq(E.pace_token(v['kmac'], E.OID_PACE_ECDH_GM_AES128, v['c_eph_pub']), v['t_ifd'], 'T_IFD')
    eq(E.pace_token(v['kmac'], E.OID_PACE_ECDH_GM_AES128, v['t_eph_pub']), v['t_ic'], 'T_IC')


@test('PACE chip side reproduces G.1 GA1/GA2 exactly, then completes with the reader')
def _():
    v = {k: H(x) for k, x in G1.items()}
    card = vchip.CardData({0x011E: ICAO_EF_COM}, G1_MRZ,
                          mf_files={0x011C: H('31143012060A04007F0007020204020202010202010D')})
    chip = vchip.make_chip(card, rng=Queue(v['s'], v['c_map_priv']), require_access_control=True)
    rd = Reader(chip)
    _, sw = rd.raw(H('0022C1A412800A04007F00070202040202830101') + H('84010D'))
    eq(sw, 0x9000, 'MSE:Set AT')
    r, sw = rd.raw(H('10860000027C0000'))
    eq(r, H('7C1280') + bytes([16]) + v['z'], 'GA1 encrypted nonce')
    r, sw = rd.raw(H('1086000045') + E.tlv(0x7C, E.tlv(0x81, v['t_map_pub'])) + b'\x00')
    eq(r, E.tlv(0x7C, E.tlv(0x82, v['c_map_pub'])), 'GA2 chip mapping key')
    C = E.BRAINPOOLP256R1
    g2 = C.decode(v['G2'])
    r, sw = rd.raw(H('1086000045') + E.tlv(0x7C, E.tlv(0x83, v['t_eph_pub'])) + b'\x00')
    eq(sw, 0x9000, 'GA3')
    pk_ic = dict(E.parse_all(E.parse_tlv(r)[1]))[0x84]
    te = int.from_bytes(v['t_eph'], 'big')
    assert C.on_curve(C.decode(pk_ic)) and C.decode(pk_ic) != C.mul(te, g2)
    k = C.mul(te, C.decode(pk_ic))[0].to_bytes(32, 'big')
    kmac = E.kdf(k, 2, 'aes128')
    r, sw = rd.raw(H('008600000C7C0A8508') + E.pace_token(kmac, E.OID_PACE_ECDH_GM_AES128, pk_ic) + b'\x00')
    eq(sw, 0x9000, 'GA4')
    eq(r, E.tlv(0x7C, E.tlv(0x86, E.pace_token(kmac, E.OID_PACE_ECDH_GM_AES128, v['t_eph_pub']))), 'T_IC')
    rd.sm = E.SecureMessaging(E.kdf(k, 1, 'aes128'), kmac, b'\0' * 16, 'aes')
    rd.select_app()
    eq(rd.read_file(0x011E), ICAO_EF_COM, 'EF.COM over AES SM')


@test('EF.CardAccess equals the CCCD constant (VECTORS 3.2)')
def _():
    eq(gen.card_access_bytes(), H('3134300D060804007F0007020202020101300F060A04007F000702020302020201'
                                  '013012060A04007F0007020204020202010202010D'), 'CardAccess')


# ---------------------------------------------------------------------------
# Generated vectors

@test('generated vectors: manifest hashes, MRZ check digits, SOD DG hashes')
def _():
    m = load_manifest()
    eq(len(m['cards']), 9, 'card count')
    for card in m['cards']:
        files = card['files']
        data = {n: d for n, (_, d) in card_files(card).items()}
        for n, e in files.items():
            eq(hashlib.sha256(data[n]).hexdigest(), e['sha256'], card['id'] + ' ' + n)
        l1, l2, l3 = card['mrz']['lines']
        eq(E.check_digit(l1[5:14]), l1[14], 'doc number cd')
        eq(E.check_digit(l2[0:6]), l2[6], 'dob cd')
        eq(E.check_digit(l2[8:14]), l2[14], 'doe cd')
        eq(E.check_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]), l2[29], 'composite')
        eq(data['DG1'][5:], (l1 + l2 + l3).encode(), card['id'] + ' DG1 MRZ')
        idn = card['citizen']['id_number']
        eq(l1[5:14], idn[-9:], 'doc number = last 9 digits of ID')
        g = int(idn[3])
        y = int(card['citizen']['date_of_birth'][:4])
        eq((g // 2, g % 2), ((y - 1900) // 100, 0 if card['citizen']['sex'] == 'M' else 1), 'gender digit')
        eq(idn[4:6], card['citizen']['date_of_birth'][2:4], 'birth year digits')
        # hashes in the SOD
        sod = data['EF.SOD']
        for n, hx in card['sod']['dg_hashes'].items():
            if H(hx) not in sod:
                raise AssertionError('%s: DG%s hash not in SOD' % (card['id'], n))
            matches = hashlib.sha256(data['DG' + n]).hexdigest() == hx
            bad = int(n) in card['expected'].get('mismatched_dgs', [])
            eq(matches, not bad, '%s DG%s hash matches' % (card['id'], n))


@test('generated DG13 parses back to the manifest fields (UTF-8)')
def _():
    for card in load_manifest()['cards']:
        dg13 = card_files(card)['DG13'][1]
        _, body, _ = E.parse_tlv(dg13)
        (t1, ver), (t2, oid), (t3, fields) = E.parse_all(E.parse_tlv(body)[1])
        eq((t1, t2, t3, ver, E.oid_to_str(oid)), (2, 6, 0x31, b'\x01', '1.0.10646.1.0.8'), 'header')
        got = {}
        for _, f in E.parse_all(fields):
            (_, num), (tag, val) = E.parse_all(f)
            got[str(num[0])] = ([x.decode() for _, x in E.parse_all(val)] if tag == 0x30
                                else val.decode('utf-8'))
        eq(got, card['dg13']['fields'], card['id'] + ' DG13')


@test('BAC + 3DES SM: every file of every card reads back identical')
def _():
    for card in load_manifest()['cards']:
        chip = chip_for(card['id'], require_access_control=True)
        rd = Reader(chip)
        eq(rd.select_app(), 0x9000, 'select app')
        eq(rd.bac(card['access']['mrz_information']), 0x9000, card['id'] + ' BAC')
        for name, (fid, data) in card_files(card).items():
            eq(rd.read_file(fid), data, '%s %s' % (card['id'], name))


@test('READ BINARY with short EF identifier and extended Le under SM')
def _():
    card = load_manifest()['cards'][0]
    files = card_files(card)
    rd = Reader(chip_for('cccd1', require_access_control=True))
    rd.select_app()
    rd.bac(card['access']['mrz_information'])
    r, sw = rd.cmd(0x00, 0xB0, 0x80 | 1, 0, le=4)               # SFI 1 = DG1
    eq((r, sw), (files['DG1'][1][:4], 0x9000), 'SFI read')
    dg2 = files['DG2'][1]
    rd.select_ef(0x0102)
    r, sw = rd.cmd(0x00, 0xB0, 0, 0, le=len(dg2), extended=True)
    eq((r, sw), (dg2, 0x9000), 'extended read')


@test('AA: RSA ISO 9796-2 SHA-1 (cccd1), ECDSA P-256 plain (cccd2), RSA SHA-256 34CC (cccd3)')
def _():
    want = {'cccd1': 'sha1', 'cccd2': 'ecdsa-sha256', 'cccd3': 'sha256'}
    for card in load_manifest()['cards'][:3]:
        rd = Reader(chip_for(card['id'], require_access_control=True))
        rd.select_app()
        rd.bac(card['access']['mrz_information'])
        dg15 = rd.read_file(0x010F)
        ch = os.urandom(8)
        sig, sw = rd.cmd(0x00, 0x88, 0, 0, ch, le=256)
        eq(sw, 0x9000, 'INTERNAL AUTHENTICATE')
        eq(aa_verify(dg15, ch, sig), want[card['id']], card['id'] + ' AA')
        try:
            aa_verify(dg15, os.urandom(8), sig)
        except (AssertionError, InvalidSignature):
            pass
        else:
            raise AssertionError('AA signature verified for another challenge')


@test('PACE with CAN (cccd1) and with MRZ (cccd2), then AES SM reads DG1 and DG13')
def _():
    m = load_manifest()
    for card, kind, secret in ((m['cards'][0], 'can', m['cards'][0]['access']['can']),
                               (m['cards'][1], 'mrz', m['cards'][1]['access']['mrz_information'])):
        rd = Reader(chip_for(card['id'], require_access_control=True))
        ca, sw = rd.raw(H('00A4020C02011C'))
        eq(sw, 0x9000, 'select EF.CardAccess in the MF')
        files = card_files(card)
        ca, sw = rd.cmd(0x00, 0xB0, 0, 0, le=0x40)
        eq(ca, files['EF.CardAccess'][1], 'EF.CardAccess plain')
        eq(rd.pace(kind, secret), 0x9000, card['id'] + ' PACE ' + kind)
        eq(rd.select_app(), 0x9000, 'select app under SM')
        for n in ('DG1', 'DG13'):
            eq(rd.read_file(files[n][0]), files[n][1], card['id'] + ' ' + n)


@test('access denied: wrong MRZ -> 6300, wrong CAN -> 6300, plain read before AC -> 6982')
def _():
    card = load_manifest()['cards'][0]
    rd = Reader(chip_for('cccd1', require_access_control=True))
    eq(rd.select_app(), 0x9000, 'plain SELECT app')
    eq(rd.select_ef(0x0101), 0x9000, 'plain SELECT DG1')
    eq(rd.cmd(0x00, 0xB0, 0, 0, le=4)[1], 0x6982, 'plain READ BINARY')
    bad = E.mrz_information('090012346', '900315', '300315')
    eq(rd.bac(bad), 0x6300, 'BAC wrong MRZ')
    eq(rd.pace('can', '999999'), 0x6300, 'PACE wrong CAN')
    eq(rd.pace('mrz', bad), 0x6300, 'PACE wrong MRZ')
    eq(rd.sm, None, 'no session')
    eq(rd.bac(card['access']['mrz_information']), 0x9000, 'BAC still works after failures')
    eq(rd.select_app(), 0x9000, 'SM select')


@test('SM: bad MAC -> 6988 and session dropped; plain APDU aborts SM; missing DG -> 6A82')
def _():
    card = load_manifest()['cards'][0]
    chip = chip_for('cccd1', require_access_control=True)
    rd = Reader(chip)
    rd.select_app()
    rd.bac(card['access']['mrz_information'])
    eq(rd.cmd(0x00, 0xA4, 0x02, 0x0C, H('010B'))[1], 0x6A82, 'DG11 absent (protected SW)')
    eq(rd.cmd(0x00, 0xA4, 0x02, 0x0C, H('0103'))[1], 0x6982, 'DG3 EAC-protected')
    papdu = bytearray(rd.sm.protect(0x00, 0xB0, 0, 0, b'', 4))
    papdu[-3] ^= 1
    eq(chip.process(bytes(papdu)), H('6988'), 'tampered MAC')
    eq(chip.sm, None, 'session dropped')
    rd.sm = None
    rd.bac(card['access']['mrz_information'])
    rd.select_ef(0x0101)
    eq(rd.raw(H('00B0000004'))[1], 0x6982, 'plain READ after SM')
    eq(chip.sm, None, 'plain APDU aborted SM')


@test('Chip Authentication (DG14 key, AES-128): new SM keys, SSC 0, reading continues')
def _():
    card = load_manifest()['cards'][0]
    files = card_files(card)
    chip = chip_for('cccd1', require_access_control=True)
    rd = Reader(chip)
    rd.select_app()
    rd.bac(card['access']['mrz_information'])
    dg14 = rd.read_file(0x010E)
    # find ChipAuthenticationPublicKeyInfo -> SPKI -> BIT STRING point
    pub = None
    for _, info in E.parse_all(E.parse_tlv(E.parse_tlv(dg14)[1])[1]):
        parts = E.parse_all(info)
        if E.oid_to_str(parts[0][1]) == E.OID_PK_ECDH:
            pub = E.parse_all(parts[1][1])[1][1][1:]
    eq(pub, H(card['dg14']['ca_public_key']), 'DG14 CA public key')
    old = rd.sm
    eq(rd.chip_auth(pub), 0x9000, 'CA')
    assert rd.sm is not old and chip.sm.mode == 'aes'
    eq(rd.read_file(0x0101), files['DG1'][1], 'DG1 after CA')


@test('--remove-after: the card disappears after N APDUs')
def _():
    chip = chip_for('cccd1', remove_after=3)
    rd = Reader(chip)
    for _ in range(3):
        rd.select_app()
    try:
        rd.select_app()
    except vchip.Removed:
        return
    raise AssertionError('4th APDU was answered')


@test('vpcd transport: ATR, power on, SELECT over TCP')
def _():
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    chip = chip_for('cccd1', require_access_control=True)
    t = threading.Thread(target=vchip.serve, args=(chip, '127.0.0.1', port), daemon=True)
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        t.start()
        conn, _ = srv.accept()
        conn.settimeout(10)

        def send(b):
            conn.sendall(struct.pack('>H', len(b)) + b)

        def recv():
            n = struct.unpack('>H', conn.recv(2))[0]
            d = b''
            while len(d) < n:
                d += conn.recv(n - len(d))
            return d
        send(b'\x01')
        send(b'\x04')
        atr = recv()
        eq(atr, vchip.ATR, 'ATR')
        x = 0
        for b in atr[1:]:
            x ^= b
        eq(x, 0, 'TCK')
        send(H('00A4040C07A0000002471001'))
        eq(recv(), H('9000'), 'SELECT')
        send(H('00A4020C020101'))
        eq(recv(), H('9000'), 'SELECT DG1')
        send(H('00B0000004'))
        eq(recv(), H('6982'), 'READ BINARY refused')
        conn.close()
        t.join(5)
    srv.close()
    assert not t.is_alive()


def main():
    n = 0
    failed = 0
    for name, fn in _results:
        n += 1
        try:
            fn()
            print('ok %d - %s' % (n, name))
        except Exception as e:                     # noqa: BLE001
            failed += 1
            print('not ok %d - %s' % (n, name))
            for line in (traceback.format_exc() if not isinstance(e, AssertionError)
                         else '%s\n' % e).splitlines():
                print('# ' + line)
        sys.stdout.flush()
    print('1..%d' % n)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
