#!/usr/bin/env python3
"""The citizen's account page (/account) through a real eidd and Redis: it needs a
session; it shows name, level, the authenticator app, passkeys, the portals holding
consent and the history from the audit log (sign-ins, data releases); withdrawing a
consent also revokes that portal's refresh tokens; "sign out everywhere" ends every
session of the account (and only that account's); every POST refuses a bad CSRF token."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from eidtest import Env, Tap  # noqa: E402
from oidctest import (Browser, Citizen, authorize_query, basic, form_fields,  # noqa: E402
                      pkce_pair, post_form, redirect_params, run_flow, sign_in)

RP = 'https://portal.example.vn/cb'


def add_client(env, *args):
    rc, c, err = env.ctl_json('client', 'add', *args)
    if rc != 0 or not c:
        raise RuntimeError('client add failed: %s' % err)
    return c


def signed_in(env, citizen):
    br = Browser(env)
    st, h, _ = sign_in(br, citizen, '/login?return_to=/account')
    if st != 303 or h.get('location') != '/account':
        raise RuntimeError('sign-in failed: %s %s' % (st, h.get('location')))
    return br


def account(br):
    st, h, body = br.get('/account?ui_locales=en')
    return st, h, body


def csrf_of(body):
    return form_fields(body).get('csrf', '')


t = Tap()
env = Env()
try:
    env.start()
    a = Citizen(env)
    b = Citizen(env, '079185000123', 'Trần Thị B', '1985-01-01')
    portal = add_client(env, '--name', 'Cổng dịch vụ công', '--redirect-uri', RP, '--grant',
                        'authorization_code', '--grant', 'refresh_token', '--scope',
                        'openid profile offline_access')

    # ---- no session: to the sign-in page, and back here afterwards
    anon = Browser(env)
    st, h, _ = anon.get('/account')
    t.eq((st, h.get('location')), (303, '/login?return_to=%2Faccount'),
         'not signed in: 303 to /login?return_to=/account')
    st, h, _ = sign_in(anon, a, '/login?return_to=%2Faccount')
    t.eq((st, h.get('location')), (303, '/account'), 'signing in from there returns to /account')

    # ---- the page
    st, h, body = account(anon)
    t.eq(st, 200, 'signed in: the account page')
    t.ok("script-src 'self'" in h.get('content-security-policy', '') and '<script>' not in body,
         'CSP without inline script', h.get('content-security-policy'))
    t.ok('no-store' in h.get('cache-control', ''), 'the account page is no-store')
    t.ok('id="account-name">Nguyễn Văn Mẫu<' in body, 'shows the name')
    t.ok('data-level="1"' in body, 'shows level 1')
    t.ok('data-totp="on"' in body, 'the authenticator app is set up')
    t.ok('id="passkeys-none"' in body and 'id="passkey-add"' in body and
         '/static/passkey.js' in body, 'no passkeys yet; an add button for the script')
    t.ok(re.search(r'<li data-action="login.password"><time>[0-9-]+ [0-9:]+ UTC</time> Signed in',
                   body) is not None, 'history shows the sign-in')
    t.ok(a.idn not in body, 'the ID number is not on the page')
    st, h, body_vi = anon.get('/account?ui_locales=vi')
    t.ok(st == 200 and 'lang="vi"' in body_vi and 'Tài khoản của bạn' in body_vi,
         'Vietnamese page')

    # ---- a portal gets consent and a refresh token; withdrawing consent revokes it
    verifier, challenge = pkce_pair()
    q = authorize_query(portal['client_id'], RP, challenge, scope='openid profile offline_access',
                        prompt='consent')
    st, h, body, trace = run_flow(env, anon, a, q)
    params, loc = redirect_params(h)
    code = params.get('code', [None])[0]
    st, h, tok = post_form(env, '/token', {'grant_type': 'authorization_code', 'code': code,
                                          'redirect_uri': RP, 'code_verifier': verifier},
                           auth=basic(portal['client_id'], portal['client_secret']))
    t.ok(st == 200 and tok and tok.get('refresh_token'), 'the portal holds a refresh token', tok)
    refresh = tok.get('refresh_token') if tok else None
    st, h, tok2 = post_form(env, '/token', {'grant_type': 'refresh_token', 'refresh_token': refresh},
                            auth=basic(portal['client_id'], portal['client_secret']))
    t.ok(st == 200 and tok2.get('refresh_token'), 'refresh works before the withdrawal', tok2)
    refresh = tok2.get('refresh_token') if tok2 else None

    st, h, body = account(anon)
    cid = portal['client_id']
    t.ok('data-client="%s"' % cid in body and 'Cổng dịch vụ công' in body,
         'the portal is listed under consents')
    t.ok(re.search(r'data-action="consent.grant">.*Information shared with <strong>Cổng dịch vụ công'
                   r'</strong><ul class="scopes">.*Your full name', body) is not None,
         'history shows the data release: who and which attributes')
    t.ok(re.search(r'data-action="data.release">.*Information shared with <strong>Cổng dịch vụ công'
                   r'</strong><ul class="scopes">.*Your full name', body) is not None,
         'history shows the release at the code exchange (data.release): who and which attributes')

    st, h, _ = anon.request('POST', '/account/consent/revoke',
                            {'csrf': 'x' * 43, 'client_id': cid, 'lang': 'en'})
    t.eq(st, 403, 'consent revoke with a wrong CSRF token: 403')
    st, h, _ = anon.request('POST', '/account/consent/revoke', {'client_id': cid, 'lang': 'en'})
    t.eq(st, 403, 'consent revoke without a CSRF token: 403')
    st, h, body = account(anon)
    t.ok('data-client="%s"' % cid in body, 'the consent is still there after refused POSTs')

    st, h, _ = anon.request('POST', '/account/consent/revoke',
                            {'csrf': csrf_of(body), 'client_id': cid, 'lang': 'en'})
    t.eq((st, h.get('location')), (303, '/account?ui_locales=en'), 'consent revoke: 303 to /account')
    st, h, body = account(anon)
    t.ok('data-client="%s"' % cid not in body, 'the consent is gone')
    t.ok('data-action="consent.revoke"' in body, 'history shows the withdrawal')
    st, h, js = post_form(env, '/token', {'grant_type': 'refresh_token', 'refresh_token': refresh},
                          auth=basic(portal['client_id'], portal['client_secret']))
    t.ok(st == 400 and js and js.get('error') == 'invalid_grant',
         'the refresh token is revoked with the consent', (st, js))

    # a new consent afterwards (in a later second than the withdrawal) gives a refresh
    # token that works
    time.sleep(1.1)
    verifier, challenge = pkce_pair()
    q = authorize_query(portal['client_id'], RP, challenge, scope='openid offline_access',
                        prompt='consent')
    st, h, body, trace = run_flow(env, anon, a, q)
    params, loc = redirect_params(h)
    st, h, tok = post_form(env, '/token', {'grant_type': 'authorization_code',
                                          'code': params.get('code', [''])[0],
                                          'redirect_uri': RP, 'code_verifier': verifier},
                           auth=basic(portal['client_id'], portal['client_secret']))
    st2, h, js = post_form(env, '/token', {'grant_type': 'refresh_token',
                                           'refresh_token': (tok or {}).get('refresh_token', '')},
                           auth=basic(portal['client_id'], portal['client_secret']))
    t.ok(st == 200 and st2 == 200, 'after a new consent the new refresh token works', (st, st2, js))

    # ---- passkey removal needs CSRF and only touches the account's own passkeys
    st, h, body = account(anon)
    st, h, _ = anon.request('POST', '/account/passkey/remove', {'csrf': 'bad', 'id': '1'})
    t.eq(st, 403, 'passkey remove with a wrong CSRF token: 403')
    st, h, _ = anon.request('POST', '/account/passkey/remove', {'csrf': csrf_of(body), 'id': '999'})
    t.eq(st, 303, 'removing a passkey that is not the account\'s: nothing, back to /account')

    # ---- sign out everywhere: two sessions of a end, b's stays
    br1, br2, other = signed_in(env, a), signed_in(env, a), signed_in(env, b)
    t.ok(account(br1)[0] == 200 and account(br2)[0] == 200 and account(other)[0] == 200,
         'three sessions (two of a, one of b) are live')
    body1 = account(br1)[2]
    st, h, _ = br1.request('POST', '/account/logout-all', {'csrf': 'wrong', 'lang': 'en'})
    t.eq(st, 403, 'sign out everywhere with a wrong CSRF token: 403')
    t.eq(account(br2)[0], 200, 'a refused sign-out-everywhere ends nothing')
    st, h, _ = br1.request('POST', '/account/logout-all', {'csrf': csrf_of(body1), 'lang': 'en'})
    t.ok(st == 303 and h.get('location', '').startswith('/login'), 'sign out everywhere: 303 to /login',
         (st, h.get('location')))
    t.eq(account(br1)[1].get('location'), '/login?return_to=%2Faccount', 'this session ended')
    t.eq(account(br2)[1].get('location'), '/login?return_to=%2Faccount', 'the other session of a ended')
    t.eq(account(anon)[1].get('location'), '/login?return_to=%2Faccount',
         'the first session of a ended too')
    t.eq(account(other)[0], 200, "b's session lives on")
    st, h, body = account(signed_in(env, a))
    t.ok('data-action="session.end_all"' in body, 'history shows the sign-out everywhere')
    t.ok(a.idn not in env.logtext() and a.name not in env.logtext(),
         'no ID number or name in the log')
finally:
    env.close()
sys.exit(t.done())
