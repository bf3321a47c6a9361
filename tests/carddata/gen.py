#!/usr/bin/python3
"""Generate the project's CCCD (Vietnamese chip ID card) test vectors.

usage: /usr/bin/python3 tests/carddata/gen.py [OUTDIR] [--new-keys] [--no-verify]

OUTDIR defaults to tests/vectors/cccd. Keys already present in OUTDIR are reused
(so regenerating changes only what changed in this script, plus ECDSA signatures,
which are randomised); --new-keys makes fresh ones. Everything is FAKE test data:
a test PKI ("eid-server TEST"), specimen citizens, and chip keys published here.
See tests/carddata/README.md for the layout and the manifest (cards.json) format.
"""
import argparse
import datetime as dt
import hashlib
import hmac
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emrtd import (  # noqa: E402
    BRAINPOOLP256R1, P256, OID_AA_INFO, OID_CA_ECDH_AES128, OID_CONTENT_TYPE,
    OID_ECDSA_PLAIN_SHA256, OID_ECDSA_SHA256, OID_EC_PUBLIC_KEY, OID_LDS_SO,
    OID_MESSAGE_DIGEST, OID_PACE_ECDH_GM_AES128, OID_PK_ECDH, OID_SHA256, OID_SHA256_RSA,
    OID_SIGNED_DATA, OID_SIGNING_TIME, OID_TA, bac_keys, check_digit, der_int, der_null,
    der_octet, der_oid, der_printable, der_seq, der_set, der_utctime, der_utf8, der_bitstring,
    mrz_information, pace_kpi, pace_password, tlv)

UTC = dt.timezone.utc


def d(y, m, day, h=0):
    return dt.datetime(y, m, day, h, 0, 0, tzinfo=UTC)


# ---------------------------------------------------------------------------
# Specimen citizens (all invented; "Mẫu" = specimen, "Thử" = test, "Kiểm Tra" = check)

CITIZENS = [
    {
        'key': 'cccd1',
        'id_number': '001090012345',        # 001 Hà Nội, 0 = male born 19xx, 90, serial
        'full_name': 'Nguyễn Văn Mẫu',
        'mrz_surname': 'NGUYEN', 'mrz_given': 'VAN MAU',
        'sex': 'M', 'dob': (1990, 3, 15),
        'issue': (2021, 5, 10), 'expiry': (2030, 3, 15),          # valid to age 40
        'nationality': 'Việt Nam', 'ethnicity': 'Kinh', 'religion': 'Không',
        'origin': 'Xã Đông Mẫu, Huyện Thanh Thử, Thành phố Hà Nội',
        'residence': 'Số 99, ngõ 123 phố Mẫu Thử, Phường Thử Nghiệm, Quận Hoàn Kiếm, '
                     'Thành phố Hà Nội (địa chỉ mẫu dùng cho kiểm thử)',
        'marks': 'Nốt ruồi C:2cm trên sau đuôi lông mày trái',
        'father': 'Nguyễn Văn Thử', 'mother': 'Lê Thị Mẫu', 'spouse': 'Trần Thị Kiểm',
        'photo': ((170, 200, 230), (230, 190, 160)),
    },
    {
        'key': 'cccd2',
        'id_number': '079305004567',        # 079 Hồ Chí Minh, 3 = female born 20xx, 05
        'full_name': 'Trần Thị Thử',
        'mrz_surname': 'TRAN', 'mrz_given': 'THI THU',
        'sex': 'F', 'dob': (2005, 11, 20),
        'issue': (2024, 1, 10), 'expiry': (2030, 11, 20),         # valid to age 25
        'nationality': 'Việt Nam', 'ethnicity': 'Kinh', 'religion': 'Phật giáo',
        'origin': 'Xã Kiểm Thử, Huyện Mẫu, Tỉnh Long An',
        'residence': 'Số 7 đường Số Mẫu, Phường Thử Nghiệm, Quận 1, Thành phố Hồ Chí Minh',
        'marks': 'Sẹo chấm C:1cm dưới trước cằm',
        'father': 'Trần Văn Mẫu', 'mother': 'Phạm Thị Thử', 'spouse': None,
        'photo': ((200, 230, 200), (225, 180, 150)),
    },
    {
        'key': 'cccd3',
        'id_number': '048168000789',        # 048 Đà Nẵng, 1 = female born 19xx, 68
        'full_name': 'Phạm Thị Kiểm Tra',
        'mrz_surname': 'PHAM', 'mrz_given': 'THI KIEM TRA',
        'sex': 'F', 'dob': (1968, 7, 4),
        'issue': (2021, 7, 1), 'expiry': (2028, 7, 4),            # valid to age 60
        'nationality': 'Việt Nam', 'ethnicity': 'Kinh', 'religion': 'Công giáo',
        'origin': 'Xã Mẫu Sơn, Huyện Hòa Thử, Thành phố Đà Nẵng',
        'residence': 'Tổ 5, Phường Thử Nghiệm, Quận Hải Châu, Thành phố Đà Nẵng',
        'marks': 'Sẹo C:3cm trên trước trán',
        'father': 'Phạm Văn Kiểm', 'mother': 'Võ Thị Tra', 'spouse': 'Lê Văn Mẫu',
        'photo': ((230, 220, 180), (210, 170, 140)),
    },
]

# ---------------------------------------------------------------------------
# MRZ / DG1


def yymmdd(t):
    return '%02d%02d%02d' % (t[0] % 100, t[1], t[2])


def ddmmyyyy(t):
    return '%02d/%02d/%04d' % (t[2], t[1], t[0])


def iso(t):
    return '%04d-%02d-%02d' % t


def mrz_name(surname, given, width=30):
    s = surname.replace(' ', '<') + '<<' + given.replace(' ', '<')
    if len(s) > width:
        s = s[:width]
    return s + '<' * (width - len(s))


def td1_mrz(c):
    idn = c['id_number']
    docno = idn[-9:]
    opt1 = (idn + '<<' + check_digit(idn))            # 15 chars; last digit as on real CCCDs
    assert len(opt1) == 15
    l1 = 'ID' + 'VNM' + docno + check_digit(docno) + opt1
    dob, doe = yymmdd(c['dob']), yymmdd(c['expiry'])
    l2a = dob + check_digit(dob) + c['sex'] + doe + check_digit(doe) + 'VNM' + '<' * 11
    composite = check_digit(l1[5:30] + l2a[0:7] + l2a[8:15] + l2a[18:29])
    l2 = l2a + composite
    l3 = mrz_name(c['mrz_surname'], c['mrz_given'])
    assert len(l1) == len(l2) == len(l3) == 30
    return [l1, l2, l3], docno, composite


def dg1_bytes(lines):
    return tlv(0x61, tlv(0x5F1F, ''.join(lines).encode('ascii')))


# ---------------------------------------------------------------------------
# DG2 (ISO/IEC 19794-5:2005 facial record inside the ICAO biometric templates)

def make_jpeg(bg, skin, variant=0):
    from PIL import Image, ImageDraw
    w, h = 48, 64
    im = Image.new('RGB', (w, h), bg)
    dr = ImageDraw.Draw(im)
    dr.ellipse((8, 2, 40, 14), fill=(40, 30, 20))                 # hair
    dr.ellipse((10, 6, 38, 44), fill=skin)                        # face
    dr.rectangle((4, 48, 44, 64), fill=(60, 70, 120))             # shoulders
    dr.rectangle((20, 42, 28, 50), fill=skin)                     # neck
    dr.ellipse((16, 20, 20, 24), fill=(30, 30, 30))               # eyes
    dr.ellipse((28, 20, 32, 24), fill=(30, 30, 30))
    dr.line((24, 24, 23, 31), fill=(150, 100, 80))                # nose
    dr.arc((17, 28, 31, 38), 20, 160, fill=(160, 60, 60), width=2 if variant == 0 else 1)
    if variant:                                                   # tampered photo: glasses
        dr.rectangle((14, 18, 22, 26), outline=(0, 0, 0))
        dr.rectangle((26, 18, 34, 26), outline=(0, 0, 0))
    buf = io.BytesIO()
    im.save(buf, 'JPEG', quality=70, optimize=False)
    return buf.getvalue(), w, h


def dg2_bytes(jpeg, w, h, sex):
    gender = {'M': 1, 'F': 2}.get(sex, 0)
    iib = bytes([1, 0]) + w.to_bytes(2, 'big') + h.to_bytes(2, 'big') + bytes([1, 2]) + b'\0\0' + b'\0\0'
    fib_len = 20 + 12 + len(jpeg)
    fib = (fib_len.to_bytes(4, 'big') + b'\0\0' + bytes([gender, 0, 0]) + b'\0\0\0'
           + b'\x00\x01' + b'\0\0\0' + b'\0\0\0')
    assert len(fib) == 20
    rec_len = 14 + fib_len
    record = b'FAC\0' + b'010\0' + rec_len.to_bytes(4, 'big') + b'\x00\x01' + fib + iib + jpeg
    bht = tlv(0xA1, tlv(0x80, b'\x01\x01') + tlv(0x81, b'\x02') + tlv(0x87, b'\x01\x01')
              + tlv(0x88, b'\x00\x08'))
    bit = tlv(0x7F60, bht + tlv(0x5F2E, record))
    dg2 = tlv(0x75, tlv(0x7F61, der_int(1) + bit))
    return dg2, dg2.index(jpeg)


# ---------------------------------------------------------------------------
# DG13 (the project's test layout, see README.md)

OID_DG13_UTF8 = '1.0.10646.1.0.8'


def dg13_fields(c):
    f = {
        1: c['id_number'], 2: c['full_name'], 3: ddmmyyyy(c['dob']),
        4: 'Nam' if c['sex'] == 'M' else 'Nữ', 5: c['nationality'], 6: c['ethnicity'],
        7: c['religion'], 8: c['origin'], 9: c['residence'], 10: c['marks'],
        11: ddmmyyyy(c['issue']), 12: ddmmyyyy(c['expiry']), 13: [c['father'], c['mother']],
    }
    if c.get('spouse'):
        f[14] = [c['spouse']]
    return f


def dg13_bytes(fields):
    items = []
    for n in sorted(fields):
        v = fields[n]
        if isinstance(v, list):
            val = der_seq(*[der_utf8(x) for x in v])
        else:
            val = der_utf8(v)
        items.append(der_seq(der_int(n), val))
    body = der_seq(der_int(1), der_oid(OID_DG13_UTF8), der_set(*items, sort=False))
    return tlv(0x6D, body)


# ---------------------------------------------------------------------------
# Security infos: EF.CardAccess, DG14, DG15, EF.COM

def pace_info():
    return der_seq(der_oid(OID_PACE_ECDH_GM_AES128), der_int(2), der_int(13))


def card_access_bytes():
    return der_set(der_seq(der_oid(OID_TA), der_int(1)),
                   der_seq(der_oid(OID_CA_ECDH_AES128), der_int(1)),
                   pace_info())


def ec_point(pub):
    return pub.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def dg14_bytes(ca_pub, aa_is_ec):
    spki = der_seq(der_seq(der_oid(OID_EC_PUBLIC_KEY), BRAINPOOLP256R1.ecparameters_der()),
                   der_bitstring(ec_point(ca_pub)))
    infos = [der_seq(der_oid(OID_PK_ECDH), spki),
             der_seq(der_oid(OID_CA_ECDH_AES128), der_int(1)),
             der_seq(der_oid(OID_TA), der_int(1)),
             pace_info()]
    if aa_is_ec:
        infos.append(der_seq(der_oid(OID_AA_INFO), der_int(1), der_oid(OID_ECDSA_PLAIN_SHA256)))
    return tlv(0x6E, der_set(*infos))


def dg15_bytes(aa_pub):
    return tlv(0x6F, aa_pub.public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo))


DG_TAGS = {1: 0x61, 2: 0x75, 13: 0x6D, 14: 0x6E, 15: 0x6F}


def ef_com_bytes(dgs):
    tags = bytes(DG_TAGS[n] for n in dgs)
    return tlv(0x60, tlv(0x5F01, b'0107') + tlv(0x5F36, b'040000') + tlv(0x5C, tags))


# ---------------------------------------------------------------------------
# EF.SOD: CMS SignedData over an LDSSecurityObject, encoded here

def lds_security_object(dg_files):
    hashes_ = [der_seq(der_int(n), der_octet(hashlib.sha256(dg_files[n]).digest()))
               for n in sorted(dg_files)]
    return der_seq(der_int(0), der_seq(der_oid(OID_SHA256)), der_seq(*hashes_))


def ecdsa_sign_deterministic(key, msg):
    """ECDSA-SHA256 with a nonce derived from the key and message (HMAC), so that
    regenerating with the same keys gives identical bytes. Returns DER SEQUENCE{r,s}."""
    curve = {'brainpoolP256r1': BRAINPOOLP256R1, 'secp256r1': P256}[key.curve.name]
    dkey = key.private_numbers().private_value
    e = int.from_bytes(hashlib.sha256(msg).digest(), 'big')
    ctr = 0
    while True:
        k = int.from_bytes(hmac.new(dkey.to_bytes(32, 'big'), msg + bytes([ctr]),
                                    hashlib.sha512).digest(), 'big') % curve.n
        ctr += 1
        if not k:
            continue
        r = curve.mul(k, curve.g)[0] % curve.n
        s_ = pow(k, -1, curve.n) * (e + r * dkey) % curve.n
        if r and s_:
            return der_seq(der_int(r), der_int(s_))


def sod_bytes(ldsso, ds_cert, ds_key, signing_time):
    signed_attrs = [
        der_seq(der_oid(OID_CONTENT_TYPE), der_set(der_oid(OID_LDS_SO))),
        der_seq(der_oid(OID_SIGNING_TIME), der_set(der_utctime(signing_time))),
        der_seq(der_oid(OID_MESSAGE_DIGEST), der_set(der_octet(hashlib.sha256(ldsso).digest()))),
    ]
    attrs_set = der_set(*signed_attrs)                 # DER: sorted; signed as tag 31
    if isinstance(ds_key, rsa.RSAPrivateKey):
        sig = ds_key.sign(attrs_set, padding.PKCS1v15(), hashes.SHA256())
        sig_alg = der_seq(der_oid(OID_SHA256_RSA), der_null())
    else:
        sig = ecdsa_sign_deterministic(ds_key, attrs_set)
        sig_alg = der_seq(der_oid(OID_ECDSA_SHA256))
    ias = der_seq(ds_cert.issuer.public_bytes(), der_int(ds_cert.serial_number))
    signer_info = der_seq(der_int(1), ias, der_seq(der_oid(OID_SHA256)),
                          b'\xA0' + attrs_set[1:], sig_alg, der_octet(sig))
    encap = der_seq(der_oid(OID_LDS_SO), tlv(0xA0, der_octet(ldsso)))
    cert_der = ds_cert.public_bytes(serialization.Encoding.DER)
    signed_data = der_seq(der_int(3), der_set(der_seq(der_oid(OID_SHA256))), encap,
                          tlv(0xA0, cert_der), der_set(signer_info))
    content_info = der_seq(der_oid(OID_SIGNED_DATA), tlv(0xA0, signed_data))
    return tlv(0x77, content_info), content_info


# ---------------------------------------------------------------------------
# Test PKI

def load_or_make_key(path, make, new):
    if not new and os.path.exists(path):
        with open(path, 'rb') as f:
            return serialization.load_pem_private_key(f.read(), None)
    k = make()
    with open(path, 'wb') as f:
        f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()))
    return k


def gentime(t):
    return tlv(0x18, t.strftime('%Y%m%d%H%M%SZ').encode())


def pkup_ext(nb, na):
    """privateKeyUsagePeriod (2.5.29.16): SEQUENCE { [0] notBefore, [1] notAfter }."""
    v = der_seq(b'\x80' + gentime(nb)[1:], b'\x81' + gentime(na)[1:])
    return x509.UnrecognizedExtension(x509.ObjectIdentifier('2.5.29.16'), v)


def name(country, org, cn):
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, country),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, 'eid-server test PKI'),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def sig_hash(key):
    return hashes.SHA256()


def make_csca(key, subject, serial, nb, na, crl_url):
    pub = key.public_key()
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
         .public_key(pub).serial_number(serial).not_valid_before(nb).not_valid_after(na)
         .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
         .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                        critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(pub), critical=False)
         .add_extension(pkup_ext(nb, nb.replace(year=nb.year + 5)), critical=False)
         .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
             [x509.UniformResourceIdentifier(crl_url)], None, None, None)]), critical=False))
    return b.sign(key, sig_hash(key))


def make_ds(key, subject, serial, nb, na, pkup_end, csca_cert, csca_key, crl_url):
    pub = key.public_key()
    doctypes = der_seq(der_int(0), der_set(der_printable('ID')))
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(csca_cert.subject)
         .public_key(pub).serial_number(serial).not_valid_before(nb).not_valid_after(na)
         .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                        critical=True)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(csca_key.public_key()),
                        critical=False)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
         .add_extension(pkup_ext(nb, pkup_end), critical=False)
         .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
             [x509.UniformResourceIdentifier(crl_url)], None, None, None)]), critical=False)
         .add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier('2.23.136.1.1.6.2'),
                                                   doctypes), critical=False))
    return b.sign(csca_key, sig_hash(csca_key))


def make_crl(csca_cert, csca_key, revoked, this_update, next_update):
    b = (x509.CertificateRevocationListBuilder().issuer_name(csca_cert.subject)
         .last_update(this_update).next_update(next_update)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(csca_key.public_key()),
                        critical=False)
         .add_extension(x509.CRLNumber(1), critical=False))
    for serial, when in revoked:
        b = b.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when)
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False).build())
    return b.sign(csca_key, sig_hash(csca_key))


def keep_if_same(path, new, load, tbs):
    """Reuse the object already in path if its to-be-signed part is identical (ECDSA
    signatures from cryptography are randomised; this keeps regeneration byte-stable)."""
    try:
        with open(path, 'rb') as f:
            old = load(f.read())
    except (OSError, ValueError):
        return new
    return old if tbs(old) == tbs(new) else new


def rsa_key(bits):
    return lambda: rsa.generate_private_key(65537, bits)


def ec_key(curve):
    return lambda: ec.generate_private_key(curve)


def key_desc(k):
    if isinstance(k, rsa.RSAPrivateKey):
        return 'RSA-%d' % k.key_size
    return 'EC-' + {'brainpoolP256r1': 'brainpoolP256r1', 'secp256r1': 'secp256r1'}[k.curve.name]


def build_pki(out, new_keys):
    pki = os.path.join(out, 'pki')
    os.makedirs(pki, exist_ok=True)
    K = lambda n, mk: load_or_make_key(os.path.join(pki, n + '.key.pem'), mk, new_keys)  # noqa
    base = 'http://pki.eid-server.test/crl/'
    ents = {}

    def put(ident, cert, key, trusted, issuer, role):
        fn = ident.replace('_', '-')
        cert = keep_if_same(os.path.join(pki, fn + '.der'), cert, x509.load_der_x509_certificate,
                            lambda c: c.tbs_certificate_bytes)
        with open(os.path.join(pki, fn + '.der'), 'wb') as f:
            f.write(cert.public_bytes(serialization.Encoding.DER))
        with open(os.path.join(pki, fn + '.pem'), 'wb') as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        ents[ident] = {
            'role': role, 'cert': 'pki/%s.der' % fn, 'cert_pem': 'pki/%s.pem' % fn,
            'key': 'pki/%s.key.pem' % fn, 'key_type': key_desc(key),
            'subject': cert.subject.rfc4514_string(), 'issuer': issuer,
            'serial': '%X' % cert.serial_number,
            'not_before': cert.not_valid_before.strftime('%Y-%m-%dT%H:%M:%SZ'),
            'not_after': cert.not_valid_after.strftime('%Y-%m-%dT%H:%M:%SZ'),
            'trusted': trusted,
        }
        return cert, key

    C = {}
    k = K('csca-rsa', rsa_key(3072))
    C['csca_rsa'] = put('csca_rsa', make_csca(k, name('VN', 'Test Ministry of Public Security',
                                                        'CSCA VN CCCD TEST RSA'),
                                               0x1001, d(2014, 1, 1), d(2041, 1, 1),
                                               base + 'csca-rsa.crl'), k, True, None, 'csca')
    k = K('csca-ec', ec_key(ec.BrainpoolP256R1()))
    C['csca_ec'] = put('csca_ec', make_csca(k, name('VN', 'Test Ministry of Public Security',
                                                      'CSCA VN CCCD TEST ECDSA'),
                                             0x1002, d(2014, 1, 1), d(2041, 1, 1),
                                             base + 'csca-ec.crl'), k, True, None, 'csca')
    cr, crk = C['csca_rsa']
    ce, cek = C['csca_ec']
    dsn = lambda cn: name('VN', 'Test Ministry of Public Security', cn)  # noqa
    k = K('ds-rsa', rsa_key(2048))
    C['ds_rsa'] = put('ds_rsa', make_ds(k, dsn('DS VN CCCD TEST RSA 01'), 0x2001, d(2021, 1, 1),
                                        d(2036, 1, 1), d(2025, 12, 31), cr, crk,
                                        base + 'csca-rsa.crl'), k, False, 'csca_rsa', 'ds')
    k = K('ds-ec', ec_key(ec.BrainpoolP256R1()))
    C['ds_ec'] = put('ds_ec', make_ds(k, dsn('DS VN CCCD TEST ECDSA 01'), 0x2101, d(2021, 1, 1),
                                      d(2036, 1, 1), d(2025, 12, 31), ce, cek,
                                      base + 'csca-ec.crl'), k, False, 'csca_ec', 'ds')
    k = K('ds-rsa-expired', rsa_key(2048))
    C['ds_rsa_expired'] = put('ds_rsa_expired',
                              make_ds(k, dsn('DS VN CCCD TEST RSA EXPIRED'), 0x2002, d(2015, 1, 1),
                                      d(2020, 1, 1), d(2016, 1, 1), cr, crk, base + 'csca-rsa.crl'),
                              k, False, 'csca_rsa', 'ds')
    k = K('ds-rsa-revoked', rsa_key(2048))
    C['ds_rsa_revoked'] = put('ds_rsa_revoked',
                              make_ds(k, dsn('DS VN CCCD TEST RSA REVOKED'), 0x2003, d(2021, 1, 1),
                                      d(2036, 1, 1), d(2025, 12, 31), cr, crk, base + 'csca-rsa.crl'),
                              k, False, 'csca_rsa', 'ds')
    k = K('csca-foreign', rsa_key(3072))
    fname = name('UT', 'Utopia Untrusted Test Authority', 'CSCA UTOPIA UNTRUSTED TEST')
    C['csca_foreign'] = put('csca_foreign', make_csca(k, fname, 0x9001, d(2014, 1, 1), d(2041, 1, 1),
                                                      base + 'csca-foreign.crl'),
                            k, False, None, 'csca')
    cf, cfk = C['csca_foreign']
    k = K('ds-foreign', rsa_key(2048))
    C['ds_foreign'] = put('ds_foreign', make_ds(k, name('UT', 'Utopia Untrusted Test Authority',
                                                          'DS UTOPIA UNTRUSTED TEST'),
                                                0x9101, d(2021, 1, 1), d(2036, 1, 1), d(2025, 12, 31),
                                                cf, cfk, base + 'csca-foreign.crl'),
                          k, False, 'csca_foreign', 'ds')
    # CRLs
    crls = {}
    for ident, cert, key, revoked in (
            ('csca_rsa', cr, crk, [(0x2003, d(2025, 6, 1))]),
            ('csca_ec', ce, cek, [])):
        crl = make_crl(cert, key, revoked, d(2026, 1, 1), d(2036, 1, 1))
        fn = 'pki/%s.crl' % ident.replace('_', '-')
        crl = keep_if_same(os.path.join(out, fn), crl, x509.load_der_x509_crl,
                           lambda c: c.tbs_certlist_bytes)
        with open(os.path.join(out, fn), 'wb') as f:
            f.write(crl.public_bytes(serialization.Encoding.DER))
        crls[ident] = {'path': fn, 'issuer': ident, 'this_update': '2026-01-01T00:00:00Z',
                       'next_update': '2036-01-01T00:00:00Z',
                       'revoked': [{'serial': '%X' % s, 'date': w.strftime('%Y-%m-%dT%H:%M:%SZ'),
                                    'reason': 'keyCompromise', 'cert': 'ds_rsa_revoked'}
                                   for s, w in revoked]}
    with open(os.path.join(pki, 'trusted-cscas.pem'), 'wb') as f:
        for ident in ('csca_rsa', 'csca_ec'):
            f.write(C[ident][0].public_bytes(serialization.Encoding.PEM))
    return C, ents, crls


# ---------------------------------------------------------------------------
# Cards


def hexu(b):
    return b.hex().upper()


def write_card(out, card_id, c, files, lines, docno, composite, aa_key, aa_hash, ca_key, ds_ident,
               C, signing_time, expected, description, jpeg_info, dg13, tamper=None):
    """files: dict name -> bytes for DGs/EF.COM/CardAccess (without SOD). Signs with DS."""
    cdir = os.path.join(out, 'cards', card_id)
    os.makedirs(cdir, exist_ok=True)
    dg_numbers = [1, 2, 13, 14, 15]
    signed_dgs = {n: files['DG%d' % n] for n in dg_numbers}
    if tamper:                                  # hash the ORIGINAL DGs, then swap in the tampered one
        signed_dgs = dict(signed_dgs)
        for n, orig in tamper['originals'].items():
            signed_dgs[n] = orig
    ldsso = lds_security_object(signed_dgs)
    ds_cert, ds_key = C[ds_ident]
    sod, content_info = sod_bytes(ldsso, ds_cert, ds_key, signing_time)
    files = dict(files)
    files['EF.SOD'] = sod
    fids = {'EF.COM': ('011E', 30), 'EF.CardAccess': ('011C', 28), 'EF.SOD': ('011D', 29),
            'DG1': ('0101', 1), 'DG2': ('0102', 2), 'DG13': ('010D', 13), 'DG14': ('010E', 14),
            'DG15': ('010F', 15)}
    fentries = {}
    for fname_, data in files.items():
        with open(os.path.join(cdir, fname_ + '.bin'), 'wb') as f:
            f.write(data)
        fid, sfi = fids[fname_]
        e = {'path': fname_ + '.bin', 'fid': fid, 'sfi': sfi, 'size': len(data),
             'sha256': hashlib.sha256(data).hexdigest(),
             'location': 'MF' if fname_ == 'EF.CardAccess' else 'eMRTD'}
        if fname_.startswith('DG'):
            e['dg'] = int(fname_[2:])
            e['tag'] = '%02X' % DG_TAGS[e['dg']]
        fentries[fname_] = e
    for n, k in (('aa_key.pem', aa_key), ('ca_key.pem', ca_key)):
        with open(os.path.join(cdir, n), 'wb') as f:
            f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    mi = mrz_information(docno, yymmdd(c['dob']), yymmdd(c['expiry']))
    kenc, kmac = bac_keys(mi)
    can = c['id_number'][-6:]
    if isinstance(aa_key, rsa.RSAPrivateKey):
        aa = {'algorithm': 'rsa-iso9796-2-scheme1', 'key_type': 'RSA-%d' % aa_key.key_size,
              'hash': aa_hash, 'trailer': 'BC' if aa_hash == 'sha1' else '34CC',
              'private_key': 'aa_key.pem'}
    else:
        aa = {'algorithm': 'ecdsa-plain', 'key_type': key_desc(aa_key), 'hash': 'sha256',
              'signature_oid': OID_ECDSA_PLAIN_SHA256, 'private_key': 'aa_key.pem'}
    ca_pub = ec_point(ca_key.public_key())
    entry = {
        'id': card_id, 'description': description, 'dir': 'cards/' + card_id,
        'citizen': {
            'id_number': c['id_number'], 'province_code': c['id_number'][:3],
            'gender_century_digit': c['id_number'][3], 'full_name': c['full_name'],
            'sex': c['sex'], 'date_of_birth': iso(c['dob']), 'date_of_issue': iso(c['issue']),
            'date_of_expiry': iso(c['expiry']),
        },
        'mrz': {
            'lines': lines, 'document_code': 'ID', 'issuing_state': 'VNM',
            'document_number': docno, 'document_number_check': check_digit(docno),
            'optional_data_1': lines[0][15:30], 'date_of_birth': yymmdd(c['dob']),
            'date_of_birth_check': check_digit(yymmdd(c['dob'])), 'sex': c['sex'],
            'date_of_expiry': yymmdd(c['expiry']),
            'date_of_expiry_check': check_digit(yymmdd(c['expiry'])), 'nationality': 'VNM',
            'optional_data_2': '', 'composite_check': composite,
            'primary_identifier': c['mrz_surname'], 'secondary_identifier': c['mrz_given'],
        },
        'access': {
            'mrz_information': mi, 'bac_kenc': hexu(kenc), 'bac_kmac': hexu(kmac), 'can': can,
            'pace_oid': OID_PACE_ECDH_GM_AES128, 'pace_parameter_id': 13,
            'pace_kpi_mrz': hexu(pace_kpi(pace_password('mrz', mi))),
            'pace_kpi_can': hexu(pace_kpi(pace_password('can', can))),
        },
        'files': fentries,
        'ef_com': {'lds_version': '0107', 'unicode_version': '040000',
                   'tags': ['%02X' % DG_TAGS[n] for n in dg_numbers]},
        'dg2': jpeg_info,
        'dg13': {'version': 1, 'oid': OID_DG13_UTF8,
                 'fields': {str(k): v for k, v in dg13.items()}},
        'dg14': {'ca_public_key_oid': OID_PK_ECDH, 'ca_oid': OID_CA_ECDH_AES128, 'ca_version': 1,
                 'ca_curve': 'brainpoolP256r1', 'ca_public_key': hexu(ca_pub),
                 'explicit_domain_parameters': True, 'pace_oid': OID_PACE_ECDH_GM_AES128,
                 'ta_version': 1,
                 'aa_info': ({'oid': OID_AA_INFO, 'version': 1,
                              'signature_algorithm': OID_ECDSA_PLAIN_SHA256}
                             if aa['algorithm'] == 'ecdsa-plain' else None)},
        'aa': aa,
        'ca': {'private_key': 'ca_key.pem', 'curve': 'brainpoolP256r1', 'oid': OID_CA_ECDH_AES128},
        'sod': {
            'ds': ds_ident, 'csca': C['_issuer'][ds_ident], 'digest_algorithm': 'sha256',
            'signature_algorithm': ('sha256WithRSAEncryption' if isinstance(ds_key, rsa.RSAPrivateKey)
                                    else 'ecdsa-with-SHA256'),
            'signed_attributes': ['contentType', 'signingTime', 'messageDigest'],
            'signing_time': signing_time.strftime('%Y-%m-%dT%H:%M:%SZ'),
            'econtent_type': OID_LDS_SO, 'lds_security_object_version': 0,
            'econtent_sha256': hashlib.sha256(ldsso).hexdigest(),
            'dg_hashes': {str(n): hashlib.sha256(signed_dgs[n]).hexdigest() for n in sorted(signed_dgs)},
            'signer_identifier': 'issuerAndSerialNumber',
        },
        'expected': expected,
    }
    return entry, content_info, ldsso


def build_cards(out, C, new_keys):
    C['_issuer'] = {'ds_rsa': 'csca_rsa', 'ds_ec': 'csca_ec', 'ds_rsa_expired': 'csca_rsa',
                    'ds_rsa_revoked': 'csca_rsa', 'ds_foreign': 'csca_foreign'}
    cards, sods = [], []
    keydir = os.path.join(out, 'cards')
    os.makedirs(keydir, exist_ok=True)
    plan = {'cccd1': ('rsa', 'sha1', 'ds_rsa'), 'cccd2': ('ec', 'sha256', 'ds_ec'),
            'cccd3': ('rsa', 'sha256', 'ds_rsa')}
    base = {}
    for c in CITIZENS:
        cid = c['key']
        aa_kind, aa_hash, ds = plan[cid]
        os.makedirs(os.path.join(keydir, cid), exist_ok=True)
        aa_key = load_or_make_key(os.path.join(keydir, cid, 'aa_key.pem'),
                                  rsa_key(2048) if aa_kind == 'rsa' else ec_key(ec.SECP256R1()),
                                  new_keys)
        ca_key = load_or_make_key(os.path.join(keydir, cid, 'ca_key.pem'),
                                  ec_key(ec.BrainpoolP256R1()), new_keys)
        lines, docno, composite = td1_mrz(c)
        jpeg, w, h = make_jpeg(*c['photo'])
        dg2, joff = dg2_bytes(jpeg, w, h, c['sex'])
        fields = dg13_fields(c)
        files = {'EF.COM': ef_com_bytes([1, 2, 13, 14, 15]), 'EF.CardAccess': card_access_bytes(),
                 'DG1': dg1_bytes(lines), 'DG2': dg2, 'DG13': dg13_bytes(fields),
                 'DG14': dg14_bytes(ca_key.public_key(), aa_kind == 'ec'),
                 'DG15': dg15_bytes(aa_key.public_key())}
        jinfo = {'format': 'ISO/IEC 19794-5:2005', 'image_type': 'jpeg', 'width': w, 'height': h,
                 'image_offset': joff, 'image_length': len(jpeg),
                 'image_sha256': hashlib.sha256(jpeg).hexdigest(),
                 'gender': {'M': 1, 'F': 2}[c['sex']]}
        st = d(*c['issue'], 8)
        args = dict(c=c, lines=lines, docno=docno, composite=composite, aa_key=aa_key,
                    aa_hash=aa_hash, ca_key=ca_key, C=C, jpeg_info=jinfo, dg13=fields)
        e, ci, _ = write_card(out, cid, files=files, ds_ident=ds, signing_time=st,
                              expected={'passive_auth': 'valid'},
                              description='specimen %s, %s DS, AA %s/%s' % (
                                  c['full_name'], ds, aa_kind, aa_hash), **args)
        cards.append(e)
        sods.append((cid, ci, ds))
        base[cid] = (files, args)

    # tampered and badly-signed variants of cccd1
    files, args = base['cccd1']
    c = args['c']
    t_lines = list(args['lines'])
    t_lines[2] = mrz_name('NGUYEN', 'VAN MAX')
    variants = []
    t1 = dict(files, DG1=dg1_bytes(t_lines))
    variants.append(('cccd1-tampered-dg1', t1, dict(args, lines=t_lines), 1,
                     'DG1 altered (name MAX instead of MAU), original SOD'))
    jpeg2, w, h = make_jpeg(*c['photo'], variant=1)
    dg2b, joff = dg2_bytes(jpeg2, w, h, c['sex'])
    jinfo2 = dict(args['jpeg_info'], image_offset=joff, image_length=len(jpeg2),
                  image_sha256=hashlib.sha256(jpeg2).hexdigest())
    variants.append(('cccd1-tampered-dg2', dict(files, DG2=dg2b), dict(args, jpeg_info=jinfo2), 2,
                     'DG2 photo replaced, original SOD'))
    f13 = dict(args['dg13']); f13[2] = 'Nguyễn Văn Giả'
    variants.append(('cccd1-tampered-dg13', dict(files, DG13=dg13_bytes(f13)), dict(args, dg13=f13),
                     13, 'DG13 full name altered, original SOD'))
    for vid, vfiles, vargs, dgn, desc in variants:
        e, _, _ = write_card(out, vid, files=vfiles, ds_ident='ds_rsa', signing_time=d(*c['issue'], 8),
                             expected={'passive_auth': 'dg_hash_mismatch', 'mismatched_dgs': [dgn]},
                             description=desc,
                             tamper={'originals': {dgn: files['DG%d' % dgn]}}, **vargs)
        cards.append(e)
    for vid, ds, st, exp, desc in (
            ('cccd1-untrusted-ds', 'ds_foreign', d(2021, 5, 10, 8), 'ds_untrusted',
             'cccd1 data signed by a DS under an untrusted (foreign) CSCA'),
            ('cccd1-revoked-ds', 'ds_rsa_revoked', d(2021, 5, 10, 8), 'ds_revoked',
             'cccd1 data signed by a DS that the CSCA CRL revokes'),
            ('cccd1-expired-ds', 'ds_rsa_expired', d(2019, 6, 1, 8), 'ds_expired',
             'cccd1 data signed by a DS whose certificate expired 2020-01-01')):
        e, ci, _ = write_card(out, vid, files=files, ds_ident=ds, signing_time=st,
                              expected={'passive_auth': exp}, description=desc, **args)
        cards.append(e)
        sods.append((vid, ci, ds))
    del C['_issuer']
    return cards, sods


# ---------------------------------------------------------------------------
# Self-checks with the openssl CLI

def openssl_checks(out, C, sods, crls):
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for cid, ci, ds in sods:
            p7 = os.path.join(tmp, cid + '.p7')
            with open(p7, 'wb') as f:
                f.write(ci)
            issuer = {'ds_rsa': 'csca-rsa', 'ds_ec': 'csca-ec', 'ds_rsa_expired': 'csca-rsa',
                      'ds_rsa_revoked': 'csca-rsa', 'ds_foreign': 'csca-foreign'}[ds]
            cmd = ['openssl', 'cms', '-verify', '-inform', 'DER', '-in', p7, '-binary',
                   '-purpose', 'any', '-CAfile', os.path.join(out, 'pki', issuer + '.pem'),
                   '-out', os.path.join(tmp, cid + '.lds')]
            if ds == 'ds_rsa_expired':
                cmd += ['-attime', str(int(d(2019, 6, 1).timestamp()))]
            r = subprocess.run(cmd, capture_output=True, text=True)
            good = r.returncode == 0 and 'Verification successful' in r.stderr
            print('openssl cms -verify %-22s %s' % (cid, 'ok' if good else 'FAILED ' + r.stderr))
            ok &= good
        r = subprocess.run(['openssl', 'verify', '-crl_check', '-CAfile',
                            os.path.join(out, 'pki', 'csca-rsa.pem'), '-CRLfile',
                            os.path.join(out, 'pki', 'csca-rsa.crl'),
                            os.path.join(out, 'pki', 'ds-rsa-revoked.pem')],
                           capture_output=True, text=True)
        r2 = subprocess.run(['openssl', 'crl', '-inform', 'DER', '-in',
                             os.path.join(out, 'pki', 'csca-rsa.crl'), '-noout', '-text'],
                            capture_output=True, text=True)
        rev_ok = r.returncode != 0 and 'revoked' in (r.stdout + r.stderr) and '2003' in r2.stdout
        print('openssl verify -crl_check ds-rsa-revoked: %s' % ('revoked (ok)' if rev_ok else
                                                                'UNEXPECTED ' + r.stdout + r.stderr))
        ok &= rev_ok
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument('outdir', nargs='?', default=os.path.join(here, '..', 'vectors', 'cccd'))
    ap.add_argument('--new-keys', action='store_true', help='do not reuse keys found in OUTDIR')
    ap.add_argument('--no-verify', action='store_true', help='skip the openssl CLI self-checks')
    a = ap.parse_args()
    out = os.path.normpath(a.outdir)
    os.makedirs(out, exist_ok=True)
    # keep keys (unless --new-keys), drop every other generated file first
    cards_dir = os.path.join(out, 'cards')
    if os.path.isdir(cards_dir):
        for cid in os.listdir(cards_dir):
            p = os.path.join(cards_dir, cid)
            if cid not in [c['key'] for c in CITIZENS]:
                shutil.rmtree(p)
            else:
                for fn in os.listdir(p):
                    if not fn.endswith('_key.pem'):
                        os.remove(os.path.join(p, fn))
    C, pki, crls = build_pki(out, a.new_keys)
    cards, sods = build_cards(out, C, a.new_keys)
    manifest = {
        'format': 'eid-server-cccd-testdata/1',
        'generator': 'tests/carddata/gen.py',
        'note': 'FAKE test data: specimen citizens, a test PKI and published chip keys. '
                'Not a real person, card or authority.',
        'pki': pki, 'crls': crls, 'trust_store': 'pki/trusted-cscas.pem',
        'trusted_cscas': ['csca_rsa', 'csca_ec'],
        'cards': cards,
    }
    with open(os.path.join(out, 'cards.json'), 'w', encoding='utf-8') as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
        f.write('\n')
    total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(out) for fn in fns)
    print('wrote %d cards, %d certificates into %s (%d bytes)' % (len(cards), len(pki), out, total))
    if not a.no_verify and shutil.which('openssl'):
        if not openssl_checks(out, C, sods, crls):
            print('openssl self-checks FAILED', file=sys.stderr)
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
