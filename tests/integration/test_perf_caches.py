#!/usr/bin/env python3
"""The speed caches keep their promises in a running eidd: a removed or replaced client
(the per-thread client cache, srv_oauth_client_get) and a retired signing key (the
verified-token cache in srv_tokens.c) take effect without a restart; revocation of a
token that was verified before stays immediate; a citizen changed or disabled with
eidctl (the per-thread profile cache, srv_citizen_profile_get, labelled with
citizens_generation which the store's triggers move) is seen by /userinfo and the
refresh grant within a second, without a restart."""
import base64
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from eidtest import Env, Tap  # noqa: E402
from oidctest import (Browser, Citizen, authorize_query, pkce_pair, post_form,  # noqa: E402
                      redirect_params, run_flow)

FORM = 'application/x-www-form-urlencoded'
RP = 'https://portal.example.vn/cb'


def basic(cid, secret):
    raw = '%s:%s' % (urllib.parse.quote_plus(cid), urllib.parse.quote_plus(secret))
    return 'Basic ' + base64.b64encode(raw.encode()).decode()


def post(env, path, params, auth):
    st, h, data = env.request('POST', path, body=urllib.parse.urlencode(params),
                              headers={'Content-Type': FORM, 'Authorization': auth})
    try:
        return st, json.loads(data) if data else None
    except ValueError:
        return st, None


def kid_of(tok):
    h = tok.split('.')[0]
    return json.loads(base64.urlsafe_b64decode(h + '=' * (-len(h) % 4)))['kid']


def until(pred, seconds=5):
    """pred() until it is true or the time is up (eidd re-reads settings within a second)."""
    deadline = time.time() + seconds
    while True:
        v = pred()
        if v or time.time() > deadline:
            return v
        time.sleep(0.1)


def add_client(env, name):
    rc, c, err = env.ctl_json('client', 'add', '--name', name, '--grant', 'client_credentials',
                              '--scope', 'document_verify')
    if rc != 0:
        raise RuntimeError('client add: ' + err)
    return c


t = Tap()
env = Env(log_level='warn')
try:
    env.start()
    rs = add_client(env, 'resource server')
    rs_auth = basic(rs['client_id'], rs['client_secret'])
    app = add_client(env, 'app')
    app_auth = basic(app['client_id'], app['client_secret'])

    def token(auth):
        st, js = post(env, '/token', {'grant_type': 'client_credentials', 'scope': 'document_verify'}, auth)
        return js['access_token'] if st == 200 and js else None

    def active(tok):
        st, js = post(env, '/introspect', {'token': tok}, rs_auth)
        return st == 200 and js is not None and js.get('active') is True

    # ---- the client cache: warm it, then change the client with eidctl
    for _ in range(5):
        tok = token(app_auth)
    t.ok(tok is not None, 'the app gets tokens (its record is cached now)')
    rc, out, err = env.ctl('client', 'remove', app['client_id'])
    t.eq(rc, 0, 'eidctl client remove')
    gone = until(lambda: token(app_auth) is None, 3)
    t.ok(gone, 'a removed client cannot get tokens any more, without a restart')
    # each HTTP worker thread has its own cache, rechecked at most every 200 ms: past that,
    # every one of them must have let the client go
    time.sleep(0.3)
    answers = [post(env, '/token', {'grant_type': 'client_credentials'}, app_auth) for _ in range(24)]
    t.ok(all(st == 401 and (js or {}).get('error') == 'invalid_client' for st, js in answers),
         '200 ms after, every worker treats it as an unknown client: 401 invalid_client',
         [st for st, js in answers])
    app2 = add_client(env, 'app again')
    t.ok(token(basic(app2['client_id'], app2['client_secret'])) is not None,
         'a client added while eidd runs works at once')

    # ---- the verified-token cache: revocation of a token verified before
    at = token(rs_auth)
    t.ok(active(at) and active(at), 'a token introspected twice (verified, then remembered): active')
    st, _ = post(env, '/revoke', {'token': at}, rs_auth)
    t.eq(st, 200, 'revoke')
    t.ok(not active(at), 'revoked after being remembered: inactive at once')

    # ---- ... and retirement of the key that signed a remembered token
    at = token(rs_auth)
    old_kid = kid_of(at)
    t.ok(active(at) and active(at), 'a token of the current key, remembered: active')
    rc, rot, err = env.ctl_json('keys', 'rotate', '--alg', 'ES256')
    t.ok(rc == 0, 'keys rotate --alg ES256', err)
    new_at = until(lambda: (lambda x: x if x and kid_of(x) != old_kid else None)(token(rs_auth)), 5)
    t.ok(new_at is not None, 'new tokens are signed with the new key')
    t.ok(active(at), 'the old key is still published: its token is still active')
    rc, out, err = env.ctl('keys', 'retire', old_kid)
    t.eq(rc, 0, 'keys retire the old key')
    t.ok(until(lambda: not active(at), 5), 'after retirement the remembered token is inactive')
    t.ok(active(new_at), 'a token of the new key stays active')
    # ---- the citizen profile cache: /userinfo and the refresh grant after eidctl changes
    rc, portal, err = env.ctl_json('client', 'add', '--name', 'portal', '--redirect-uri', RP,
                                   '--grant', 'authorization_code', '--grant', 'refresh_token',
                                   '--scope', 'openid profile email')
    t.ok(rc == 0 and portal, 'client add (a portal with refresh tokens)', err)
    portal_auth = basic(portal['client_id'], portal['client_secret'])
    citizen = Citizen(env)
    rc, _, err = env.ctl('citizen', 'set', citizen.idn, '--email', 'first@example.vn')
    t.eq(rc, 0, 'eidctl citizen set --email (before sign-in)')
    verifier, challenge = pkce_pair()
    st, h, body, trace = run_flow(env, Browser(env), citizen,
                                  authorize_query(portal['client_id'], RP, challenge,
                                                  scope='openid profile email'))
    code = redirect_params(h)[0].get('code', [None])[0]
    st, h, tok = post_form(env, '/token', {'grant_type': 'authorization_code', 'code': code or '-',
                                           'redirect_uri': RP, 'code_verifier': verifier},
                           auth=portal_auth)
    t.ok(st == 200 and tok and tok.get('access_token') and tok.get('refresh_token'),
         'code exchange: access and refresh tokens', (trace, st, tok))
    tok = tok or {}
    bearer = {'Authorization': 'Bearer ' + tok.get('access_token', 'x')}

    def userinfo():
        st, h, body = env.request('GET', '/userinfo', headers=bearer)
        try:
            return st, h, json.loads(body) if body else None
        except ValueError:
            return st, h, None

    def email_now():
        st, h, js = userinfo()
        return (js or {}).get('email') if st == 200 else None

    def refresh(rt):
        return post_form(env, '/token', {'grant_type': 'refresh_token', 'refresh_token': rt},
                         auth=portal_auth)

    # warm every worker's cache with this citizen
    answers = [email_now() for _ in range(24)]
    t.ok(all(e == 'first@example.vn' for e in answers), 'userinfo: the email on record, many times',
         answers)
    st, h, tok2 = refresh(tok.get('refresh_token', '-'))
    t.ok(st == 200 and tok2 and tok2.get('refresh_token'), 'the refresh grant issues tokens',
         (st, tok2))
    rt = (tok2 or {}).get('refresh_token', '-')

    rc, _, err = env.ctl('citizen', 'set', citizen.idn, '--email', 'second@example.vn')
    t.ok(rc == 0, 'eidctl citizen set --email while eidd runs', err)
    t0 = time.time()
    seen = until(lambda: email_now() == 'second@example.vn', 1.0)
    t.ok(seen and time.time() - t0 <= 1.0, 'the new email is in /userinfo within 1 s, no restart',
         time.time() - t0)
    time.sleep(0.3)
    answers = [email_now() for _ in range(24)]
    t.ok(all(e == 'second@example.vn' for e in answers),
         '200 ms after, every worker releases the new email', answers)

    rc, _, err = env.ctl('citizen', 'disable', citizen.idn)
    t.ok(rc == 0, 'eidctl citizen disable while eidd runs', err)
    t0 = time.time()
    refused = until(lambda: userinfo()[0] == 401, 1.0)
    t.ok(refused and time.time() - t0 <= 1.0,
         'a disabled citizen: /userinfo refuses the token within 1 s',
         time.time() - t0)
    time.sleep(0.3)
    answers = [userinfo() for _ in range(24)]
    t.ok(all(st == 401 and (js or {}).get('error') == 'invalid_token' and
             'error="invalid_token"' in h.get('www-authenticate', '') for st, h, js in answers),
         '200 ms after, every worker answers 401 invalid_token', [a[0] for a in answers])
    st, h, js = refresh(rt)
    t.ok(st == 400 and (js or {}).get('error') == 'invalid_grant',
         'a disabled citizen: the refresh grant is refused invalid_grant', (st, js))

    rc, _, err = env.ctl('citizen', 'enable', citizen.idn)
    t.eq(rc, 0, 'eidctl citizen enable')
    t.ok(until(lambda: email_now() == 'second@example.vn', 1.0),
         'enabled again: /userinfo answers within 1 s')
finally:
    env.close()
sys.exit(t.done())
