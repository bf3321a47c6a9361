#!/usr/bin/python3
"""webauthn_vectors.py - make the WebAuthn test vectors for tests/unit/server/test_webauthn.c.

Writes tests/vectors/webauthn/{registration,assertion}.json and roots.pem (the trusted
test attestation root), and seeds tests/fuzz/corpus/webauthn/ with their parts. Every
vector is a real, signed ceremony made with python3-cryptography: valid ones, and
negative ones that are valid in every way but the one defect they test (so a missing
check would let them through). Keys for ES256 and EdDSA are fixed, so those vectors
only change where ECDSA signatures are randomised; the RSA key is new on each run.

usage: tests/unit/server/webauthn_vectors.py [REPO_ROOT]
"""
import base64
import datetime
import hashlib
import json
import os
import struct
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

RP_ID = "eid.example"
ORIGIN = "https://eid.example"
CHALLENGE = hashlib.sha256(b"eid-server webauthn test challenge").digest()
OTHER_CHALLENGE = hashlib.sha256(b"another challenge").digest()
AAGUID = bytes.fromhex("6028b017b1d44c02b4b3afcdafc96bb2")
ZERO_AAGUID = bytes(16)
USER_HANDLE = hashlib.sha256(b"citizen 1").digest()[:16]
OTHER_USER_HANDLE = hashlib.sha256(b"citizen 2").digest()[:16]
ALG_ES256, ALG_EDDSA, ALG_RS256 = -7, -8, -257
UP, UV, BE, BS, AT, ED = 0x01, 0x04, 0x08, 0x10, 0x40, 0x80


# --- a minimal CBOR encoder (RFC 8949, definite lengths only): test data only -------------
def _head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for extra, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | extra]) + struct.pack(fmt, n)
    raise ValueError("integer too large")


def cbor(v):
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, int):
        return _head(0, v) if v >= 0 else _head(1, -1 - v)
    if isinstance(v, (bytes, bytearray)):
        return _head(2, len(v)) + bytes(v)
    if isinstance(v, str):
        b = v.encode()
        return _head(3, len(b)) + b
    if isinstance(v, list):
        return _head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):   # in the caller's order (callers give canonical order)
        return _head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    raise TypeError(type(v))


# --- keys ----------------------------------------------------------------------------------
def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Key:
    def __init__(self, alg, priv):
        self.alg, self.priv = alg, priv

    def cose(self):
        pub = self.priv.public_key()
        if self.alg == ALG_ES256:
            nums = pub.public_numbers()
            return cbor({1: 2, 3: ALG_ES256, -1: 1, -2: nums.x.to_bytes(32, "big"),
                         -3: nums.y.to_bytes(32, "big")})
        if self.alg == ALG_EDDSA:
            raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return cbor({1: 1, 3: ALG_EDDSA, -1: 6, -2: raw})
        nums = pub.public_numbers()
        return cbor({1: 3, 3: ALG_RS256, -1: nums.n.to_bytes(256, "big"),
                     -2: nums.e.to_bytes(3, "big")})

    def sign(self, data):
        if self.alg == ALG_ES256:
            return self.priv.sign(data, ec.ECDSA(hashes.SHA256()))
        if self.alg == ALG_EDDSA:
            return self.priv.sign(data)
        return self.priv.sign(data, padding.PKCS1v15(), hashes.SHA256())


def es256_key(seed):
    d = int.from_bytes(hashlib.sha256(seed).digest(), "big") % (2**255)
    return Key(ALG_ES256, ec.derive_private_key(d, ec.SECP256R1()))


KEYS = {
    "es256": es256_key(b"credential es256"),
    "eddsa": Key(ALG_EDDSA, ed25519.Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(b"credential eddsa").digest())),
    "rs256": Key(ALG_RS256, rsa.generate_private_key(public_exponent=65537, key_size=2048)),
    "es256b": es256_key(b"credential es256 synced"),
}
CRED_IDS = {name: hashlib.sha256(b"credential id " + name.encode()).digest() for name in KEYS}


# --- certificates ----------------------------------------------------------------------------
NOT_BEFORE = datetime.datetime(2024, 1, 1)
NOT_AFTER = datetime.datetime(2049, 12, 31)


def name(cn, ou=None):
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "XX"),
             x509.NameAttribute(NameOID.ORGANIZATION_NAME, "eid-server tests")]
    if ou:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def cert(subject, subject_key, issuer, issuer_key, ca, aaguid=None):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
         .public_key(subject_key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                          False, False), critical=True)
    if aaguid is not None:
        b = b.add_extension(x509.UnrecognizedExtension(
            x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4"), b"\x04\x10" + aaguid),
            critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def der(c):
    return c.public_bytes(serialization.Encoding.DER)


def make_pki():
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = cert(name("eid-server test attestation root"), root_key,
                name("eid-server test attestation root"), root_key, True)
    inter_key = ec.generate_private_key(ec.SECP256R1())
    inter = cert(name("eid-server test attestation CA"), inter_key, root.subject, root_key, True)
    att_key = ec.generate_private_key(ec.SECP256R1())
    leaf_subject = name("eid-server test authenticator", "Authenticator Attestation")
    leaf = cert(leaf_subject, att_key, inter.subject, inter_key, False, AAGUID)
    leaf_other_aaguid = cert(leaf_subject, att_key, inter.subject, inter_key, False,
                             bytes(range(16)))
    evil_key = ec.generate_private_key(ec.SECP256R1())
    evil_root = cert(name("untrusted root"), evil_key, name("untrusted root"), evil_key, True)
    evil_leaf = cert(leaf_subject, att_key, evil_root.subject, evil_key, False, AAGUID)
    return {
        "root_pem": root.public_bytes(serialization.Encoding.PEM),
        "att_key": Key(ALG_ES256, att_key),
        "chain": [der(leaf), der(inter)],
        "chain_other_aaguid": [der(leaf_other_aaguid), der(inter)],
        "chain_untrusted": [der(evil_leaf), der(evil_root)],
    }


# --- ceremonies ------------------------------------------------------------------------------
def client_data(typ, challenge=CHALLENGE, origin=ORIGIN, cross_origin=False, raw=None):
    if raw is not None:
        return raw.encode()
    return json.dumps({"type": typ, "challenge": b64u(challenge), "origin": origin,
                       "crossOrigin": cross_origin}, separators=(",", ":")).encode()


def auth_data(flags, count, rp_id=RP_ID, attested=None, ext=None):
    out = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", count)
    if attested is not None:
        aaguid, cred_id, cose = attested
        out += aaguid + struct.pack(">H", len(cred_id)) + cred_id + cose
    if ext is not None:
        out += cbor(ext)
    return out


def registration(case, key="es256", fmt="packed", attest="self", flags=UP | UV | AT,
                 count=0, rp_id=RP_ID, cd=None, ext=None, aaguid=None, chain=None,
                 stmt_alg=None, tamper_sig=False, tamper_authdata=False, pki=None,
                 expect="ok", require_uv=0, require_attestation=0, roots=0,
                 attestation="self"):
    k = KEYS[key]
    if aaguid is None:
        aaguid = AAGUID if fmt == "packed" else ZERO_AAGUID
    cdj = cd if cd is not None else client_data("webauthn.create")
    cose = k.cose()
    ad = auth_data(flags | (ED if ext else 0), count, rp_id, (aaguid, CRED_IDS[key], cose), ext)
    signed = ad + hashlib.sha256(cdj).digest()
    if fmt == "none":
        stmt = {}
    elif attest == "self":
        sig = k.sign(signed)
        stmt = {"alg": stmt_alg if stmt_alg is not None else k.alg, "sig": sig}
    else:
        sig = pki["att_key"].sign(signed)
        stmt = {"alg": ALG_ES256, "sig": sig, "x5c": chain}
    if tamper_sig:
        stmt["sig"] = stmt["sig"][:-1] + bytes([stmt["sig"][-1] ^ 0x01])
    if tamper_authdata:   # one bit of the credential id, after signing
        i = 37 + 16 + 2
        ad = ad[:i] + bytes([ad[i] ^ 0x80]) + ad[i + 1:]
    ao = cbor({"fmt": fmt, "attStmt": stmt, "authData": ad})
    c = {"name": case, "client_data_json": b64u(cdj), "attestation_object": b64u(ao),
         "require_uv": require_uv, "require_attestation": require_attestation,
         "roots": roots, "expect": expect}
    if expect == "ok":
        c.update({"credential": key, "cred_id": b64u(CRED_IDS[key]), "cose_key": b64u(cose),
                  "alg": k.alg, "sign_count": count, "aaguid": b64u(aaguid),
                  "uv": int(bool(flags & UV)), "be": int(bool(flags & BE)),
                  "bs": int(bool(flags & BS)), "attestation": attestation,
                  "user_handle": b64u(USER_HANDLE)})
    return c


def assertion(case, cred, key, count, stored_count, flags=UP | UV, rp_id=RP_ID, cd=None,
              user_handle=USER_HANDLE, cred_id=None, tamper_sig=False,
              tamper_authdata=False, ext=None, expect="ok", require_uv=0):
    k = KEYS[key]
    cdj = cd if cd is not None else client_data("webauthn.get")
    ad = auth_data(flags | (ED if ext else 0), count, rp_id, None, ext)
    sig = k.sign(ad + hashlib.sha256(cdj).digest())
    if tamper_sig:
        sig = sig[:8] + bytes([sig[8] ^ 0x01]) + sig[9:]
    if tamper_authdata:   # the counter's low byte, after signing
        ad = ad[:36] + bytes([ad[36] ^ 0x01])
    return {"name": case, "credential": cred, "stored_count": stored_count,
            "cred_id": b64u(cred_id if cred_id is not None else CRED_IDS[key]),
            "client_data_json": b64u(cdj), "authenticator_data": b64u(ad),
            "signature": b64u(sig),
            "user_handle": b64u(user_handle) if user_handle is not None else None,
            "require_uv": require_uv, "expect": expect, "sign_count": count}


def build():
    pki = make_pki()
    full = dict(fmt="packed", attest="full", pki=pki)
    regs = [
        # accepted
        registration("reg_none_es256_synced", key="es256b", fmt="none",
                     flags=UP | UV | BE | BS | AT, attestation="none"),
        registration("reg_packed_self_es256", key="es256", count=5),
        registration("reg_packed_self_eddsa", key="eddsa", count=0),
        registration("reg_packed_self_rs256", key="rs256", count=1),
        registration("reg_packed_full_trusted", chain=pki["chain"], require_attestation=1,
                     roots=1, attestation="trusted", **full),
        registration("reg_packed_full_no_roots", chain=pki["chain"],
                     attestation="unverified", **full),
        registration("reg_packed_full_untrusted_not_required", chain=pki["chain_untrusted"],
                     roots=1, attestation="unverified", **full),
        registration("reg_packed_self_extensions",
                     ext={"credProtect": 2, "hmac-secret": True}),
        registration("reg_uv_absent_not_required", flags=UP | AT),
        # refused, each for one reason
        registration("reg_type_get", cd=client_data("webauthn.get"), expect="type mismatch"),
        registration("reg_wrong_origin", cd=client_data("webauthn.create",
                     origin="https://evil.example"), expect="origin mismatch"),
        registration("reg_origin_with_port", cd=client_data("webauthn.create",
                     origin="https://eid.example:8443"), expect="origin mismatch"),
        registration("reg_challenge_mismatch", cd=client_data("webauthn.create",
                     challenge=OTHER_CHALLENGE), expect="challenge mismatch"),
        registration("reg_cross_origin", cd=client_data("webauthn.create", cross_origin=True),
                     expect="cross-origin request refused"),
        registration("reg_duplicate_json_key", cd=client_data(None, raw=(
            '{"type":"webauthn.create","challenge":"%s","origin":"%s","origin":"%s"}'
            % (b64u(CHALLENGE), ORIGIN, ORIGIN))), expect="client data not a JSON object"),
        registration("reg_wrong_rp_id", rp_id="evil.example", expect="rp id hash mismatch"),
        registration("reg_up_missing", flags=UV | AT, expect="user presence missing"),
        registration("reg_uv_required_missing", flags=UP | AT, require_uv=1,
                     expect="user verification missing"),
        registration("reg_bs_without_be", flags=UP | UV | BS | AT,
                     expect="backup state without backup eligibility"),
        registration("reg_none_attestation_required", fmt="none", require_attestation=1,
                     roots=1, expect="attestation required"),
        registration("reg_self_attestation_required", require_attestation=1, roots=1,
                     expect="attestation required"),
        registration("reg_full_untrusted_root", chain=pki["chain_untrusted"],
                     require_attestation=1, roots=1, expect="attestation chain untrusted",
                     **full),
        registration("reg_full_aaguid_mismatch", chain=pki["chain_other_aaguid"], roots=1,
                     expect="attestation certificate AAGUID mismatch", **full),
        registration("reg_full_bad_signature", chain=pki["chain"], roots=1, tamper_sig=True,
                     expect="attestation signature invalid", **full),
        registration("reg_self_bad_signature", tamper_sig=True,
                     expect="attestation signature invalid"),
        registration("reg_self_eddsa_bad_signature", key="eddsa", tamper_sig=True,
                     expect="attestation signature invalid"),
        registration("reg_self_rs256_bad_signature", key="rs256", tamper_sig=True,
                     expect="attestation signature invalid"),
        registration("reg_tampered_authdata", tamper_authdata=True,
                     expect="attestation signature invalid"),
        registration("reg_self_alg_mismatch", stmt_alg=ALG_RS256,
                     expect="attestation algorithm mismatch"),
        registration("reg_unsupported_fmt", fmt="fido-u2f", expect="unsupported attestation format"),
    ]
    get = lambda typ, **kw: client_data(typ, **kw)   # noqa: E731
    asserts = [
        # accepted
        assertion("get_es256", "reg_packed_self_es256", "es256", 6, 5),
        assertion("get_eddsa_counter_zero", "reg_packed_self_eddsa", "eddsa", 0, 0),
        assertion("get_rs256", "reg_packed_self_rs256", "rs256", 2, 1),
        assertion("get_es256_no_user_handle", "reg_packed_self_es256", "es256", 9, 5,
                  user_handle=None),
        assertion("get_uv_absent_not_required", "reg_packed_self_es256", "es256", 7, 5,
                  flags=UP),
        assertion("get_uv_required", "reg_packed_self_es256", "es256", 7, 5, require_uv=1),
        assertion("get_synced_passkey", "reg_none_es256_synced", "es256b", 0, 0,
                  flags=UP | UV | BE | BS),
        assertion("get_hmac_secret_output", "reg_packed_self_extensions", "es256", 1, 0,
                  ext={"hmac-secret": bytes(32)}),
        # refused
        assertion("get_type_create", "reg_packed_self_es256", "es256", 6, 5,
                  cd=get("webauthn.create"), expect="type mismatch"),
        assertion("get_wrong_origin", "reg_packed_self_es256", "es256", 6, 5,
                  cd=get("webauthn.get", origin="https://eid.example.evil"),
                  expect="origin mismatch"),
        assertion("get_challenge_mismatch", "reg_packed_self_es256", "es256", 6, 5,
                  cd=get("webauthn.get", challenge=OTHER_CHALLENGE), expect="challenge mismatch"),
        assertion("get_cross_origin", "reg_packed_self_es256", "es256", 6, 5,
                  cd=get("webauthn.get", cross_origin=True),
                  expect="cross-origin request refused"),
        assertion("get_wrong_rp_id", "reg_packed_self_es256", "es256", 6, 5,
                  rp_id="evil.example", expect="rp id hash mismatch"),
        assertion("get_up_missing", "reg_packed_self_es256", "es256", 6, 5, flags=UV,
                  expect="user presence missing"),
        assertion("get_uv_required_missing", "reg_packed_self_es256", "es256", 6, 5, flags=UP,
                  require_uv=1, expect="user verification missing"),
        assertion("get_counter_backwards", "reg_packed_self_es256", "es256", 3, 5,
                  expect="counter went backwards"),
        assertion("get_counter_equal", "reg_packed_self_es256", "es256", 5, 5,
                  expect="counter did not increase"),
        assertion("get_counter_reset_to_zero", "reg_packed_self_es256", "es256", 0, 5,
                  expect="counter went backwards"),
        assertion("get_other_user_handle", "reg_packed_self_es256", "es256", 6, 5,
                  user_handle=OTHER_USER_HANDLE, expect="user handle mismatch"),
        assertion("get_unknown_credential_id", "reg_packed_self_es256", "es256", 6, 5,
                  cred_id=CRED_IDS["eddsa"], expect="credential id mismatch"),
        assertion("get_es256_tampered_signature", "reg_packed_self_es256", "es256", 6, 5,
                  tamper_sig=True, expect="signature invalid"),
        assertion("get_eddsa_tampered_signature", "reg_packed_self_eddsa", "eddsa", 1, 0,
                  tamper_sig=True, expect="signature invalid"),
        assertion("get_rs256_tampered_signature", "reg_packed_self_rs256", "rs256", 2, 1,
                  tamper_sig=True, expect="signature invalid"),
        assertion("get_tampered_authdata", "reg_packed_self_es256", "es256", 6, 5,
                  tamper_authdata=True, expect="signature invalid"),
        assertion("get_backup_eligibility_changed", "reg_packed_self_es256", "es256", 6, 5,
                  flags=UP | UV | BE, expect="backup eligibility changed"),
        assertion("get_signed_by_other_key", "reg_packed_self_es256", "es256b", 6, 5,
                  cred_id=CRED_IDS["es256"], expect="signature invalid"),
    ]
    return pki, regs, asserts


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "..")
    vdir = os.path.join(root, "tests", "vectors", "webauthn")
    cdir = os.path.join(root, "tests", "fuzz", "corpus", "webauthn")
    os.makedirs(vdir, exist_ok=True)
    os.makedirs(cdir, exist_ok=True)
    pki, regs, asserts = build()
    common = {"rp_id": RP_ID, "origin": ORIGIN, "challenge": b64u(CHALLENGE),
              "user_handle": b64u(USER_HANDLE)}
    with open(os.path.join(vdir, "registration.json"), "w") as f:
        json.dump(dict(common, cases=regs), f, indent=1)
        f.write("\n")
    with open(os.path.join(vdir, "assertion.json"), "w") as f:
        json.dump(dict(common, cases=asserts), f, indent=1)
        f.write("\n")
    with open(os.path.join(vdir, "roots.pem"), "wb") as f:
        f.write(pki["root_pem"])

    # fuzz seeds: one selector byte (see tests/fuzz/fuzz_webauthn.c), then the part
    def d(s):
        return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    seeds = {}
    for c in regs:
        seeds["reg_" + c["name"][4:]] = b"\x00" + d(c["attestation_object"])
        if c["name"] in ("reg_packed_self_es256", "reg_type_get", "reg_cross_origin",
                         "reg_duplicate_json_key"):
            seeds["cd_" + c["name"][4:]] = b"\x02" + d(c["client_data_json"])
        if c["name"] in ("reg_packed_self_es256", "reg_packed_self_eddsa",
                         "reg_packed_self_rs256"):
            seeds["cose_" + c["name"][4:]] = b"\x03" + d(c["cose_key"])
    for c in asserts:
        if c["name"] in ("get_es256", "get_synced_passkey", "get_hmac_secret_output",
                         "get_up_missing"):
            seeds["ad_" + c["name"][4:]] = b"\x01" + d(c["authenticator_data"])
    for name_, data in seeds.items():
        with open(os.path.join(cdir, name_), "wb") as f:
            f.write(data)
    print("wrote %d registration and %d assertion vectors, %d fuzz seeds"
          % (len(regs), len(asserts), len(seeds)))


if __name__ == "__main__":
    main()
