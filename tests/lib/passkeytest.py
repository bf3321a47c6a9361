"""passkeytest.py - a software passkey for the tests and benchmarks that sign in with
WebAuthn over HTTP (tests/integration/test_passkey.py, tests/bench/signin.py): an ES256 key,
a credential id, a signature counter; it answers the server's options as a browser with a
platform authenticator would (clientDataJSON, authenticatorData, attestation or assertion)."""
import hashlib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'unit', 'server'))
import webauthn_vectors as wv  # noqa: E402
from oidctest import b64u, b64u_dec  # noqa: E402

UP, UV, AT = wv.UP, wv.UV, wv.AT


class Authenticator:
    """A passkey: an ES256 key, a credential id, a counter, the user handle it was made for."""

    def __init__(self, seed):
        self.key = wv.es256_key(seed)
        self.cred_id = hashlib.sha256(b'cred ' + seed).digest()
        self.count = 0
        self.user_handle = None

    def create(self, options, origin, typ='webauthn.create', fmt='none', pki=None, chain=None):
        """fmt 'none'; 'packed' with self attestation, or full with pki's key and chain."""
        self.user_handle = b64u_dec(options['user']['id'])
        cd = wv.client_data(typ, b64u_dec(options['challenge']), origin)
        ad = wv.auth_data(UP | UV | AT, self.count, options['rp']['id'],
                          (wv.AAGUID if fmt == 'packed' else bytes(16), self.cred_id,
                           self.key.cose()))
        signed = ad + hashlib.sha256(cd).digest()
        if fmt == 'none':
            stmt = {}
        elif chain is None:
            stmt = {'alg': self.key.alg, 'sig': self.key.sign(signed)}
        else:
            stmt = {'alg': wv.ALG_ES256, 'sig': pki['att_key'].sign(signed), 'x5c': chain}
        ao = wv.cbor({'fmt': fmt, 'attStmt': stmt, 'authData': ad})
        return {'challenge': options['challenge'], 'client_data_json': b64u(cd),
                'attestation_object': b64u(ao)}

    def get(self, options, origin, rp_id=None, flags=UP | UV, typ='webauthn.get',
            count=None, user_handle=None, tamper=False, cred_id=None):
        if count is None:
            self.count += 1
            count = self.count
        cd = wv.client_data(typ, b64u_dec(options['challenge']), origin)
        ad = wv.auth_data(flags, count, rp_id or options['rpId'])
        sig = self.key.sign(ad + hashlib.sha256(cd).digest())
        if tamper:
            sig = sig[:10] + bytes([sig[10] ^ 1]) + sig[11:]
        uh = user_handle if user_handle is not None else self.user_handle
        return {'challenge': options['challenge'], 'credential_id': b64u(cred_id or self.cred_id),
                'client_data_json': b64u(cd), 'authenticator_data': b64u(ad),
                'signature': b64u(sig), 'user_handle': b64u(uh) if uh else ''}
