#!/usr/bin/env python3
"""The speed caches keep their promises in a running eidd: a removed or replaced client
(the per-thread client cache, srv_oauth_client_get) and a retired signing key (the
verified-token cache in srv_tokens.c) take effect without a restart; revocation of a
token that was verified before stays immediate."""
import base64
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from eidtest import Env, Tap  # noqa: E402

FORM = 'application/x-www-form-urlencoded'


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
finally:
    env.close()
sys.exit(t.done())
