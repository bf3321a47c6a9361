"""oidctest.py - what the OpenID Connect integration tests share: a tiny browser (cookie
jar, no automatic redirects), TOTP, PKCE, JWT signature checks against /jwks for every
algorithm we sign with, and the whole sign-in + consent + code flow as one call.

Everything goes over real sockets to a real eidd (tests/lib/eidtest.py); signatures are
checked with python3-cryptography, independently of the server's own code.
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import struct
import sys
import time
import urllib.parse

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
except ImportError:     # a python3 without cryptography: Debian's has it
    if sys.executable != '/usr/bin/python3' and os.path.exists('/usr/bin/python3'):
        os.execv('/usr/bin/python3', ['/usr/bin/python3'] + sys.argv)
    raise

FORM = 'application/x-www-form-urlencoded'
PASSWORD = 'correct horse battery staple'


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def b64u_dec(s):
    return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))


def basic(cid, secret):
    raw = '%s:%s' % (urllib.parse.quote_plus(cid), urllib.parse.quote_plus(secret))
    return 'Basic ' + base64.b64encode(raw.encode()).decode()


def totp(secret, t=None, step=30):
    """RFC 6238 with HMAC-SHA-1, 6 digits."""
    counter = int((time.time() if t is None else t) // step)
    mac = hmac.new(secret, struct.pack('>Q', counter), hashlib.sha1).digest()
    off = mac[19] & 15
    v = struct.unpack('>I', mac[off:off + 4])[0] & 0x7fffffff
    return '%06d' % (v % 1000000)


def secret_of(uri):
    q = urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)
    b32 = q['secret'][0]
    return base64.b32decode(b32 + '=' * (-len(b32) % 8))


def fresh_code(secret, used):
    """A TOTP code whose 30 s step was not used yet (the server refuses a reused one)."""
    while True:
        now = time.time()
        for off in (0, 30, -30):
            counter = int((now + off) // 30)
            if counter not in used:
                used.add(counter)
                return totp(secret, counter * 30)
        time.sleep(1)


def pkce_pair():
    verifier = b64u(os.urandom(32))
    return verifier, b64u(hashlib.sha256(verifier.encode()).digest())


class Browser:
    """Cookie jar + requests without following redirects."""

    def __init__(self, env):
        self.env = env
        self.cookies = {}

    def request(self, method, path, fields=None, headers=None):
        c = http.client.HTTPConnection('127.0.0.1', self.env.port, timeout=30)
        h = dict(headers or {})
        if self.cookies:
            h['Cookie'] = '; '.join('%s=%s' % kv for kv in self.cookies.items())
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            h['Content-Type'] = FORM
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read().decode('utf-8', 'replace')
            for sc in r.msg.get_all('Set-Cookie') or []:
                name, _, rest = sc.partition('=')
                if 'Max-Age=0' in sc:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = rest.split(';')[0]
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def get(self, path, headers=None):
        return self.request('GET', path, headers=headers)


def local_path(location, env):
    """A Location on our issuer as a path, or None if it points elsewhere."""
    if location.startswith(env.issuer):
        return location[len(env.issuer):]
    if location.startswith('/'):
        return location
    return None


def form_fields(html):
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def unescape(s):
    return (s.replace('&quot;', '"').replace('&#39;', "'").replace('&lt;', '<')
            .replace('&gt;', '>').replace('&amp;', '&'))


class Citizen:
    def __init__(self, env, idn='001090012345', name='Nguyễn Văn Mẫu', birth='1990-05-17'):
        rc, z, err = env.ctl_json('citizen', 'add', '--id-number', idn, '--name', name,
                                  '--birth-date', birth, '--password', PASSWORD)
        if rc != 0 or not z:
            raise RuntimeError('citizen add failed: %s' % err)
        self.idn = idn
        self.name = name
        self.birth = birth
        self.account = z.get('account_id')
        self.secret = secret_of(z['totp_uri'])
        self.used = set()

    def otp(self):
        return fresh_code(self.secret, self.used)


def authorize_query(client_id, redirect_uri, challenge, scope='openid profile', state='st-1',
                    nonce='n-1', **extra):
    q = {'response_type': 'code', 'client_id': client_id, 'redirect_uri': redirect_uri,
         'scope': scope, 'code_challenge': challenge, 'code_challenge_method': 'S256'}
    if state is not None:
        q['state'] = state
    if nonce is not None:
        q['nonce'] = nonce
    q.update(extra)
    return '/authorize?' + urllib.parse.urlencode(q)


def sign_in(br, citizen, path):
    """From a /login?return_to=... path: post the form, return the response."""
    st, h, body = br.get(path)
    if st != 200:
        return st, h, body
    f = form_fields(body)
    fields = {'csrf': f.get('csrf', ''), 'return_to': unescape(f.get('return_to', '/')),
              'lang': f.get('lang', 'en'), 'username': citizen.idn, 'password': PASSWORD,
              'otp': citizen.otp()}
    return br.request('POST', '/login', fields)


def run_flow(env, br, citizen, query, consent='allow', max_steps=8):
    """Follow /authorize through sign-in and consent until a response leaves the issuer.
    Returns (status, headers, body, trace): a 303 to the client, a form_post page, or the
    page where it stopped."""
    trace = []
    st, h, body = br.get(query)
    for _ in range(max_steps):
        trace.append(st)
        if st == 303:
            loc = h.get('location', '')
            path = local_path(loc, env)
            if path is None:
                return st, h, body, trace
            if path.startswith('/login'):
                st, h, body = sign_in(br, citizen, path)
                continue
            st, h, body = br.get(path)
            continue
        if st == 200 and 'action="/consent"' in body:
            f = form_fields(body)
            st, h, body = br.request('POST', '/consent', {'csrf': f['csrf'], 'areq': f['areq'],
                                                          'lang': f.get('lang', 'en'),
                                                          'decision': consent})
            continue
        return st, h, body, trace
    return st, h, body, trace


def redirect_params(h):
    loc = h.get('location', '')
    return urllib.parse.parse_qs(urllib.parse.urlparse(loc).query), loc


def post_form(env, path, params, auth=None, headers=None):
    hd = {'Content-Type': FORM}
    if auth is not None:
        hd['Authorization'] = auth
    hd.update(headers or {})
    st, h, data = env.request('POST', path, body=urllib.parse.urlencode(params), headers=hd)
    try:
        js = json.loads(data) if data else None
    except ValueError:
        js = None
    return st, h, js


def jwt_parts(tok):
    h, p, s = tok.split('.')
    return json.loads(b64u_dec(h)), json.loads(b64u_dec(p)), b64u_dec(s), (h + '.' + p).encode()


def verify_jwt(tok, jwks):
    """Verify a compact JWS against a JWKS (RS256, PS256, ES256, EdDSA). Returns
    (header, claims) or None."""
    header, claims, sig, si = jwt_parts(tok)
    keys = [k for k in jwks['keys'] if k.get('kid') == header.get('kid')]
    if len(keys) != 1:
        return None
    k, alg = keys[0], header.get('alg')
    try:
        if alg in ('RS256', 'PS256') and k['kty'] == 'RSA':
            pub = rsa.RSAPublicNumbers(int.from_bytes(b64u_dec(k['e']), 'big'),
                                       int.from_bytes(b64u_dec(k['n']), 'big')).public_key()
            pad = padding.PKCS1v15() if alg == 'RS256' else padding.PSS(
                mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
            pub.verify(sig, si, pad, hashes.SHA256())
        elif alg == 'ES256' and k['kty'] == 'EC' and len(sig) == 64:
            pub = ec.EllipticCurvePublicNumbers(int.from_bytes(b64u_dec(k['x']), 'big'),
                                                int.from_bytes(b64u_dec(k['y']), 'big'),
                                                ec.SECP256R1()).public_key()
            der = encode_dss_signature(int.from_bytes(sig[:32], 'big'), int.from_bytes(sig[32:], 'big'))
            pub.verify(der, si, ec.ECDSA(hashes.SHA256()))
        elif alg == 'EdDSA' and k['kty'] == 'OKP':
            ed25519.Ed25519PublicKey.from_public_bytes(b64u_dec(k['x'])).verify(sig, si)
        else:
            return None
    except InvalidSignature:
        return None
    return header, claims


def at_hash(access_token, alg):
    h = hashlib.sha512 if alg == 'EdDSA' else hashlib.sha256
    d = h(access_token.encode()).digest()
    return b64u(d[:len(d) // 2])
