#!/usr/bin/env python3
"""OAuth/OIDC token side: discovery, /token (client_credentials), /introspect, /revoke.

Access tokens are checked independently of the server's C code: the signature with
python3-cryptography against the keys /jwks publishes, the header and claims per
RFC 9068. Forged tokens (expired, wrong typ, wrong issuer) are signed with the server's
own key file from the data directory, so only the claim checks can refuse them.
"""
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from eidtest import Env, Tap  # noqa: E402
# oidctest first: it runs this script again under /usr/bin/python3 when this python3 has
# no cryptography
from oidctest import FORM, b64u, b64u_dec, basic  # noqa: E402
from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import (decode_dss_signature,  # noqa: E402
                                                             encode_dss_signature)


def post(env, path, params, auth=None, ctype=FORM, raw=None):
    headers = {'Content-Type': ctype} if ctype else {}
    if auth is not None:
        headers['Authorization'] = auth
    body = raw if raw is not None else urllib.parse.urlencode(params)
    st, h, data = env.request('POST', path, body=body, headers=headers)
    try:
        js = json.loads(data) if data else None
    except ValueError:
        js = None
    return st, h, js


def jwt_parts(tok):
    h, p, s = tok.split('.')
    return json.loads(b64u_dec(h)), json.loads(b64u_dec(p)), b64u_dec(s), (h + '.' + p).encode()


def verify_es256(tok, jwks):
    header, claims, sig, signing_input = jwt_parts(tok)
    keys = [k for k in jwks['keys'] if k.get('kid') == header.get('kid')]
    if len(keys) != 1 or keys[0]['kty'] != 'EC' or keys[0]['crv'] != 'P-256' or len(sig) != 64:
        return False
    k = keys[0]
    pub = ec.EllipticCurvePublicNumbers(int.from_bytes(b64u_dec(k['x']), 'big'),
                                        int.from_bytes(b64u_dec(k['y']), 'big'),
                                        ec.SECP256R1()).public_key()
    der = encode_dss_signature(int.from_bytes(sig[:32], 'big'), int.from_bytes(sig[32:], 'big'))
    try:
        pub.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


def sign_es256(priv, kid, header_extra, claims):
    header = {'alg': 'ES256', 'kid': kid}
    header.update(header_extra)
    si = b64u(json.dumps(header).encode()) + '.' + b64u(json.dumps(claims).encode())
    r, s = decode_dss_signature(priv.sign(si.encode(), ec.ECDSA(hashes.SHA256())))
    return si + '.' + b64u(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))


t = Tap()
env = Env()
try:
    rc, cc, err = env.ctl_json('client', 'add', '--name', 'Bank kiosk', '--grant', 'client_credentials',
                               '--scope', 'openid document_verify profile')
    t.ok(rc == 0, 'a client_credentials client with client_secret_basic', err)
    rc, pc, err = env.ctl_json('client', 'add', '--name', 'Post client', '--grant', 'client_credentials',
                               '--scope', 'document_verify', '--auth-method', 'client_secret_post')
    t.ok(rc == 0, 'a client_credentials client with client_secret_post', err)
    rc, ac, err = env.ctl_json('client', 'add', '--name', 'Web portal', '--redirect-uri',
                               'https://portal.example.vn/cb', '--scope', 'openid profile')
    t.ok(rc == 0, 'an authorization_code-only client', err)
    env.start()
    iss = env.issuer

    # -- discovery --
    st, h, d = env.get_json('/.well-known/openid-configuration')
    t.eq(st, 200, 'discovery answers 200')
    d = d or {}
    t.eq(d.get('issuer'), iss, 'discovery issuer is the configured issuer')
    urls = ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri',
            'introspection_endpoint', 'revocation_endpoint', 'end_session_endpoint']
    t.ok(all(isinstance(d.get(u), str) and d[u].startswith(iss + '/') for u in urls),
         'every endpoint URL starts with the issuer', d)
    t.eq((d.get('token_endpoint'), d.get('jwks_uri'), d.get('introspection_endpoint'), d.get('revocation_endpoint')),
         (iss + '/token', iss + '/jwks', iss + '/introspect', iss + '/revoke'), 'the served endpoints are advertised')
    want = {
        'response_types_supported': ['code'],
        'response_modes_supported': ['query', 'form_post'],
        'subject_types_supported': ['pairwise', 'public'],
        'id_token_signing_alg_values_supported': ['RS256', 'PS256', 'ES256', 'EdDSA'],
        'code_challenge_methods_supported': ['S256'],
        'acr_values_supported': ['urn:eid:level:1', 'urn:eid:level:2'],
        'ui_locales_supported': ['vi', 'en'],
        'authorization_response_iss_parameter_supported': True,
        'backchannel_logout_supported': True,
        'backchannel_logout_session_supported': True,
        'request_parameter_supported': False,
    }
    t.eq({k: d.get(k) for k in want}, want, 'discovery fixed values')
    t.ok('client_credentials' in d.get('grant_types_supported', []) and
         {'client_secret_basic', 'client_secret_post'} <= set(d.get('token_endpoint_auth_methods_supported', [])) and
         'ES256' in d.get('token_endpoint_auth_signing_alg_values_supported', []),
         'grant types and auth methods advertised', d)
    t.ok({'openid', 'profile', 'document_verify', 'offline_access'} <= set(d.get('scopes_supported', [])) and
         'sub' in d.get('claims_supported', []), 'scopes_supported and claims_supported', d)
    t.ok('max-age=3600' in h.get('cache-control', ''), 'discovery is cacheable', h)
    st2, h2, d2 = env.get_json('/.well-known/openid-configuration')
    t.eq(d2, d, 'discovery is stable across requests')

    # -- client_credentials --
    st, h, tok = post(env, '/token', {'grant_type': 'client_credentials'}, auth=basic(cc['client_id'], cc['client_secret']))
    t.eq(st, 200, 'client_credentials with client_secret_basic: 200')
    tok = tok or {}
    t.eq((tok.get('token_type'), tok.get('expires_in'), tok.get('scope')), ('Bearer', 300, 'document_verify profile'),
         'token_type Bearer, expires_in 300, default scope = registered minus openid')
    t.ok(h.get('cache-control') == 'no-store' and h.get('pragma') == 'no-cache',
         'token response has Cache-Control: no-store and Pragma: no-cache', h)
    at = tok.get('access_token', 'x.y.z')
    st, h, jwks = env.get_json('/jwks')
    t.ok(verify_es256(at, jwks), 'the access token verifies against /jwks (ES256, python cryptography)')
    hdr, cl, _, _ = jwt_parts(at)
    t.eq((hdr.get('typ'), hdr.get('alg'), 'kid' in hdr), ('at+jwt', 'ES256', True), 'header typ at+jwt, alg ES256, kid')
    now = time.time()
    t.ok(cl.get('iss') == iss and cl.get('aud') == iss and cl.get('client_id') == cc['client_id'] and
         cl.get('sub') == cc['client_id'] and cl.get('scope') == 'document_verify profile' and
         abs(cl.get('iat', 0) - now) < 60 and cl.get('exp') == cl.get('iat', 0) + 300 and
         len(b64u_dec(cl.get('jti', ''))) == 16, 'RFC 9068 claims: iss, aud, client_id, sub, scope, iat, exp, jti', cl)
    st, h, tok2 = post(env, '/token', {'grant_type': 'client_credentials'}, auth=basic(cc['client_id'], cc['client_secret']))
    t.ok(st == 200 and jwt_parts(tok2['access_token'])[1]['jti'] != cl.get('jti'), 'every token has a fresh jti')

    st, h, tok = post(env, '/token', {'grant_type': 'client_credentials', 'client_id': pc['client_id'],
                                      'client_secret': pc['client_secret'], 'scope': 'document_verify'})
    t.ok(st == 200 and tok.get('scope') == 'document_verify' and verify_es256(tok['access_token'], jwks),
         'client_credentials with client_secret_post', tok)
    post_at = (tok or {}).get('access_token', '')
    st, h, tok = post(env, '/token', {'grant_type': 'client_credentials', 'scope': 'profile'},
                      auth=basic(cc['client_id'], cc['client_secret']))
    t.ok(st == 200 and tok.get('scope') == 'profile', 'a narrower scope is granted as asked', tok)

    # -- client authentication failures --
    st, h, e1 = post(env, '/token', {'grant_type': 'client_credentials'}, auth=basic(cc['client_id'], 'wrong' * 8))
    t.ok(st == 401 and (e1 or {}).get('error') == 'invalid_client', 'wrong secret: 401 invalid_client', (st, e1))
    t.eq(h.get('www-authenticate'), 'Basic realm="eid"', 'wrong secret: WWW-Authenticate Basic')
    t.eq(h.get('cache-control'), 'no-store', 'error responses are no-store too')
    st, h, e2 = post(env, '/token', {'grant_type': 'client_credentials'}, auth=basic('no-such-client', 'wrong' * 8))
    t.ok(st == 401 and e2 == e1 and h.get('www-authenticate') == 'Basic realm="eid"',
         'unknown client: the same answer as a wrong secret', (st, e1, e2))
    st, h, e3 = post(env, '/token', {'grant_type': 'client_credentials'}, auth=basic(pc['client_id'], pc['client_secret']))
    t.ok(st == 401 and e3 == e1, 'method mismatch (registered post, used basic): 401, same text', (st, e3))
    st, h, e = post(env, '/token', {'grant_type': 'client_credentials', 'client_id': cc['client_id'],
                                    'client_secret': cc['client_secret']})
    t.ok(st == 401 and e == e1, 'method mismatch (registered basic, used post): 401', (st, e))
    st, h, e = post(env, '/token', {'grant_type': 'client_credentials'})
    t.ok(st == 401 and e.get('error') == 'invalid_client' and 'www-authenticate' in h, 'no credentials: 401', (st, e))
    st, h, e = post(env, '/token', {'grant_type': 'client_credentials', 'client_secret': cc['client_secret']},
                    auth=basic(cc['client_id'], cc['client_secret']))
    t.ok(st == 400 and e.get('error') == 'invalid_request', 'two authentication methods: invalid_request', (st, e))
    st, h, e = post(env, '/token', {'grant_type': 'client_credentials'}, auth='Basic %%%notbase64')
    t.ok(st == 401 and e.get('error') == 'invalid_client', 'malformed Basic credentials: 401', (st, e))

    # -- grant and scope decisions --
    st, h, e = post(env, '/token', {'grant_type': 'client_credentials'}, auth=basic(ac['client_id'], ac['client_secret']))
    t.ok(st == 400 and e.get('error') == 'unauthorized_client', 'grant not registered: unauthorized_client', (st, e))
    for scope in ('citizen_id', 'openid', 'document_verify bogus', '', 'profile  document_verify', 'a"b'):
        st, h, e = post(env, '/token', {'grant_type': 'client_credentials', 'scope': scope},
                        auth=basic(cc['client_id'], cc['client_secret']))
        t.ok(st == 400 and (e or {}).get('error') == 'invalid_scope', 'scope %r: invalid_scope' % scope, (st, e))

    # -- request form --
    st, h, e = post(env, '/token', None, auth=basic(cc['client_id'], cc['client_secret']),
                    raw='grant_type=client_credentials&scope=profile&scope=profile')
    t.ok(st == 400 and e.get('error') == 'invalid_request', 'repeated parameter: invalid_request', (st, e))
    st, h, e = post(env, '/token', None, auth=basic(cc['client_id'], cc['client_secret']),
                    raw='grant_type=client_credentials&grant_type=client_credentials')
    t.ok(st == 400 and e.get('error') == 'invalid_request', 'repeated grant_type: invalid_request', (st, e))
    st, h, e = post(env, '/token', {'scope': 'profile'}, auth=basic(cc['client_id'], cc['client_secret']))
    t.ok(st == 400 and e.get('error') == 'invalid_request', 'missing grant_type: invalid_request', (st, e))
    for g in ('password', 'urn:ietf:params:oauth:grant-type:device_code'):
        st, h, e = post(env, '/token', {'grant_type': g}, auth=basic(cc['client_id'], cc['client_secret']))
        t.ok(st == 400 and e.get('error') == 'unsupported_grant_type', 'grant_type %s: unsupported_grant_type' % g, (st, e))
    st, h, e = post(env, '/token', {'grant_type': 'authorization_code'}, auth=basic(cc['client_id'], cc['client_secret']))
    t.ok(st == 400 and e.get('error') == 'unauthorized_client',
         'authorization_code for a client_credentials-only client: unauthorized_client', (st, e))
    st, h, e = post(env, '/token', None, auth=basic(cc['client_id'], cc['client_secret']), ctype='application/json',
                    raw=json.dumps({'grant_type': 'client_credentials'}))
    t.ok(st == 400 and e.get('error') == 'invalid_request' and h.get('cache-control') == 'no-store',
         'a JSON body: 400 invalid_request', (st, e, h))
    st, h, e = post(env, '/token', None, auth=basic(cc['client_id'], cc['client_secret']), ctype=None, raw='')
    t.ok(st == 400 and e.get('error') == 'invalid_request', 'no body, no Content-Type: 400 invalid_request', (st, e))
    st, h, body = env.get('/token')
    t.ok(st == 405 and 'POST' in h.get('allow', ''), 'GET /token: 405 with Allow: POST', (st, h))

    # -- introspection --
    ab = basic(cc['client_id'], cc['client_secret'])
    st, h, i = post(env, '/introspect', {'token': at}, auth=ab)
    t.ok(st == 200 and i.get('active') is True, 'introspection of a valid token: active', (st, i))
    i = i or {}
    t.ok(i.get('client_id') == cc['client_id'] and i.get('sub') == cc['client_id'] and i.get('iss') == iss and
         i.get('aud') == iss and i.get('scope') == 'document_verify profile' and i.get('exp') == cl.get('exp') and
         i.get('iat') == cl.get('iat') and i.get('jti') == cl.get('jti') and i.get('token_type') == 'Bearer',
         'introspection fields (RFC 7662 2.2)', i)
    t.eq(h.get('cache-control'), 'no-store', 'introspection is no-store')
    st, h, i = post(env, '/introspect', {'token': at, 'token_type_hint': 'refresh_token'}, auth=ab)
    t.ok(st == 200 and i.get('active') is True, 'a wrong token_type_hint is only a hint', i)
    st, h, i = post(env, '/introspect', {'token': post_at, 'client_id': pc['client_id'],
                                         'client_secret': pc['client_secret']})
    t.ok(st == 200 and i.get('active') is True, 'introspection with client_secret_post', (st, i))

    priv_path = None
    for k in jwks['keys']:
        if k['kid'] == hdr.get('kid'):
            priv_path = os.path.join(env.data, 'keys', k['kid'] + '.pem')
    priv = serialization.load_pem_private_key(open(priv_path, 'rb').read(), None)
    base = dict(cl)
    forged = {
        'expired': sign_es256(priv, hdr['kid'], {'typ': 'at+jwt'},
                              dict(base, iat=int(now) - 4000, exp=int(now) - 3600)),
        'typ JWT': sign_es256(priv, hdr['kid'], {'typ': 'JWT'}, base),
        'no typ': sign_es256(priv, hdr['kid'], {}, base),
        'other issuer': sign_es256(priv, hdr['kid'], {'typ': 'at+jwt'}, dict(base, iss='https://evil.example')),
        'other audience': sign_es256(priv, hdr['kid'], {'typ': 'at+jwt'}, dict(base, aud='https://rs.example')),
        'no jti': sign_es256(priv, hdr['kid'], {'typ': 'at+jwt'}, {k: v for k, v in base.items() if k != 'jti'}),
        'alg none': b64u(b'{"alg":"none","typ":"at+jwt"}') + '.' + at.split('.')[1] + '.',
        'tampered payload': at.split('.')[0] + '.' + b64u(json.dumps(dict(base, scope='citizen_id')).encode()) +
                            '.' + at.split('.')[2],
        'tampered signature': at[:-4] + ('AAAA' if not at.endswith('AAAA') else 'BBBB'),
        'garbage': 'not-a-token',
        'oversized': 'a' * 4000 + '.' + 'b' * 90 + '.' + 'c' * 4,
    }
    t.ok(verify_es256(forged['typ JWT'], jwks), 'forged tokens are signed with the real key (control)')
    for name, tokv in forged.items():
        st, h, i = post(env, '/introspect', {'token': tokv}, auth=ab)
        t.ok(st == 200 and i == {'active': False}, 'introspection of %s token: {"active": false}' % name, (st, i))
    st, h, e = post(env, '/introspect', {'token': 'a' * 17000}, auth=ab)
    t.ok(st == 400 and e.get('error') == 'invalid_request',
         'a token over the per-parameter cap (EID_HTTP_MAX_PARAM_BYTES): 400 from the HTTP layer', (st, e))
    st, h, e = post(env, '/introspect', {'token': at})
    t.ok(st == 401 and e.get('error') == 'invalid_client' and 'www-authenticate' in h,
         'unauthenticated introspection: 401', (st, e))
    st, h, e = post(env, '/introspect', {'token': at}, auth=basic(cc['client_id'], 'x' * 43))
    t.ok(st == 401, 'introspection with a wrong secret: 401', (st, e))
    st, h, e = post(env, '/introspect', {}, auth=ab)
    t.ok(st == 400 and e.get('error') == 'invalid_request', 'introspection without token: invalid_request', (st, e))

    # -- revocation --
    st, h, body = env.request('POST', '/revoke', body=urllib.parse.urlencode({'token': post_at}),
                              headers={'Content-Type': FORM, 'Authorization': ab})
    t.ok(st == 200 and body == b'', "revoking another client's token: 200, empty body", (st, body))
    st, h, i = post(env, '/introspect', {'token': post_at}, auth=ab)
    t.ok(i.get('active') is True, "... and the other client's token stays active", i)
    st, h, body = env.request('POST', '/revoke', body=urllib.parse.urlencode({'token': at, 'token_type_hint': 'bogus'}),
                              headers={'Content-Type': FORM, 'Authorization': ab})
    t.ok(st == 200 and body == b'' and h.get('cache-control') == 'no-store',
         'revocation of an own token: 200 (unknown hint ignored)', (st, body))
    st, h, i = post(env, '/introspect', {'token': at}, auth=ab)
    t.ok(st == 200 and i == {'active': False}, 'a revoked token introspects as inactive', i)
    rkeys = env.redis.command('KEYS', 'eid:atrev:*')
    ttl = env.redis.command('TTL', rkeys.split(b'\r\n')[2]) if rkeys.startswith(b'*1') else b''
    t.ok(rkeys.startswith(b'*1') and cl['jti'].encode() not in rkeys and ttl.startswith(b':') and
         0 < int(ttl[1:].split(b'\r')[0]) <= 300 + 30, 'the denylist key is hashed and expires with the token',
         (rkeys, ttl))
    st, h, body = env.request('POST', '/revoke', body='token=garbage', headers={'Content-Type': FORM, 'Authorization': ab})
    t.eq(st, 200, 'revoking garbage: 200')
    st, h, e = post(env, '/revoke', {'token': post_at})
    t.ok(st == 401 and e.get('error') == 'invalid_client', 'unauthenticated revocation: 401', (st, e))
    st, h, e = post(env, '/revoke', {}, auth=ab)
    t.ok(st == 400 and e.get('error') == 'invalid_request', 'revocation without token: invalid_request', (st, e))

    # -- Redis down: issuing works, introspection and revocation answer 503 --
    env.redis.stop()
    st, h, tok = post(env, '/token', {'grant_type': 'client_credentials'}, auth=ab)
    t.ok(st == 200 and 'access_token' in tok, 'Redis down: /token still issues tokens (no Redis needed)', (st, tok))
    down_at = (tok or {}).get('access_token', '')
    st, h, e = post(env, '/introspect', {'token': down_at}, auth=ab)
    t.ok(st == 503 and e.get('error') == 'temporarily_unavailable' and h.get('retry-after') == '1',
         'Redis down: introspection 503 temporarily_unavailable', (st, e))
    st, h, e = post(env, '/revoke', {'token': down_at}, auth=ab)
    t.ok(st == 503 and e.get('error') == 'temporarily_unavailable', 'Redis down: revocation 503', (st, e))
    env.redis.start()
    deadline = time.time() + 10
    while time.time() < deadline:
        st, h, i = post(env, '/introspect', {'token': down_at}, auth=ab)
        if st == 200:
            break
        time.sleep(0.2)
    t.ok(st == 200 and i.get('active') is True, 'Redis back: introspection recovers by itself', (st, i))

    st, h, m = env.get('/metrics')
    t.ok(b'route="token"' in m and b'route="introspect"' in m and b'route="revoke"' in m and
         b'route="discovery"' in m, 'metrics count the new routes by name')
    log = env.logtext()
    t.ok(cc['client_secret'] not in log and at not in log and pc['client_secret'] not in log,
         'no secret or token reaches the log')
    rc = env.stop()
    t.eq(rc, 0, 'eidd exits cleanly (no leaks under ASan)')
finally:
    env.close()
sys.exit(t.done())
