#!/usr/bin/env python3
"""Passkeys over HTTP with a software authenticator (python3-cryptography, ES256, the
CBOR and ceremony helpers of tests/unit/server/webauthn_vectors.py): registration for a
signed-in citizen, sign-in with the passkey alone (session acr/amr by user verification
and account level, ID token at a relying party), and the refusals the issue lists at the
HTTP level: reused and expired-or-foreign challenges, replayed assertion, wrong origin,
wrong rp id, type swapped, UP=0, another user's userHandle, tampered signature, unknown
credential, counter going backwards (the credential is then blocked as possibly cloned),
CSRF; and the audit trail of each. Then: sign-in throttling per client IP and per
credential id (429 + Retry-After; other IPs and credentials unaffected; audited), and, on
a second eidd with webauthn_attestation = required and passkey_register_max_age = 4, the
attestation policy (none and self attestation refused, packed full attestation accepted
only when it chains to the configured roots) and the recent-sign-in rule for adding a
passkey (JSON error with a sign-in link, the account page's link, fresh again after a
new sign-in)."""
import hashlib
import http.client
import json
import os
import sqlite3
import sys
import time
import urllib.parse
from unittest import mock

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'unit', 'server'))
from eidtest import Env, Tap  # noqa: E402
from oidctest import (Browser, Citizen, authorize_query, b64u, b64u_dec, basic,  # noqa: E402
                      form_fields, pkce_pair, post_form, redirect_params, sign_in, verify_jwt)
import webauthn_vectors as wv  # noqa: E402
from passkeytest import Authenticator  # noqa: E402

RP = 'https://portal.example.vn/cb'
UP, UV, AT = wv.UP, wv.UV, wv.AT


def make_pki():
    """An attestation PKI like webauthn_vectors.make_pki()'s, with names of its own: the
    roots bundle below also holds the unit vectors' root, and OpenSSL picks an issuer
    among same-named roots without key identifiers by name alone."""
    from cryptography.hazmat.primitives.asymmetric import ec
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(4)]
    root_key, inter_key, att_key, evil_key = keys
    root_name = wv.name('eid-server HTTP test attestation root')
    root = wv.cert(root_name, root_key, root_name, root_key, True)
    inter = wv.cert(wv.name('eid-server HTTP test attestation CA'), inter_key, root_name,
                    root_key, True)
    leaf_name = wv.name('eid-server HTTP test authenticator', 'Authenticator Attestation')
    leaf = wv.cert(leaf_name, att_key, inter.subject, inter_key, False, wv.AAGUID)
    evil_name = wv.name('eid-server HTTP untrusted root')
    evil_root = wv.cert(evil_name, evil_key, evil_name, evil_key, True)
    evil_leaf = wv.cert(leaf_name, att_key, evil_name, evil_key, False, wv.AAGUID)
    return {'root_pem': root.public_bytes(wv.serialization.Encoding.PEM),
            'att_key': wv.Key(wv.ALG_ES256, att_key),
            'chain': [wv.der(leaf), wv.der(inter)],
            'chain_untrusted': [wv.der(evil_leaf), wv.der(evil_root)]}


class IPBrowser(Browser):
    """A Browser whose connections come from another loopback address (127.0.0.x), so
    that the server sees another client IP."""

    def __init__(self, env, ip):
        super().__init__(env)
        self.ip = ip

    def request(self, *args, **kw):
        real = http.client.HTTPConnection
        ip = self.ip

        def connect(host, port, timeout=30):
            return real(host, port, timeout=timeout, source_address=(ip, 0))
        with mock.patch.object(http.client, 'HTTPConnection', connect):
            return super().request(*args, **kw)


def post_json(br, path, fields):
    st, h, body = br.request('POST', path, fields)
    try:
        return st, json.loads(body)
    except ValueError:
        return st, None


def login_page(br, return_to='/'):
    st, h, body = br.get('/login?ui_locales=en&return_to=' + return_to)
    return form_fields(body).get('csrf', ''), body


def passkey_attempt(env, br, auth, return_to='/', **kw):
    """A whole passkey sign-in from the login page: (status, headers, JSON answer)."""
    csrf, _ = login_page(br, return_to)
    st, opts = post_json(br, '/passkey/login/options', {'csrf': csrf})
    fields = auth.get(opts, env.issuer, **kw)
    fields.update({'csrf': csrf, 'return_to': return_to})
    st, h, body = br.request('POST', '/passkey/login', fields)
    try:
        return st, h, json.loads(body)
    except ValueError:
        return st, h, None


def passkey_sign_in(env, br, auth, return_to='/', **kw):
    st, _, js = passkey_attempt(env, br, auth, return_to, **kw)
    return st, js


def audit_rows(env, action):
    db = sqlite3.connect(os.path.join(env.data, 'eid.db'))
    try:
        return db.execute('SELECT actor, outcome, details FROM audit_log WHERE action = ?'
                          ' ORDER BY id', (action,)).fetchall()
    finally:
        db.close()


t = Tap()
env = Env()
try:
    env.start()
    a = Citizen(env)
    b = Citizen(env, '079185000123', 'Trần Thị B', '1985-01-01')
    key_a, key_b = Authenticator(b'citizen a'), Authenticator(b'citizen b')
    origin = env.issuer

    # ---- options and CSRF
    anon = Browser(env)
    csrf, page = login_page(anon)
    t.ok('id="passkey-signin"' in page and 'autocomplete="username webauthn"' in page and
         '<script src="/static/passkey.js" defer></script>' in page,
         'the sign-in page offers passkeys (button, conditional UI, external script)')
    st, h, js = anon.get('/static/passkey.js')
    t.ok(st == 200 and 'text/javascript' in h.get('content-type', '') and
         "mediation: mediation" in js and "isConditionalMediationAvailable" in js,
         '/static/passkey.js is served')
    st, js = post_json(anon, '/passkey/login/options', {})
    t.eq((st, js), (403, {'error': 'csrf'}), 'sign-in options without the CSRF token: 403')
    st, opts = post_json(anon, '/passkey/login/options', {'csrf': csrf})
    t.ok(st == 200 and len(opts.get('challenge', '')) == 43 and opts.get('rpId') == '127.0.0.1'
         and opts.get('allowCredentials') == [], 'sign-in options: 32-byte challenge, rp id, '
         'discoverable credentials', opts)
    st, js = post_json(anon, '/passkey/register/options', {'csrf': csrf})
    t.eq((st, js), (401, {'error': 'not_signed_in'}), 'registration needs a session')

    # ---- registration (signed in with password + one-time code)
    br = Browser(env)
    sign_in(br, a, '/login?return_to=/account')
    _, _, acct = br.get('/account?ui_locales=en')
    csrf_a = form_fields(acct)['csrf']
    st, ropts = post_json(br, '/passkey/register/options', {'csrf': csrf_a})
    t.ok(st == 200 and ropts['rp']['id'] == '127.0.0.1' and ropts['user']['name'] == a.idn and
         len(b64u_dec(ropts['user']['id'])) == 16 and
         ropts['authenticatorSelection']['residentKey'] == 'required' and
         [p['alg'] for p in ropts['pubKeyCredParams']] == [-7, -8, -257] and
         ropts['excludeCredentials'] == [] and ropts['attestation'] == 'none',
         'registration options (attestation none by default)', ropts)
    t.ok(a.account.encode() not in b64u_dec(ropts['user']['id']), 'the user handle is not the account id')
    reg = key_a.create(ropts, origin)
    st, js = post_json(br, '/passkey/register', dict(reg, csrf='x' * 43))
    t.eq(st, 403, 'registration with a wrong CSRF token: 403')
    st, js = post_json(br, '/passkey/register', dict(reg, csrf=csrf_a, name='Điện thoại'))
    t.ok(st == 200 and js.get('ok') is True, 'registration accepted', (st, js))
    st, js = post_json(br, '/passkey/register', dict(reg, csrf=csrf_a))
    t.eq((st, js), (400, {'error': 'challenge'}), 'the same challenge again: refused (single use)')
    st, ropts2 = post_json(br, '/passkey/register/options', {'csrf': csrf_a})
    t.ok([b64u_dec(c['id']) for c in ropts2['excludeCredentials']] == [key_a.cred_id],
         'the next options exclude the registered credential')
    st, js = post_json(br, '/passkey/register', dict(key_a.create(ropts2, origin), csrf=csrf_a))
    t.eq((st, js), (409, {'error': 'exists'}), 'a credential id registered twice: refused')
    st, ropts3 = post_json(br, '/passkey/register/options', {'csrf': csrf_a})
    st, js = post_json(br, '/passkey/register', dict(
        Authenticator(b'x').create(ropts3, 'https://evil.example'), csrf=csrf_a))
    t.eq(st, 400, 'registration from another origin: refused')
    st, ropts4 = post_json(br, '/passkey/register/options', {'csrf': csrf_a})
    st, js = post_json(br, '/passkey/register', dict(
        Authenticator(b'y').create(ropts4, origin, typ='webauthn.get'), csrf=csrf_a))
    t.eq(st, 400, 'registration with type webauthn.get: refused')
    st, gopts = post_json(br, '/passkey/login/options', {'csrf': csrf_a})
    st, js = post_json(br, '/passkey/register', dict(
        Authenticator(b'z').create(dict(ropts4, challenge=gopts['challenge']), origin), csrf=csrf_a))
    t.eq((st, js), (400, {'error': 'challenge'}), 'a sign-in challenge cannot register')
    _, _, acct = br.get('/account?ui_locales=en')
    t.ok(acct.count('class="passkey"') == 1 and 'Điện thoại' in acct, 'the account page lists it')

    # b registers too (for the other-user test)
    brb = Browser(env)
    sign_in(brb, b, '/login?return_to=/account')
    _, _, acctb = brb.get('/account')
    csrf_b = form_fields(acctb)['csrf']
    st, o = post_json(brb, '/passkey/register/options', {'csrf': csrf_b})
    st, js = post_json(brb, '/passkey/register', dict(key_b.create(o, origin), csrf=csrf_b))
    t.eq(st, 200, "b's passkey registered")

    # ---- sign-in with the passkey alone
    p1 = Browser(env)
    st, js = passkey_sign_in(env, p1, key_a, return_to='/account')
    t.eq((st, js), (200, {'redirect': '/account'}), 'passkey sign-in: redirect to return_to')
    st, h, sess = p1.get('/session')
    sess = json.loads(sess)
    t.ok(sess.get('authenticated') and sess.get('acr') == 'urn:eid:level:1' and
         sess.get('amr') == ['hwk', 'user'], 'level-1 account, UV: acr level 1, amr hwk+user', sess)
    st, h, _ = p1.get('/account')
    t.eq(st, 200, 'the passkey session opens the account page')
    p2 = Browser(env)
    st, js = passkey_sign_in(env, p2, key_a, flags=UP)
    sess = json.loads(p2.get('/session')[2])
    t.ok(st == 200 and sess.get('amr') == ['hwk'] and sess.get('acr') == 'urn:eid:level:1',
         'without UV: amr hwk only', sess)
    st, js = passkey_sign_in(env, Browser(env), key_a, return_to='//evil.example/x')
    t.eq((st, js), (200, {'redirect': '/'}), 'a foreign return_to becomes /')

    # level 2 account: UV gives level 2, no UV stays level 1
    db = sqlite3.connect(os.path.join(env.data, 'eid.db'))
    db.execute('UPDATE citizens SET level = 2 WHERE citizen_id = ?', (a.idn,))
    db.commit()
    db.close()
    p3 = Browser(env)
    st, js = passkey_sign_in(env, p3, key_a)
    sess = json.loads(p3.get('/session')[2])
    t.ok(st == 200 and sess.get('acr') == 'urn:eid:level:2' and sess.get('amr') == ['hwk', 'user'],
         'level-2 account with UV: urn:eid:level:2', sess)
    p4 = Browser(env)
    st, js = passkey_sign_in(env, p4, key_a, flags=UP)
    sess = json.loads(p4.get('/session')[2])
    t.ok(st == 200 and sess.get('acr') == 'urn:eid:level:1', 'level-2 account without UV: level 1', sess)

    # ---- at a relying party: the ID token carries acr and amr
    portal = env.ctl_json('client', 'add', '--name', 'Cổng', '--redirect-uri', RP, '--scope',
                          'openid profile')[1]
    rpb = Browser(env)
    verifier, challenge = pkce_pair()
    q = authorize_query(portal['client_id'], RP, challenge, acr_values='urn:eid:level:2')
    st, h, _ = rpb.get(q)
    loc = h.get('location', '')
    return_to = urllib.parse.unquote(loc.split('return_to=', 1)[1].split('&')[0]) \
        if 'return_to=' in loc else '/'
    st, js = passkey_sign_in(env, rpb, key_a, return_to=return_to)
    st, h, body = rpb.get(js.get('redirect', '/'))
    if st == 200 and 'action="/consent"' in body:
        f = form_fields(body)
        st, h, body = rpb.request('POST', '/consent', {'csrf': f['csrf'], 'areq': f['areq'],
                                                       'decision': 'allow'})
    params, loc = redirect_params(h)
    code = params.get('code', [None])[0]
    st, h, tok = post_form(env, '/token', {'grant_type': 'authorization_code', 'code': code or '',
                                          'redirect_uri': RP, 'code_verifier': verifier},
                           auth=basic(portal['client_id'], portal['client_secret']))
    claims = verify_jwt(tok['id_token'], env.get_json('/jwks')[2])[1] if tok and 'id_token' in tok else {}
    t.ok(claims.get('acr') == 'urn:eid:level:2' and claims.get('amr') == ['hwk', 'user'],
         'the relying party gets acr level 2 and amr [hwk, user] in the ID token', claims)

    # ---- refusals, each for one reason
    def refused(name, **kw):
        st, js = passkey_sign_in(env, Browser(env), key_a, **kw)
        t.eq((st, js), (401, {'error': 'refused'}), name)

    before = len(audit_rows(env, 'login.passkey'))
    br_o = Browser(env)
    csrf_o, _ = login_page(br_o)
    st, o = post_json(br_o, '/passkey/login/options', {'csrf': csrf_o})
    st, js = post_json(br_o, '/passkey/login', dict(key_a.get(o, 'https://evil.example'),
                                                    csrf=csrf_o))
    t.eq((st, js), (401, {'error': 'refused'}), 'wrong origin: refused')
    refused('wrong rp id: refused', rp_id='evil.example')
    refused('type swapped (webauthn.create at sign-in): refused', typ='webauthn.create')
    refused('UP=0: refused', flags=UV)
    refused("another user's userHandle: refused", user_handle=key_b.user_handle)
    refused('tampered signature: refused', tamper=True)
    refused('unknown credential: refused', cred_id=hashlib.sha256(b'nobody').digest())

    # replay: the very same request again, and a new assertion on a used challenge (with
    # b's passkey: a's has failed 6 times already, and 10 would lock it, see below)
    br_r = Browser(env)
    csrf_r, _ = login_page(br_r)
    st, o = post_json(br_r, '/passkey/login/options', {'csrf': csrf_r})
    fields = dict(key_b.get(o, origin), csrf=csrf_r, return_to='/')
    st1, _ = post_json(br_r, '/passkey/login', fields)
    st2, js2 = post_json(br_r, '/passkey/login', fields)
    t.ok(st1 == 200 and (st2, js2) == (401, {'error': 'refused'}), 'a replayed assertion is refused',
         (st1, st2, js2))
    br_r2 = Browser(env)
    csrf_r2, _ = login_page(br_r2)
    st, js = post_json(br_r2, '/passkey/login', dict(key_b.get(o, origin), csrf=csrf_r2))
    t.eq((st, js), (401, {'error': 'refused'}), 'a used challenge with a fresh signature: refused')
    st, js = post_json(br_r2, '/passkey/login', dict(key_b.get(
        {'challenge': b64u(os.urandom(32)), 'rpId': '127.0.0.1'}, origin), csrf=csrf_r2))
    t.eq((st, js), (401, {'error': 'refused'}), 'a challenge never issued: refused')
    # an expired challenge: a fresh one's Redis entry has a short TTL; made to expire now
    def redis_keys(pattern):
        reply = env.redis.command('KEYS', pattern).split(b'\r\n')
        return [x.decode() for x in reply[2::2] if x]
    br_e = Browser(env)
    csrf_e, _ = login_page(br_e)
    known = set(redis_keys('eid:wachal:*'))
    st, o = post_json(br_e, '/passkey/login/options', {'csrf': csrf_e})
    fresh = [k for k in redis_keys('eid:wachal:*') if k not in known]
    ttls = [int(env.redis.command('TTL', k)[1:].split(b'\r\n')[0]) for k in fresh]
    t.ok(len(fresh) == 1 and 0 < ttls[0] <= 300, 'a sign-in challenge is kept at most 300 s', ttls)
    for k in fresh:
        env.redis.command('PEXPIRE', k, 1)
    time.sleep(0.05)
    st, js = post_json(br_e, '/passkey/login', dict(key_b.get(o, origin), csrf=csrf_e))
    t.eq((st, js), (401, {'error': 'refused'}), 'an expired challenge: refused')
    st, js = post_json(br_r2, '/passkey/login', dict(key_b.get(o, origin), csrf='bad'))
    t.eq((st, js), (403, {'error': 'csrf'}), 'passkey sign-in without a valid CSRF token: 403')

    fails = audit_rows(env, 'login.passkey')[before:]
    reasons = [json.loads(d).get('reason') for _, outcome, d in fails if outcome == 'failure']
    t.ok('origin mismatch' in reasons and 'rp id hash mismatch' in reasons and
         'type mismatch' in reasons and 'user presence missing' in reasons and
         'user handle mismatch' in reasons and 'signature invalid' in reasons and
         'unknown credential' in reasons and 'challenge unknown, used or expired' in reasons,
         'every refusal is audited with its reason', reasons)

    # counter going backwards: refused, and the credential is blocked from then on
    refused('counter going backwards: refused', count=1)
    t.ok(any(json.loads(d).get('reason') == 'counter went backwards'
             for _, _, d in audit_rows(env, 'passkey.cloned')), 'the possible clone is audited')
    refused('a credential marked as cloned is refused even with a good counter')
    _, _, acct = br.get('/account?ui_locales=en')
    t.ok('Blocked: it may have been copied' in acct, 'the account page shows the passkey blocked')

    # removal
    pid = acct.split('class="passkey" data-id="', 1)[1].split('"', 1)[0]
    st, h, _ = brb.request('POST', '/account/passkey/remove', {'csrf': csrf_b, 'id': pid})
    _, _, acct = br.get('/account?ui_locales=en')
    t.ok(st == 303 and 'class="passkey"' in acct, "b cannot remove a's passkey")
    csrf_a = form_fields(acct)['csrf']
    st, h, _ = br.request('POST', '/account/passkey/remove', {'csrf': csrf_a, 'id': pid})
    _, _, acct = br.get('/account?ui_locales=en')
    t.ok(st == 303 and 'class="passkey"' not in acct and 'data-action="passkey.remove"' in acct,
         'a removes the passkey; the history shows it')
    st, js = passkey_sign_in(env, Browser(env), key_b)
    t.eq(st, 200, "b's passkey still signs in")
    t.ok(len(audit_rows(env, 'passkey.register')) >= 2 and
         any(o == 'success' for _, o, _ in audit_rows(env, 'login.passkey')),
         'registrations and sign-ins are audited')

    # ---- throttling: per client IP ...
    rows_before = len(audit_rows(env, 'login.passkey'))
    ip_a = IPBrowser(env, '127.0.0.2')
    sts = [passkey_sign_in(env, ip_a, key_b, cred_id=os.urandom(32))[0] for _ in range(20)]
    t.ok(sts == [401] * 20, '20 failed passkey sign-ins from one IP: each refused alike', sts)
    st, h, js = passkey_attempt(env, ip_a, key_b, cred_id=os.urandom(32))
    t.ok(st == 429 and js == {'error': 'throttled'} and int(h.get('retry-after', '0')) >= 60,
         'the next one from that IP: 429 throttled with Retry-After', (st, h, js))
    st, h, js = passkey_attempt(env, ip_a, key_b)
    t.eq((st, js), (429, {'error': 'throttled'}), 'even a good assertion from the locked IP: 429')
    st, js = passkey_sign_in(env, IPBrowser(env, '127.0.0.3'), key_b)
    t.eq((st, js), (200, {'redirect': '/'}), 'a good assertion from another IP still signs in')

    # ... and per credential id
    key_c = Authenticator(b'citizen b second')
    _, _, acctb = brb.get('/account')
    csrf_b = form_fields(acctb)['csrf']
    st, o = post_json(brb, '/passkey/register/options', {'csrf': csrf_b})
    st, js = post_json(brb, '/passkey/register', dict(key_c.create(o, origin), csrf=csrf_b))
    t.eq(st, 200, 'b registers a second passkey')
    ip_c = IPBrowser(env, '127.0.0.4')
    sts = [passkey_sign_in(env, ip_c, key_c, tamper=True)[0] for _ in range(10)]
    t.ok(sts == [401] * 10, '10 bad signatures for one credential: each refused', sts)
    st, h, js = passkey_attempt(env, IPBrowser(env, '127.0.0.5'), key_c)
    t.ok(st == 429 and js == {'error': 'throttled'} and 'retry-after' in h,
         'then that credential is locked: a good assertion from another IP gets 429', (st, js))
    st, js = passkey_sign_in(env, IPBrowser(env, '127.0.0.5'), key_b)
    t.eq(st, 200, "b's other passkey still signs in from there")
    # a success clears the credential's count
    ip_d = IPBrowser(env, '127.0.0.6')
    sts = [passkey_sign_in(env, ip_d, key_b, tamper=True)[0] for _ in range(9)]
    sts.append(passkey_sign_in(env, ip_d, key_b)[0])
    sts.append(passkey_sign_in(env, ip_d, key_b, tamper=True)[0])
    sts.append(passkey_sign_in(env, ip_d, key_b)[0])
    t.eq(sts, [401] * 9 + [200, 401, 200], 'a successful sign-in resets the credential count')
    rows = audit_rows(env, 'login.passkey')[rows_before:]
    results = [(o, json.loads(d).get('result')) for _, o, d in rows]
    t.ok(results.count(('failure', 'failed')) == 40 and results.count(('failure', 'throttled')) == 3
         and results.count(('success', 'ok')) == 4,
         'every failed and every throttled attempt is audited', results)

    t.ok(a.idn not in env.logtext(), 'no ID number in the log')

    # ---- a second eidd: attestation required, adding a passkey needs a 4 s old sign-in
    pki = make_pki()
    roots = os.path.join(env.dir, 'roots.pem')
    with open(os.path.join(os.path.dirname(__file__), '..', 'vectors', 'webauthn', 'roots.pem'),
              'rb') as f:
        bundle = f.read()
    with open(roots, 'wb') as f:       # a bundle: the unit vectors' root and this run's
        f.write(bundle + pki['root_pem'])
    env2 = Env(extra_config='webauthn_attestation = required\nwebauthn_attestation_roots = %s\n'
               'passkey_register_max_age = 4\n' % roots)
    try:
        env2.start()
        c2 = Citizen(env2)
        br2 = Browser(env2)
        sign_in(br2, c2, '/login?return_to=/account')
        signed_at = time.time()
        _, _, acct2 = br2.get('/account?ui_locales=en')
        csrf2 = form_fields(acct2)['csrf']
        t.ok('id="passkey-add-box"' in acct2 and 'passkey-reauth' not in acct2,
             'just signed in: the account page offers to add a passkey')

        def register(auth, **kw):
            st, o = post_json(br2, '/passkey/register/options', {'csrf': csrf2})
            if st != 200:
                return st, o, {}
            st, js = post_json(br2, '/passkey/register',
                               dict(auth.create(o, env2.issuer, **kw), csrf=csrf2))
            return st, js, o

        st, js, o = register(Authenticator(b'att none'))
        t.eq(o.get('attestation'), 'direct', 'attestation required: the options ask for direct')
        t.eq((st, js), (400, {'error': 'attestation'}), 'attestation required: fmt none refused')
        st, js, _ = register(Authenticator(b'att self'), fmt='packed')
        t.eq((st, js), (400, {'error': 'attestation'}), 'attestation required: packed self refused')
        st, js, _ = register(Authenticator(b'att untrusted'), fmt='packed', pki=pki,
                             chain=pki['chain_untrusted'])
        t.eq((st, js), (400, {'error': 'attestation'}),
             'attestation required: packed full from an untrusted root refused')
        key_t = Authenticator(b'att trusted')
        st, js, _ = register(key_t, fmt='packed', pki=pki, chain=pki['chain'])
        t.ok(st == 200 and js.get('ok') is True,
             'attestation required: packed full chaining to the configured roots accepted', js)
        db = sqlite3.connect(os.path.join(env2.data, 'eid.db'))
        atts = [r[0] for r in db.execute("SELECT json_extract(metadata, '$.attestation') "
                                         "FROM credentials WHERE type = 'passkey'")]
        db.close()
        t.eq(atts, ['trusted'], 'only the trusted passkey is stored, marked trusted')
        reasons = [json.loads(d).get('reason') for _, o, d in audit_rows(env2, 'passkey.register')
                   if o == 'failure']
        t.eq(reasons, ['attestation required', 'attestation required',
                       'attestation chain untrusted'], 'each refusal is audited with its reason')
        st, js = passkey_sign_in(env2, Browser(env2), key_t)
        t.eq(st, 200, 'the attested passkey signs in')

        # the sign-in grows old
        time.sleep(max(0.0, signed_at + 5.5 - time.time()))
        st, js = post_json(br2, '/passkey/register/options', {'csrf': csrf2})
        t.ok(st == 403 and js.get('error') == 'reauth_required' and js.get('max_age') == 4 and
             js.get('login') == '/login?return_to=%2Faccount&ui_locales=vi',
             'a 5 s old sign-in: registration options refused, with a sign-in link', (st, js))
        _, _, acct2 = br2.get('/account?ui_locales=en')
        t.ok('href="/login?return_to=%2Faccount&amp;ui_locales=en" id="passkey-reauth-link"' in acct2
             and 'Sign in again to add a passkey' in acct2 and 'passkey-add-box' not in acct2,
             'the account page links to signing in again instead of offering to add', acct2)
        st, h, _ = sign_in(br2, c2, '/login?return_to=%2Faccount&ui_locales=en')
        t.ok(st == 303 and h.get('location', '').endswith('/account'),
             'signing in again through that link leads back to /account', (st, h))
        _, _, acct2 = br2.get('/account?ui_locales=en')
        csrf2 = form_fields(acct2)['csrf']
        st, o = post_json(br2, '/passkey/register/options', {'csrf': csrf2})
        t.ok(st == 200 and 'id="passkey-add-box"' in acct2,
             'after a new sign-in a passkey can be added again', (st, o))
    finally:
        env2.close()
finally:
    env.close()
sys.exit(t.done())
