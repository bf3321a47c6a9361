#!/usr/bin/env python3
"""Client authentication at /token, /revoke, /introspect: private_key_jwt (RFC 7523,
OpenID Connect Core 9) with registered jwks and with a jwks_uri, and public clients
(token_endpoint_auth_method none).

Assertions are built here by hand with python3-cryptography (no JWT library): RS256,
PS256, ES256, EdDSA, plus the classic forgeries (alg none, HS256 keyed with the public
key). The relying party's jwks_uri is a real HTTP server on loopback in a thread that
counts its requests, so caching, the rate-limited refetch on an unknown kid, the
timeout, the size cap and the no-redirect rule are observed from outside. Case names
follow the OpenID conformance-suite modules where one exists.
"""
import base64
import hashlib
import hmac
import http.server
import json
import os
import sys
import threading
import time
import urllib.parse

try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
except ImportError:     # a python3 without cryptography: Debian's has it
    if sys.executable != '/usr/bin/python3' and os.path.exists('/usr/bin/python3'):
        os.execv('/usr/bin/python3', ['/usr/bin/python3'] + sys.argv)
    raise

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from eidtest import Env, Tap, free_port  # noqa: E402

FORM = 'application/x-www-form-urlencoded'
JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
REFETCH_MIN = 10        # SRV_CLIENT_KEYS_REFETCH_MIN
FETCH_TIMEOUT = 5       # SRV_CLIENT_KEYS_TIMEOUT_MS / 1000


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def uint(n, size=None):
    size = size or (n.bit_length() + 7) // 8
    return b64u(n.to_bytes(size, 'big'))


class Key:
    """A client signing key: private half here, public JWK for the server."""

    def __init__(self, alg, kid):
        self.alg, self.kid = alg, kid
        if alg in ('RS256', 'PS256'):
            self.priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pn = self.priv.public_key().public_numbers()
            self.jwk = {'kty': 'RSA', 'n': uint(pn.n), 'e': uint(pn.e)}
        elif alg == 'ES256':
            self.priv = ec.generate_private_key(ec.SECP256R1())
            pn = self.priv.public_key().public_numbers()
            self.jwk = {'kty': 'EC', 'crv': 'P-256', 'x': uint(pn.x, 32), 'y': uint(pn.y, 32)}
        else:
            self.priv = ed25519.Ed25519PrivateKey.generate()
            raw = self.priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            self.jwk = {'kty': 'OKP', 'crv': 'Ed25519', 'x': b64u(raw)}
        self.jwk.update({'kid': kid, 'alg': alg, 'use': 'sig'})

    def sign(self, data):
        if self.alg == 'RS256':
            return self.priv.sign(data, padding.PKCS1v15(), hashes.SHA256())
        if self.alg == 'PS256':
            return self.priv.sign(data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                                  hashes.SHA256())
        if self.alg == 'ES256':
            r, s = decode_dss_signature(self.priv.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, 'big') + s.to_bytes(32, 'big')
        return self.priv.sign(data)

    def public_pem(self):
        return self.priv.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)


def jwks(*keys):
    return {'keys': [k.jwk for k in keys]}


_jti = [0]


def claims_for(cid, aud, **over):
    _jti[0] += 1
    now = int(time.time())
    c = {'iss': cid, 'sub': cid, 'aud': aud, 'iat': now, 'exp': now + 120,
         'jti': 'jti-%d-%s' % (_jti[0], b64u(os.urandom(9)))}
    for k, v in over.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def assertion(key, claims, header=None):
    h = header if header is not None else {'alg': key.alg, 'kid': key.kid, 'typ': 'JWT'}
    si = b64u(json.dumps(h).encode()) + '.' + b64u(json.dumps(claims).encode())
    return si + '.' + b64u(key.sign(si.encode()))


def unsigned(header, claims, sig=b''):
    return b64u(json.dumps(header).encode()) + '.' + b64u(json.dumps(claims).encode()) + '.' + b64u(sig)


# -- the relying party's jwks_uri: a loopback HTTP server that counts requests --

class RP:
    def __init__(self):
        self.lock = threading.Lock()
        self.routes = {}        # path -> dict(body=bytes, status=int, delay=float, headers={}, length=bool)
        self.hits = {}
        rp = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with rp.lock:
                    rp.hits[self.path] = rp.hits.get(self.path, 0) + 1
                    route = dict(rp.routes.get(self.path, {'status': 404, 'body': b'not found'}))
                if route.get('delay'):
                    time.sleep(route['delay'])
                try:
                    self.send_response(route.get('status', 200))
                    self.send_header('Content-Type', route.get('ctype', 'application/jwk-set+json'))
                    for k, v in route.get('headers', {}).items():
                        self.send_header(k, v)
                    if route.get('length', True):
                        self.send_header('Content-Length', str(len(route['body'])))
                    self.end_headers()
                    self.wfile.write(route['body'])
                except OSError:
                    pass        # eidd gave up (timeout, size cap): expected

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return 'http://127.0.0.1:%d%s' % (self.port, path)

    def serve(self, path, body, **kw):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        with self.lock:
            self.routes[path] = dict(kw, body=body)

    def count(self, path):
        with self.lock:
            return self.hits.get(path, 0)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def post(env, path, params, auth=None, raw=None, timeout=20):
    headers = {'Content-Type': FORM}
    if auth is not None:
        headers['Authorization'] = auth
    body = raw if raw is not None else urllib.parse.urlencode(params)
    st, h, data = env.request('POST', path, body=body, headers=headers, timeout=timeout)
    try:
        js = json.loads(data) if data else None
    except ValueError:
        js = None
    return st, h, js


def basic(cid, secret):
    raw = '%s:%s' % (urllib.parse.quote_plus(cid), urllib.parse.quote_plus(secret))
    return 'Basic ' + base64.b64encode(raw.encode()).decode()


def cc_with(env, a, client_id=None, atype=JWT_BEARER, path='/token', extra=None):
    p = {'grant_type': 'client_credentials', 'client_assertion_type': atype, 'client_assertion': a}
    if path != '/token':
        p = {'token': 'x', 'client_assertion_type': atype, 'client_assertion': a}
    if client_id is not None:
        p['client_id'] = client_id
    p.update(extra or {})
    return post(env, path, p)


t = Tap()
env = Env()
rp = RP()
try:
    iss = env.issuer
    tok_ep = iss + '/token'
    keys = {alg: Key(alg, 'k-' + alg.lower()) for alg in ('RS256', 'PS256', 'ES256', 'EdDSA')}
    other_key = Key('ES256', 'other-es')
    jwks_path = os.path.join(env.dir, 'pk.jwks')
    with open(jwks_path, 'w') as f:
        json.dump(jwks(*keys.values()), f)
    other_path = os.path.join(env.dir, 'other.jwks')
    with open(other_path, 'w') as f:
        json.dump(jwks(other_key), f)

    def add(name, *args):
        rc, c, err = env.ctl_json('client', 'add', '--name', name, *args)
        t.ok(rc == 0 and c and c.get('client_id'), 'eidctl client add: %s' % name, err)
        return c or {}

    cc = ['--grant', 'client_credentials', '--scope', 'document_verify']
    pk = add('Assertion client', *cc, '--auth-method', 'private_key_jwt', '--jwks', jwks_path)
    other = add('Other assertion client', *cc, '--auth-method', 'private_key_jwt', '--jwks', other_path)
    sec = add('Secret client', *cc)
    pub = add('Public app', '--redirect-uri', 'https://app.example.vn/cb', '--scope', 'openid profile',
              '--auth-method', 'none')
    t.ok('client_secret' not in pub and 'client_secret' not in pk, 'no secret is issued for none / private_key_jwt',
         (pub, pk))
    # jwks_uri clients, one per scenario (each has its own cache entry and rate limit)
    rot_a, rot_b = Key('ES256', 'rot-a'), Key('ES256', 'rot-b')
    flood_key, slow_key, big_key = Key('EdDSA', 'flood'), Key('ES256', 'slow'), Key('ES256', 'big')
    uri = {}
    for name in ('rot', 'flood', 'slow', 'big', 'bignocl', 'redir', 'r404', 'html', 'target'):
        uri[name] = add('URI client ' + name, *cc, '--auth-method', 'private_key_jwt', '--jwks-uri',
                        rp.url('/%s/jwks' % name))
    rc, _, err = env.ctl_json('client', 'add', '--name', 'x', *cc, '--auth-method', 'private_key_jwt',
                              '--jwks-uri', 'http://rp.example.vn/jwks')
    t.ok(rc != 0 and 'https' in err, 'eidctl refuses a plain-http jwks_uri off loopback', err)
    rp.serve('/rot/jwks', jwks(rot_a))
    rp.serve('/flood/jwks', jwks(flood_key))
    rp.serve('/slow/jwks', jwks(slow_key), delay=FETCH_TIMEOUT + 3)
    big = jwks(big_key)
    big['padding'] = 'x' * (100 * 1024)
    rp.serve('/big/jwks', big)
    rp.serve('/bignocl/jwks', big, length=False)
    rp.serve('/redir/jwks', b'', status=302, headers={'Location': rp.url('/target/jwks')})
    rp.serve('/target/jwks', jwks(big_key))
    rp.serve('/html/jwks', b'<html>keys</html>', ctype='text/html')
    env.start()

    # -- jwks_uri: first fetches early, so the rate-limit interval runs during the rest --
    st, h, tok = cc_with(env, assertion(rot_a, claims_for(uri['rot']['client_id'], tok_ep)))
    t.ok(st == 200 and 'access_token' in (tok or {}), 'oidcc-registration-jwks-uri: private_key_jwt with a jwks_uri key',
         (st, tok))
    rot_first = time.time()
    st, h, tok = cc_with(env, assertion(flood_key, claims_for(uri['flood']['client_id'], tok_ep)))
    t.ok(st == 200, 'jwks_uri client (EdDSA): 200', (st, tok))
    st, h, tok = cc_with(env, assertion(rot_a, claims_for(uri['rot']['client_id'], tok_ep)))
    t.ok(st == 200 and rp.count('/rot/jwks') == 1, 'the jwks_uri response is cached (one fetch for two requests)',
         (st, rp.count('/rot/jwks')))
    codes = set()
    for i in range(10):
        st, h, e = cc_with(env, assertion(Key('EdDSA', 'early-%d' % i), claims_for(uri['flood']['client_id'], tok_ep)))
        codes.add(st)
    t.ok(codes == {401} and rp.count('/flood/jwks') == 1 and time.time() - rot_first < REFETCH_MIN,
         'unknown kids within %ds of the last fetch: 401 and no refetch' % REFETCH_MIN,
         (codes, rp.count('/flood/jwks'), time.time() - rot_first))

    # -- registered jwks: each algorithm --
    for alg, k in keys.items():
        st, h, tok = cc_with(env, assertion(k, claims_for(pk['client_id'], tok_ep)))
        t.ok(st == 200 and (tok or {}).get('token_type') == 'Bearer',
             'ensure-client-assertion-in-token-endpoint (%s): 200' % alg, (st, tok))
    st, h, tok = cc_with(env, assertion(keys['ES256'], claims_for(pk['client_id'], iss)))
    t.ok(st == 200, 'oidcc-ensure-client-assertion-with-iss-aud-succeeds (aud = issuer)', (st, tok))
    st, h, tok = cc_with(env, assertion(keys['ES256'], claims_for(pk['client_id'], ['https://x.example', tok_ep])))
    t.ok(st == 200, 'aud as an array holding the token endpoint', (st, tok))
    st, h, tok = cc_with(env, assertion(keys['PS256'], claims_for(pk['client_id'], tok_ep)), client_id=pk['client_id'])
    t.ok(st == 200, 'a client_id parameter naming the same client', (st, tok))
    st, h, tok = cc_with(env, assertion(keys['EdDSA'], claims_for(pk['client_id'], tok_ep),
                                        header={'alg': 'EdDSA'}))
    t.ok(st == 200, 'no kid: the only key of the algorithm is used', (st, tok))

    # the reference failure answer
    st, h, e401 = post(env, '/token', {'grant_type': 'client_credentials'}, auth=basic(sec['client_id'], 'w' * 43))
    t.ok(st == 401 and (e401 or {}).get('error') == 'invalid_client', 'control: wrong secret is 401', (st, e401))

    def refused(name, a, **kw):
        st, h, e = cc_with(env, a, **kw)
        t.ok(st == 401 and e == e401 and h.get('www-authenticate') == 'Basic realm="eid"',
             '%s: 401 invalid_client, the generic answer' % name, (st, e, h.get('www-authenticate')))

    a = assertion(keys['ES256'], claims_for(pk['client_id'], tok_ep))
    st, h, tok = cc_with(env, a)
    t.eq(st, 200, 'replay: the first use of an assertion works')
    refused('replay: the same jti again', a)
    c = claims_for(pk['client_id'], tok_ep)
    st, h, tok = cc_with(env, assertion(keys['RS256'], c))
    t.eq(st, 200, 'replay: an assertion with a fresh jti works')
    refused('replay: the same jti in another assertion (other key, new signature)', assertion(keys['EdDSA'], c))
    refused('ensure-client-assertion-with-wrong-aud-fails', assertion(keys['ES256'],
            claims_for(pk['client_id'], 'https://other-op.example/token')))
    refused('aud = the introspection endpoint', assertion(keys['ES256'], claims_for(pk['client_id'], iss + '/introspect')))
    now = int(time.time())
    refused('ensure-client-assertion-with-exp-is-5-minutes-in-past-fails', assertion(
        keys['ES256'], claims_for(pk['client_id'], tok_ep, iat=now - 360, exp=now - 300)))
    refused('no exp', assertion(keys['ES256'], claims_for(pk['client_id'], tok_ep, exp=None)))
    refused('a long-lived assertion (exp in 1 hour)', assertion(keys['ES256'],
            claims_for(pk['client_id'], tok_ep, exp=now + 3600)))
    refused('iat in the future', assertion(keys['ES256'], claims_for(pk['client_id'], tok_ep, iat=now + 600,
                                                                     exp=now + 700)))
    refused('ensure-client-assertion-with-no-sub-fails', assertion(keys['ES256'],
            claims_for(pk['client_id'], tok_ep, sub=None)))
    refused('ensure-client-assertion-with-wrong-iss-fails (iss != sub = client_id parameter)', assertion(
        keys['ES256'], claims_for(pk['client_id'], tok_ep, iss=other['client_id'])), client_id=pk['client_id'])
    refused('iss names another client, no client_id parameter (its keys do not verify)', assertion(
        keys['ES256'], claims_for(pk['client_id'], tok_ep, iss=other['client_id'])))
    refused('sub names another client', assertion(keys['ES256'], claims_for(pk['client_id'], tok_ep,
                                                                            sub=other['client_id'])))
    refused('no jti', assertion(keys['ES256'], claims_for(pk['client_id'], tok_ep, jti=None)))
    refused('client_id parameter naming another client', assertion(keys['ES256'], claims_for(pk['client_id'], tok_ep)),
            client_id=other['client_id'])
    refused('wrong client_assertion_type', assertion(keys['ES256'], claims_for(pk['client_id'], tok_ep)),
            atype='urn:ietf:params:oauth:client-assertion-type:saml2-bearer')
    refused('alg none', unsigned({'alg': 'none'}, claims_for(pk['client_id'], tok_ep)))
    refused('alg none with a kid and a signature', unsigned({'alg': 'none', 'kid': 'k-es256'},
                                                           claims_for(pk['client_id'], tok_ep), b'x' * 64))
    for label, secret in (('its PEM', keys['RS256'].public_pem()),
                          ('its JWK', json.dumps(keys['RS256'].jwk).encode())):
        si = b64u(json.dumps({'alg': 'HS256', 'kid': 'k-rs256'}).encode()) + '.' + \
            b64u(json.dumps(claims_for(pk['client_id'], tok_ep)).encode())
        refused('HS256 keyed with the public key (%s)' % label,
                si + '.' + b64u(hmac.new(secret, si.encode(), hashlib.sha256).digest()))
    refused("another client's key (its own kid)", assertion(other_key, claims_for(pk['client_id'], tok_ep)))
    refused("another client's key under this client's kid", assertion(
        other_key, claims_for(pk['client_id'], tok_ep), header={'alg': 'ES256', 'kid': 'k-es256'}))
    refused('signed for the other client, presented as this one', assertion(other_key,
            claims_for(other['client_id'], tok_ep)), client_id=pk['client_id'])
    good = assertion(keys['ES256'], claims_for(pk['client_id'], tok_ep))
    hp, pp, sp = good.split('.')
    refused('tampered signature', hp + '.' + pp + '.' + ('A' if sp[0] != 'A' else 'B') + sp[1:])
    refused('client registered for secrets presenting an assertion', assertion(
        keys['ES256'], claims_for(sec['client_id'], tok_ep)), client_id=sec['client_id'])
    refused('unknown client', assertion(keys['ES256'], claims_for('no-such-client', tok_ep)))
    st, h, e = post(env, '/token', {'grant_type': 'client_credentials'}, auth=basic(pk['client_id'], 'x' * 43))
    t.ok(st == 401 and e == e401, 'a private_key_jwt client cannot use a secret', (st, e))
    st, h, tok = post(env, '/token', {'grant_type': 'client_credentials'}, auth=basic(sec['client_id'], sec['client_secret']))
    t.ok(st == 200, 'control: the secret client still authenticates with its secret', (st, tok))
    st, h, e = post(env, '/token', {'grant_type': 'client_credentials', 'client_assertion_type': JWT_BEARER,
                                    'client_assertion': good, 'client_secret': 'x'})
    t.ok(st == 400 and (e or {}).get('error') == 'invalid_request', 'an assertion and a secret together: 400', (st, e))

    # -- malformed assertions: 4xx, never 500 --
    for label, a in (('garbage', 'garbage'), ('three dots', 'a.b.c.d'), ('empty segments', '..'),
                     ('not base64url', '!!.##.$$'), ('header not JSON', b64u(b'{') + '.' + b64u(b'{}') + '.AA'),
                     ('empty', '')):
        st, h, e = cc_with(env, a)
        t.ok(st == 401 and e == e401, 'malformed assertion (%s): 401' % label, (st, e))
    for label, n in (('5 KB', 5 * 1024), ('100 KB', 100 * 1024)):
        a = 'eyJhbGciOiJFUzI1NiJ9.' + 'A' * n + '.AAAA'
        st, h, e = cc_with(env, a)
        t.ok(st in (400, 401, 413), 'a %s assertion: refused with a 4xx (%d), not 500' % (label, st), (st, e))

    # -- Redis down: the replay cache cannot be consulted, so 503, not 401 and not 200 --
    env.redis.stop()
    st, h, e = cc_with(env, assertion(keys['ES256'], claims_for(pk['client_id'], tok_ep)))
    t.ok(st == 503 and (e or {}).get('error') == 'temporarily_unavailable',
         'Redis down: a valid assertion gets 503 (the jti cannot be recorded)', (st, e))
    env.redis.start()
    deadline = time.time() + 10
    while time.time() < deadline:
        st, h, tok = cc_with(env, assertion(keys['ES256'], claims_for(pk['client_id'], tok_ep)))
        if st == 200:
            break
        time.sleep(0.2)
    t.eq(st, 200, 'Redis back: assertions work again')

    # -- jwks_uri failure modes (each entry fetches once, then is rate-limited) --
    t0 = time.time()
    st, h, e = cc_with(env, assertion(slow_key, claims_for(uri['slow']['client_id'], tok_ep)), )
    took = time.time() - t0
    t.ok(st == 401 and e == e401 and took < FETCH_TIMEOUT + 2,
         'a jwks_uri slower than the timeout: 401 after about %ds (took %.1fs)' % (FETCH_TIMEOUT, took), (st, e))
    t0 = time.time()
    st, h, e = cc_with(env, assertion(slow_key, claims_for(uri['slow']['client_id'], tok_ep)))
    took = time.time() - t0
    t.ok(st == 401 and took < 1.5 and rp.count('/slow/jwks') == 1,
         'right after a failed fetch: 401 at once, no new fetch (%.2fs)' % took, (st, rp.count('/slow/jwks')))
    for name, label in (('big', 'an oversized jwks response (100 KB, Content-Length)'),
                        ('bignocl', 'an oversized jwks response (100 KB, no Content-Length)'),
                        ('html', 'a jwks_uri answering HTML'),
                        ('r404', 'a jwks_uri answering 404')):
        st, h, e = cc_with(env, assertion(big_key, claims_for(uri[name]['client_id'], tok_ep)))
        t.ok(st == 401 and e == e401 and rp.count('/%s/jwks' % name) == 1, '%s: 401' % label,
             (st, e, rp.count('/%s/jwks' % name)))
    st, h, e = cc_with(env, assertion(big_key, claims_for(uri['redir']['client_id'], tok_ep)))
    t.ok(st == 401 and rp.count('/redir/jwks') == 1 and rp.count('/target/jwks') == 0,
         'a redirecting jwks_uri: 401, the redirect is not followed', (st, rp.count('/target/jwks')))
    st, h, tok = cc_with(env, assertion(big_key, claims_for(uri['target']['client_id'], tok_ep)))
    t.ok(st == 200, 'control: the redirect target itself serves a good JWKS', (st, tok))

    # -- public clients (none) --
    pid = pub['client_id']
    st, h, e = post(env, '/token', {'grant_type': 'authorization_code', 'client_id': pid, 'code': 'nope',
                                    'redirect_uri': 'https://app.example.vn/cb', 'code_verifier': 'v' * 43})
    t.ok(st == 400 and (e or {}).get('error') not in (None, 'invalid_client'),
         'none: a public client authenticates at /token with client_id alone (then the grant decides: %s)'
         % (e or {}).get('error'), (st, e))
    st, h, e = post(env, '/token', {'grant_type': 'client_credentials', 'client_id': pid})
    t.ok(st == 400 and (e or {}).get('error') == 'unauthorized_client',
         'none: client_credentials is not a public client\'s grant (unauthorized_client, after authentication)', (st, e))
    st, h, body = env.request('POST', '/revoke', body=urllib.parse.urlencode({'token': 'x.y.z', 'client_id': pid}),
                              headers={'Content-Type': FORM})
    t.ok(st == 200 and body == b'', 'none: a public client may revoke (RFC 7009 2.1)', (st, body))
    st, h, e = post(env, '/introspect', {'token': 'x.y.z', 'client_id': pid})
    t.ok(st == 401 and e == e401, 'none: a public client may not introspect', (st, e))
    for label, cid in (('a secret client', sec['client_id']), ('a private_key_jwt client', pk['client_id']),
                       ('an unknown client', 'no-such-client')):
        st, h, e = post(env, '/token', {'grant_type': 'client_credentials', 'client_id': cid})
        t.ok(st == 401 and e == e401, 'none: %s with client_id alone at /token: 401' % label, (st, e))
        st, h, e = post(env, '/revoke', {'token': 'x.y.z', 'client_id': cid})
        t.ok(st == 401 and e == e401, 'none: %s with client_id alone at /revoke: 401' % label, (st, e))

    # -- private_key_jwt at the other endpoints --
    st, h, i = cc_with(env, assertion(keys['ES256'], claims_for(pk['client_id'], tok_ep)), path='/introspect')
    t.ok(st == 200 and i == {'active': False}, 'private_key_jwt at /introspect (aud = token endpoint)', (st, i))
    st, h, e = cc_with(env, assertion(keys['ES256'], claims_for(pk['client_id'], tok_ep, jti=None)), path='/revoke')
    t.ok(st == 401, 'an invalid assertion at /revoke: 401', (st, e))

    # -- key rotation at the RP and the refetch budget: wait out the interval --
    rp.serve('/rot/jwks', jwks(rot_b))
    wait = rot_first + REFETCH_MIN + 0.5 - time.time()
    if wait > 0:
        time.sleep(wait)
    n0 = rp.count('/rot/jwks')
    st, h, tok = cc_with(env, assertion(rot_b, claims_for(uri['rot']['client_id'], tok_ep)))
    t.ok(st == 200 and rp.count('/rot/jwks') == n0 + 1,
         'oidcc-refresh-token-rp-key-rotation: an unknown kid refetches the jwks_uri once and the new key works',
         (st, tok, rp.count('/rot/jwks')))
    st, h, e = cc_with(env, assertion(rot_a, claims_for(uri['rot']['client_id'], tok_ep)))
    t.ok(st == 401 and rp.count('/rot/jwks') == n0 + 1, 'the rotated-out key is refused, without another fetch',
         (st, rp.count('/rot/jwks')))

    n0 = rp.count('/flood/jwks')
    for i in range(30):
        k = Key('EdDSA', 'made-up-%d' % i)
        st, h, e = cc_with(env, assertion(k, claims_for(uri['flood']['client_id'], tok_ep)))
        if st != 401:
            break
    t.ok(st == 401, 'a flood of 30 assertions with made-up kids: all 401', st)
    t.ok(rp.count('/flood/jwks') - n0 == 1,
         'the flood caused exactly one refetch (got %d; unbounded would be 30)' % (rp.count('/flood/jwks') - n0))
    st, h, tok = cc_with(env, assertion(flood_key, claims_for(uri['flood']['client_id'], tok_ep)))
    t.ok(st == 200, 'the real key still works after the flood', (st, tok))

    # -- the log: reasons, never the assertion --
    log = env.logtext()
    t.ok(all('"reason":"%s"' % r in log for r in ('replay', 'aud', 'alg', 'iss', 'sub', 'expired', 'lifetime',
                                                  'jti', 'kid', 'signature', 'keys', 'method', 'endpoint')),
         'failures are logged with a reason code', [l for l in log.splitlines() if 'client_auth_failed' in l][:5])
    t.ok(good not in log and hp not in log and pp not in log, 'no assertion reaches the log')
    rc = env.stop()
    t.eq(rc, 0, 'eidd exits cleanly (the key cache is freed: no leaks under ASan)')
finally:
    env.close()
    rp.close()
sys.exit(t.done())
