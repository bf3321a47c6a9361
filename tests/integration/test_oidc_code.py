#!/usr/bin/env python3
"""The authorization code flow end to end, as a relying party sees it: /authorize, the
sign-in and consent pages, the code exchange with PKCE, ID token claims and signature
(per-client algorithm, pairwise and public sub, at_hash), /userinfo, refresh rotation,
introspection and revocation of refresh tokens, and RP-initiated logout (/end_session).
The negative cases are named after the OpenID conformance-suite modules they mirror."""
import json
import os
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from eidtest import Env, Tap  # noqa: E402
from oidctest import (Browser, Citizen, at_hash, authorize_query, basic, jwt_parts,  # noqa: E402
                      pkce_pair, post_form, redirect_params, run_flow, verify_jwt, form_fields)

RP = 'https://portal.example.vn/cb'
RP2 = 'https://bank.example.vn/oidc/callback'


def add_client(env, *args):
    rc, c, err = env.ctl_json('client', 'add', *args)
    if rc != 0 or not c:
        raise RuntimeError('client add failed: %s' % err)
    return c


def exchange(env, c, code, verifier, redirect=RP, auth=None):
    p = {'grant_type': 'authorization_code', 'code': code, 'redirect_uri': redirect}
    if verifier is not None:
        p['code_verifier'] = verifier
    return post_form(env, '/token', p, auth=auth or basic(c['client_id'], c['client_secret']))


def get_code(env, br, citizen, c, redirect=RP, scope='openid profile', **extra):
    verifier, challenge = pkce_pair()
    q = authorize_query(c['client_id'], redirect, challenge, scope=scope, **extra)
    st, h, body, trace = run_flow(env, br, citizen, q)
    params, loc = redirect_params(h)
    return params.get('code', [None])[0], verifier, params, st, loc, body


t = Tap()
env = Env()
try:
    env.start()
    jwks = env.get_json('/jwks')[2]
    disco = env.get_json('/.well-known/openid-configuration')[2]
    t.eq(disco['end_session_endpoint'], env.issuer + '/end_session', 'discovery: end_session_endpoint')
    t.eq(disco['code_challenge_methods_supported'], ['S256'], 'discovery: S256 only')

    a = Citizen(env)
    b = Citizen(env, '079185000123', 'Trần Thị B', '1985-01-01')
    portal = add_client(env, '--name', 'Cổng dịch vụ công', '--redirect-uri', RP, '--grant',
                        'authorization_code', '--grant', 'refresh_token', '--scope',
                        'openid profile citizen_id offline_access', '--post-logout-redirect-uri',
                        'https://portal.example.vn/bye')
    bank = add_client(env, '--name', 'Ngân hàng', '--redirect-uri', RP2, '--scope', 'openid profile',
                      '--id-token-alg', 'ES256', '--subject-type', 'public')

    # ---- the happy path through real pages
    br = Browser(env)
    verifier, challenge = pkce_pair()
    q = authorize_query(portal['client_id'], RP, challenge, scope='openid profile citizen_id',
                        state='xyz-state', nonce='nonce-123')
    st, h, body = br.get(q)
    t.eq(st, 303, 'authorize without a session redirects to sign-in')
    loc = h.get('location', '')
    t.ok(loc.startswith('/login?return_to=/authorize%3Fareq%3D'), 'to /login with a pending request', loc)
    st, h, body, trace = run_flow(env, br, a, q)
    params, loc = redirect_params(h)
    t.ok(st == 303 and loc.startswith(RP + '?'), 'the flow ends with a redirect to the client', (st, loc, trace))
    code = params.get('code', [None])[0]
    t.ok(code is not None and len(code) == 43, 'a 256-bit code')
    t.eq(params.get('state'), ['xyz-state'], 'state returned unchanged')
    t.eq(params.get('iss'), [env.issuer], 'iss in the authorization response (RFC 9207)')

    st, h, tok = exchange(env, portal, code, verifier)
    t.eq(st, 200, 'code exchange 200')
    t.ok(tok and tok.get('token_type') == 'Bearer' and 'access_token' in tok and 'id_token' in tok
         and 'refresh_token' in tok, 'access, ID and refresh tokens', tok)
    t.ok('no-store' in h.get('cache-control', ''), 'token response is no-store')
    hdr_claims = verify_jwt(tok['id_token'], jwks)
    t.ok(hdr_claims is not None, 'ID token signature verifies against /jwks')
    hdr, idc = hdr_claims if hdr_claims else ({}, {})
    t.eq(hdr.get('alg'), 'RS256', 'ID token RS256 by default')
    t.eq(idc.get('iss'), env.issuer, 'ID token iss')
    t.eq(idc.get('aud'), portal['client_id'], 'ID token aud is the client')
    t.eq(idc.get('azp'), portal['client_id'], 'ID token azp')
    t.eq(idc.get('nonce'), 'nonce-123', 'ID token nonce')
    t.eq(idc.get('acr'), 'urn:eid:level:1', 'ID token acr level 1')
    t.eq(idc.get('amr'), ['pwd', 'otp'], 'ID token amr pwd+otp')
    t.ok(isinstance(idc.get('auth_time'), int) and abs(idc['auth_time'] - time.time()) < 60, 'auth_time')
    t.ok(idc.get('exp', 0) > time.time() and idc.get('iat', 0) <= time.time() + 5, 'exp/iat')
    t.eq(idc.get('at_hash'), at_hash(tok['access_token'], 'RS256'), 'at_hash matches the access token')
    t.ok(isinstance(idc.get('sid'), str) and len(idc['sid']) >= 16, 'sid present')
    t.ok(idc.get('sub') not in (a.account, a.idn), 'pairwise sub is neither the account id nor the ID number')
    t.ok('citizen_id' not in idc and 'name' not in idc, 'no personal data in the ID token')
    atv = verify_jwt(tok['access_token'], jwks)
    t.ok(atv is not None and atv[0].get('typ') == 'at+jwt', 'access token is an at+jwt')
    t.ok(atv is not None and atv[1].get('sub') == idc.get('sub') and a.account not in json.dumps(atv[1]),
         'access token sub is the pairwise sub; the account id is not readable in it')

    st, h, ui = post_form(env, '/userinfo', {}, headers={'Authorization': 'Bearer ' + tok['access_token']})
    st, h, body = env.request('GET', '/userinfo', headers={'Authorization': 'Bearer ' + tok['access_token']})
    ui = json.loads(body) if st == 200 else {}
    t.eq(st, 200, 'GET /userinfo 200')
    t.eq(ui.get('sub'), idc.get('sub'), 'userinfo sub equals the ID token sub')
    t.eq(ui.get('name'), a.name, 'userinfo name (profile), UTF-8 intact')
    t.eq(ui.get('birthdate'), a.birth, 'userinfo birthdate')
    t.eq(ui.get('citizen_id'), a.idn, 'userinfo citizen_id (scope citizen_id)')
    st, h, js = post_form(env, '/userinfo', {}, headers={'Authorization': 'Bearer ' + tok['access_token']})
    t.eq(st, 200, 'POST /userinfo 200')
    st, h, body = env.request('GET', '/userinfo')
    t.ok(st == 401 and 'Bearer' in h.get('www-authenticate', ''), 'userinfo without a token: 401 + challenge')

    # ---- code reuse (oidcc-codereuse): invalid_grant, and the first tokens are revoked
    st, h, js = exchange(env, portal, code, verifier)
    t.ok(st == 400 and js and js.get('error') == 'invalid_grant', 'oidcc-codereuse: second use invalid_grant', js)
    st, h, body = env.request('GET', '/userinfo', headers={'Authorization': 'Bearer ' + tok['access_token']})
    t.eq(st, 401, 'oidcc-codereuse: the access token from the first use is revoked')
    st, h, js = post_form(env, '/token', {'grant_type': 'refresh_token', 'refresh_token': tok['refresh_token']},
                          auth=basic(portal['client_id'], portal['client_secret']))
    t.ok(st == 400 and js.get('error') == 'invalid_grant', 'oidcc-codereuse: its refresh token is revoked too', js)

    # ---- consent is remembered: a second authorize with the session goes straight back
    verifier, challenge = pkce_pair()
    q = authorize_query(portal['client_id'], RP, challenge, scope='openid profile')
    st, h, body = br.get(q)
    t.ok(st == 303 and h.get('location', '').startswith(RP + '?code='), 'SSO: remembered consent, no pages', (st, h.get('location')))
    code = redirect_params(h)[0]['code'][0]
    st, h, tok = exchange(env, portal, code, verifier)
    t.eq(st, 200, 'SSO code exchanged')

    # ---- refresh rotation
    r1 = tok['refresh_token']
    st, h, tok2 = post_form(env, '/token', {'grant_type': 'refresh_token', 'refresh_token': r1},
                            auth=basic(portal['client_id'], portal['client_secret']))
    t.ok(st == 200 and tok2.get('refresh_token') and tok2['refresh_token'] != r1, 'refresh: new refresh token', tok2)
    t.ok(st == 200 and verify_jwt(tok2['id_token'], jwks) is not None and 'nonce' not in jwt_parts(tok2['id_token'])[1],
         'refresh: a new ID token, without nonce')
    r2 = tok2.get('refresh_token')
    st, h, js = post_form(env, '/introspect', {'token': r2}, auth=basic(portal['client_id'], portal['client_secret']))
    t.ok(st == 200 and js.get('active') is True and js.get('client_id') == portal['client_id'],
         'introspect: the live refresh token is active', js)
    st, h, js = post_form(env, '/token', {'grant_type': 'refresh_token', 'refresh_token': r1},
                          auth=basic(portal['client_id'], portal['client_secret']))
    t.ok(st == 400 and js.get('error') == 'invalid_grant', 'refresh reuse: the old token fails', js)
    st, h, js = post_form(env, '/token', {'grant_type': 'refresh_token', 'refresh_token': r2},
                          auth=basic(portal['client_id'], portal['client_secret']))
    t.ok(st == 400 and js.get('error') == 'invalid_grant', 'refresh reuse: the whole family is revoked', js)
    st, h, js = post_form(env, '/introspect', {'token': r2}, auth=basic(portal['client_id'], portal['client_secret']))
    t.ok(st == 200 and js.get('active') is False, 'introspect: revoked family is inactive', js)

    # ---- revocation of a refresh token (RFC 7009)
    code, verifier, params, st, loc, body = get_code(env, br, a, portal)
    st, h, tok = exchange(env, portal, code, verifier)
    st, h, body = env.request('POST', '/revoke', body=urllib.parse.urlencode({'token': tok['refresh_token'],
                              'token_type_hint': 'refresh_token'}),
                              headers={'Content-Type': 'application/x-www-form-urlencoded',
                                       'Authorization': basic(portal['client_id'], portal['client_secret'])})
    t.eq(st, 200, 'revoke refresh token 200')
    st, h, js = post_form(env, '/token', {'grant_type': 'refresh_token', 'refresh_token': tok['refresh_token']},
                          auth=basic(portal['client_id'], portal['client_secret']))
    t.ok(st == 400 and js.get('error') == 'invalid_grant', 'a revoked refresh token fails', js)

    # ---- per-client algorithm and public subject type
    code, verifier, params, st, loc, body = get_code(env, br, a, bank, redirect=RP2)
    t.ok(code is not None, 'second client: consent page, then a code', (st, loc))
    st, h, tok = exchange(env, bank, code, verifier, redirect=RP2)
    v = verify_jwt(tok['id_token'], jwks) if st == 200 else None
    t.ok(v is not None and v[0]['alg'] == 'ES256', 'ID token ES256 for a client registered with it')
    t.eq(v[1].get('sub') if v else None, a.account, 'public subject type: sub is the account id')
    t.eq(v[1].get('at_hash') if v else None, at_hash(tok.get('access_token', ''), 'ES256'), 'at_hash for ES256')
    # a nonce that needs JSON escapes: the ES256 ID token's claims then go through jansson
    # (the direct writer takes only plain values); the same token either way
    odd = 'q"uote \\back/slash'
    code, verifier, params, st, loc, body = get_code(env, br, a, bank, redirect=RP2, nonce=odd)
    st, h, tok = exchange(env, bank, code, verifier, redirect=RP2)
    v = verify_jwt(tok['id_token'], jwks) if st == 200 else None
    t.ok(v is not None and v[0]['alg'] == 'ES256', 'ES256 ID token with an escaped nonce verifies', (st, tok))
    t.eq(v[1].get('nonce') if v else None, odd, 'the escaped nonce comes back unchanged')
    t.eq(v[1].get('at_hash') if v else None, at_hash(tok.get('access_token', ''), 'ES256'),
         'at_hash with an escaped nonce')

    # ---- pairwise: two citizens differ, the same citizen is stable
    br_b = Browser(env)
    code, verifier, params, st, loc, body = get_code(env, br_b, b, portal)
    st, h, tokb = exchange(env, portal, code, verifier)
    subs_b = jwt_parts(tokb['id_token'])[1]['sub'] if st == 200 else None
    t.ok(subs_b is not None and subs_b != idc.get('sub'), 'pairwise: another citizen, another sub')

    # ---- negative: stage-1 errors never redirect
    verifier, challenge = pkce_pair()
    for name, redirect in [('oidcc-ensure-redirect-uri-in-authorization-request', None),
                           ('redirect_uri near-miss: trailing slash', RP + '/'),
                           ('redirect_uri near-miss: case', RP.upper()),
                           ('redirect_uri near-miss: extra query', RP + '?x=1'),
                           ('redirect_uri near-miss: http', RP.replace('https', 'http')),
                           ('redirect_uri near-miss: subdomain', 'https://evil.portal.example.vn/cb'),
                           ('redirect_uri near-miss: path prefix', RP + 'x'),
                           ('oidcc-redirect-uri-query-added', RP + '?foo=bar')]:
        q = {'response_type': 'code', 'client_id': portal['client_id'], 'scope': 'openid',
             'code_challenge': challenge, 'code_challenge_method': 'S256', 'state': 's'}
        if redirect is not None:
            q['redirect_uri'] = redirect
        st, h, body = br.get('/authorize?' + urllib.parse.urlencode(q))
        t.ok(st == 400 and 'location' not in h and 'id="authz-error"' in body, name + ': error page, no redirect', (st, h.get('location')))
    st, h, body = br.get('/authorize?' + urllib.parse.urlencode({'response_type': 'code', 'client_id': 'nosuchclient',
                                                                 'redirect_uri': RP, 'scope': 'openid'}))
    t.ok(st == 400 and 'location' not in h, 'unknown client: error page, no redirect')

    # ---- negative: stage-2 errors go back with state and iss
    def authz_error(name, want, **q):
        base = {'response_type': 'code', 'client_id': portal['client_id'], 'redirect_uri': RP,
                'scope': 'openid', 'code_challenge': challenge, 'code_challenge_method': 'S256',
                'state': 'err-state'}
        base.update(q)
        base = {k: v for k, v in base.items() if v is not None}
        st, h, body = br.get('/authorize?' + urllib.parse.urlencode(base))
        p, loc = redirect_params(h)
        t.ok(st == 303 and loc.startswith(RP + '?') and p.get('error') == [want] and
             p.get('state') == ['err-state'] and p.get('iss') == [env.issuer], name, (st, loc))

    authz_error('PKCE required: no code_challenge', 'invalid_request', code_challenge=None)
    authz_error('PKCE plain refused', 'invalid_request', code_challenge_method='plain')
    authz_error('PKCE method missing', 'invalid_request', code_challenge_method=None)
    authz_error('oidcc-response-type-missing', 'invalid_request', response_type=None)
    authz_error('response_type token refused', 'unsupported_response_type', response_type='token')
    authz_error('response_type id_token refused', 'unsupported_response_type', response_type='code id_token')
    authz_error('scope without openid', 'invalid_scope', scope='profile')
    authz_error('scope beyond registration', 'invalid_scope', scope='openid email')
    authz_error('request object not supported', 'request_not_supported', request='eyJ.x.y')
    authz_error('request_uri not supported', 'request_uri_not_supported', request_uri='https://x/y')
    authz_error('prompt=none combined', 'invalid_request', prompt='none login')
    authz_error('prompt unknown', 'invalid_request', prompt='select_account')
    authz_error('max_age not a number', 'invalid_request', max_age='abc')
    authz_error('oversized nonce', 'invalid_request', nonce='n' * 600)
    authz_error('response_mode fragment refused', 'invalid_request', response_mode='fragment')
    nb = Browser(env)
    st, h, body = nb.get(authorize_query(portal['client_id'], RP, challenge, prompt='none', state='pn'))
    p, loc = redirect_params(h)
    t.ok(st == 303 and p.get('error') == ['login_required'] and p.get('state') == ['pn'],
         'oidcc-prompt-none-not-logged-in: login_required', loc)
    # repeated parameters
    st, h, body = br.get(authorize_query(portal['client_id'], RP, challenge) + '&scope=openid')
    p, loc = redirect_params(h)
    t.ok(st == 303 and p.get('error') == ['invalid_request'], 'a repeated parameter is invalid_request', loc)

    # ---- prompt=none with a session and consent: a code without pages
    v2, c2 = pkce_pair()
    st, h, body = br.get(authorize_query(portal['client_id'], RP, c2, prompt='none'))
    p, loc = redirect_params(h)
    t.ok(st == 303 and 'code' in p, 'prompt=none with a session: code', loc)
    # consent_required for a scope not yet consented
    st, h, body = br.get(authorize_query(portal['client_id'], RP, c2, prompt='none',
                                         scope='openid offline_access'))
    p, loc = redirect_params(h)
    t.ok(st == 303 and p.get('error') == ['consent_required'], 'prompt=none, new scope: consent_required', loc)
    # prompt=login forces a new sign-in even with a session
    st, h, body = br.get(authorize_query(portal['client_id'], RP, c2, prompt='login'))
    t.ok(st == 303 and h.get('location', '').startswith('/login'), 'prompt=login: to the sign-in page',
         (st, h.get('location')))
    # max_age=0 likewise
    st, h, body = br.get(authorize_query(portal['client_id'], RP, c2, max_age='0'))
    t.ok(st == 303 and h.get('location', '').startswith('/login'), 'max_age=0: to the sign-in page',
         (st, h.get('location')))
    code, verifier, params, st, loc, body = get_code(env, br, a, portal, max_age='0')
    st, h, tok = exchange(env, portal, code, verifier)
    t.ok(st == 200 and abs(jwt_parts(tok['id_token'])[1]['auth_time'] - time.time()) < 10,
         'max_age: a fresh auth_time after signing in again')
    # level 2 asked, level 1 session: step-up (sign-in), or with prompt=none the OIDC error
    st, h, body = br.get(authorize_query(portal['client_id'], RP, c2, acr_values='urn:eid:level:2'))
    t.ok(st == 303 and h.get('location', '').startswith('/login') and 'level=2' in h.get('location', ''),
         'acr_values level 2 on a level-1 session: step-up sign-in, never a silent downgrade')
    st, h, body = br.get(authorize_query(portal['client_id'], RP, c2, acr_values='urn:eid:level:2', prompt='none'))
    p, loc = redirect_params(h)
    t.eq(p.get('error'), ['unmet_authentication_requirements'], 'level 2 + prompt=none: unmet_authentication_requirements')

    # ---- consent denied
    br_c = Browser(env)
    code, verifier, params, st, loc, body = get_code(env, br_c, b, bank, redirect=RP2)
    # b has not consented to bank: deny it
    br_d = Browser(env)
    v3, c3 = pkce_pair()
    st, h, body, trace = run_flow(env, br_d, b, authorize_query(bank['client_id'], RP2, c3, prompt='consent'),
                                  consent='deny')
    p, loc = redirect_params(h)
    t.ok(p.get('error') == ['access_denied'] and p.get('iss') == [env.issuer], 'consent denied: access_denied', loc)

    # ---- form_post
    v4, c4 = pkce_pair()
    st, h, body = br.get(authorize_query(portal['client_id'], RP, c4, response_mode='form_post', state='fp'))
    f = form_fields(body)
    t.ok(st == 200 and 'action="%s"' % RP in body and f.get('state') == 'fp' and f.get('iss') == env.issuer
         and len(f.get('code', '')) == 43, 'form_post: an auto-posting form with code, state, iss')
    t.ok("form-action 'self' https://portal.example.vn" in h.get('content-security-policy', ''),
         'form_post: CSP allows posting to the client origin only', h.get('content-security-policy'))
    st, h, tok = exchange(env, portal, f.get('code'), v4)
    t.eq(st, 200, 'form_post code exchanges')

    # ---- code bound to client, redirect URI, PKCE; expiry
    code, verifier, params, st, loc, body = get_code(env, br, a, portal)
    st, h, js = exchange(env, bank, code, verifier, auth=basic(bank['client_id'], bank['client_secret']))
    t.ok(st == 400 and js.get('error') == 'invalid_grant', 'a code for another client: invalid_grant', js)
    code, verifier, params, st, loc, body = get_code(env, br, a, portal)
    st, h, js = exchange(env, portal, code, verifier, redirect=RP + '/')
    t.ok(st == 400 and js.get('error') == 'invalid_grant', 'redirect_uri mismatch at /token: invalid_grant', js)
    code, verifier, params, st, loc, body = get_code(env, br, a, portal)
    st, h, js = exchange(env, portal, code, None)
    t.ok(st == 400 and js.get('error') == 'invalid_grant', 'missing code_verifier: invalid_grant', js)
    code, verifier, params, st, loc, body = get_code(env, br, a, portal)
    st, h, js = exchange(env, portal, code, pkce_pair()[0])
    t.ok(st == 400 and js.get('error') == 'invalid_grant', 'wrong code_verifier: invalid_grant', js)
    code, verifier, params, st, loc, body = get_code(env, br, a, portal)
    st, h, js = exchange(env, portal, code, 'short')
    t.ok(st == 400 and js.get('error') == 'invalid_grant', 'PKCE downgrade: a plain-looking verifier fails', js)
    st, h, js = exchange(env, portal, 'x' * 43, verifier)
    t.ok(st == 400 and js.get('error') == 'invalid_grant', 'an unknown code: invalid_grant', js)
    st, h, js = exchange(env, portal, 'x' * 5000, verifier)
    t.ok(st == 400 and js.get('error') in ('invalid_grant', 'invalid_request'), 'an oversized code: 400, no crash', js)

    # ---- codes live 60 s: the Redis entry of a fresh code has a TTL of at most 60 s, and a
    # code whose entry has expired (made to expire now) fails like an unknown one
    def redis_keys(pattern):
        reply = env.redis.command('KEYS', pattern).split(b'\r\n')
        return [x.decode() for x in reply[2::2] if x]
    before = set(redis_keys('eid:code:*'))
    code, verifier, params, st, loc, body = get_code(env, br, a, portal)
    fresh = [k for k in redis_keys('eid:code:*') if k not in before]
    ttls = [int(env.redis.command('TTL', k)[1:].split(b'\r\n')[0]) for k in fresh]
    t.ok(len(fresh) == 1 and 0 < ttls[0] <= 60, 'a new code is stored with a TTL of at most 60 s', ttls)
    for k in fresh:
        env.redis.command('PEXPIRE', k, 1)
    time.sleep(0.05)
    st, h, js = exchange(env, portal, code, verifier)
    t.ok(st == 400 and js.get('error') == 'invalid_grant', 'an expired code: invalid_grant', js)

    # ---- 20 parallel redemptions: exactly one wins
    code, verifier, params, st, loc, body = get_code(env, br, a, portal)
    results = []

    def redeem():
        results.append(exchange(env, portal, code, verifier)[0])
    ths = [threading.Thread(target=redeem) for _ in range(20)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    t.ok(results.count(200) == 1 and results.count(400) == 19, '20 parallel redemptions: exactly one wins', results)

    # ---- RP-initiated logout
    code, verifier, params, st, loc, body = get_code(env, br, a, portal)
    st, h, tok = exchange(env, portal, code, verifier)
    idt = tok['id_token']
    st, h, body = br.get('/end_session?' + urllib.parse.urlencode(
        {'id_token_hint': idt, 'post_logout_redirect_uri': 'https://evil.example/bye', 'state': 'lo'}))
    t.ok(st == 400 and 'location' not in h, 'end_session: unregistered post_logout_redirect_uri gets our page')
    st, h, body = br.get('/end_session?' + urllib.parse.urlencode(
        {'id_token_hint': idt, 'post_logout_redirect_uri': 'https://portal.example.vn/bye', 'state': 'lo'}))
    t.ok(st == 303 and h.get('location') == 'https://portal.example.vn/bye?state=lo',
         'end_session with a matching hint: back to the client with state', (st, h.get('location')))
    t.ok('eid_session' not in br.cookies, 'end_session clears the session cookie')
    st, h, body = br.get(authorize_query(portal['client_id'], RP, c2, prompt='none'))
    p, loc = redirect_params(h)
    t.eq(p.get('error'), ['login_required'], 'after end_session: prompt=none gives login_required')
    # without a hint, a signed-in citizen is asked first
    code, verifier, params, st, loc, body = get_code(env, br, a, portal)
    st, h, body = br.get('/end_session')
    t.ok(st == 200 and 'id="logout-confirm"' in body, 'end_session without a hint asks the citizen')
    st, h, js = post_form(env, '/token', {}, auth=None)
    f = form_fields(body)
    st, h, body = br.request('POST', '/end_session', {'csrf': f.get('csrf', ''), 'confirm': 'yes', 'lang': 'en'})
    t.ok(st == 200 and 'id="logout-message"' in body and 'eid_session' not in br.cookies,
         'confirming signs out')
    st, h, body = br.get('/end_session?id_token_hint=not.a.token')
    t.eq(st, 400, 'a garbage id_token_hint gets 400')
finally:
    env.close()
t.done()
