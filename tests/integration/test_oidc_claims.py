#!/usr/bin/env python3
"""Scopes -> claims (OIDC Core 5.4) as a relying party sees them: address, phone and email
released by /userinfo for exactly the scopes granted, absent values left out, never in the
ID token (the code flow always issues an access token); discovery lists them; a client
not registered for a scope does not get it; `eidctl citizen add/set` with the contact
options (validated, exit 2 naming the flag) and its effect on a running eidd."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from eidtest import Env, Tap  # noqa: E402
from oidctest import (Browser, Citizen, authorize_query, basic, pkce_pair,  # noqa: E402
                      post_form, redirect_params, run_flow, verify_jwt)

RP = 'https://portal.example.vn/cb'
RP2 = 'https://shop.example.vn/cb'
CONTACT = ('address', 'phone_number', 'phone_number_verified', 'email', 'email_verified')
ADDRESS = {'street_address': '12 Tràng Tiền', 'locality': 'Hoàn Kiếm', 'region': 'Hà Nội',
           'postal_code': '100000', 'country': 'Việt Nam',
           'formatted': '12 Tràng Tiền\nHoàn Kiếm, Hà Nội\nViệt Nam'}


def add_client(env, *args):
    rc, c, err = env.ctl_json('client', 'add', *args)
    if rc != 0 or not c:
        raise RuntimeError('client add failed: %s' % err)
    return c


def tokens(env, br, citizen, client, scope, redirect=RP):
    """Sign in (if needed), consent, exchange the code: (token response, redirect params)."""
    verifier, challenge = pkce_pair()
    q = authorize_query(client['client_id'], redirect, challenge, scope=scope)
    st, h, body, trace = run_flow(env, br, citizen, q)
    params, loc = redirect_params(h)
    code = params.get('code', [None])[0]
    if code is None:
        return None, params
    st, h, tok = post_form(env, '/token', {'grant_type': 'authorization_code', 'code': code,
                                           'redirect_uri': redirect, 'code_verifier': verifier},
                           auth=basic(client['client_id'], client['client_secret']))
    return (tok if st == 200 else None), params


def userinfo(env, tok):
    st, h, body = env.request('GET', '/userinfo', headers={'Authorization': 'Bearer ' + tok['access_token']})
    return st, (json.loads(body) if st == 200 else None)


def settled(env, tok, pred, seconds=1.0):
    """/userinfo until pred(claims) or the time is up: a running eidd sees a citizen change
    within 200 ms (srv_profile's per-thread cache, rechecked against citizens_generation)."""
    deadline = time.time() + seconds
    while True:
        st, ui = userinfo(env, tok)
        if (st == 200 and pred(ui or {})) or time.time() > deadline:
            return st, ui
        time.sleep(0.05)


t = Tap()
env = Env()
try:
    env.start()
    jwks = env.get_json('/jwks')[2]
    disco = env.get_json('/.well-known/openid-configuration')[2]
    for s in ('address', 'phone', 'email'):
        t.ok(s in disco.get('scopes_supported', []), 'discovery: scopes_supported has %s' % s)
    t.ok(all(c in disco.get('claims_supported', []) for c in CONTACT),
         'discovery: claims_supported has address, phone_number(_verified), email(_verified)',
         disco.get('claims_supported'))

    # ---- eidctl: add with contact options, set, show; --json uses the OIDC claim names
    rc, z, err = env.ctl_json('citizen', 'add', '--id-number', '079185000123', '--name', 'Trần Thị B',
                              '--birth-date', '1985-01-01', '--password', 'correct horse battery staple',
                              '--phone', '+84987654321', '--email', 'Tran.B@Mail.Example.VN',
                              '--email-verified', '--locality', 'Huế', '--country', 'VN')
    t.ok(rc == 0 and z is not None, 'citizen add with contact options', err)
    z = z or {}
    t.eq((z.get('phone_number'), z.get('phone_number_verified')), ('+84987654321', False),
         'citizen add: phone_number, unverified unless said')
    t.eq((z.get('email'), z.get('email_verified')), ('Tran.B@mail.example.vn', True),
         'citizen add: email with the domain lower-cased, email_verified')
    t.eq(z.get('address'), {'locality': 'Huế', 'country': 'VN'}, 'citizen add: address from member options')

    full = Citizen(env)                                           # 001090012345
    none = Citizen(env, '001190000777', 'Lê Văn Không', '1990-02-03')
    rc, z, err = env.ctl_json('citizen', 'set', full.idn, '--address-json', json.dumps(ADDRESS),
                              '--phone', '+84912345678', '--phone-verified',
                              '--email', 'an.nguyen@Example.VN')
    t.ok(rc == 0 and z is not None, 'citizen set --address-json --phone --email', err)
    z = z or {}
    t.eq(z.get('address'), ADDRESS, 'citizen set: the address object as given')
    t.eq((z.get('phone_number'), z.get('phone_number_verified')), ('+84912345678', True), 'citizen set: phone')
    t.eq((z.get('email'), z.get('email_verified')), ('an.nguyen@example.vn', False), 'citizen set: email')
    t.eq((z.get('name'), z.get('citizen_id')), (full.name, full.idn), 'citizen set leaves the rest alone')
    rc, z, err = env.ctl_json('citizen', 'show', none.idn)
    t.ok(rc == 0 and not any(k in (z or {}) for k in CONTACT), 'citizen show: no contact values, no keys', z)
    rc, out, err = env.ctl('citizen', 'show', full.idn)
    t.ok(rc == 0 and '+84912345678 (verified)' in out and 'an.nguyen@example.vn (not verified)' in out,
         'citizen show (text) has phone and email', out)
    rc, z, err = env.ctl_json('audit', 'list')
    ev = [e for e in (z or {}).get('events', []) if e.get('action') == 'citizen.update']
    t.ok(len(ev) == 1 and json.loads(ev[0].get('details') or '{}').get('changed') == list(CONTACT[:4]),
         'audit: citizen.update names the changed fields', ev)
    t.ok(ev and '84912345678' not in json.dumps(ev) and 'example.vn' not in json.dumps(ev),
         'audit: no contact values in the log')

    # ---- bad input: exit 2 and a message naming the flag; nothing changes
    bad = [
        (['--phone', '0912345678'], '--phone', 'E.164'),
        (['--phone', '+84 912 345 678'], '--phone', 'E.164'),
        (['--phone', '+8491234567890123'], '--phone', 'E.164'),
        (['--email', 'an.nguyen'], '--email', '@'),
        (['--email', 'an@localhost'], '--email', 'dot'),
        (['--email', 'an nguyen@example.vn'], '--email', 'before the @'),
        (['--email', 'an@exa_mple.vn'], '--email', 'host name'),
        (['--address-json', '[1, 2]'], '--address-json', 'JSON object'),
        (['--address-json', '{"city": "Huế"}'], '--address-json', 'not an address member'),
        (['--address-json', '{"country": 84}'], '--address-json', 'not a string'),
        (['--address-json', '{"country": "VN", "country": "FR"}'], '--address-json', 'duplicate'),
        (['--locality', 'Hoàn\nKiếm'], '--locality', 'single line'),
        (['--country', 'V\tN'], '--country', 'control'),
        (['--street', 'x' * 600], '--street', '512'),
        (['--phone-verified=maybe'], '--phone-verified', 'yes or no'),
    ]
    for args, flag, needle in bad:
        rc, out, err = env.ctl('citizen', 'set', full.idn, *args)
        t.ok(rc == 2 and ('eidctl: ' + flag) in err and needle in err,
             'citizen set refuses %s' % ' '.join(a[:40] for a in args).replace('\n', '\\n'), err)
    rc, out, err = env.ctl('citizen', 'set', none.idn, '--email-verified')
    t.ok(rc == 2 and '--email-verified' in err, 'email_verified needs an email on record', err)
    rc, out, err = env.ctl('citizen', 'add', '--id-number', '001090099999', '--name', 'X Y',
                           '--birth-date', '1990-01-01', '--password', 'correct horse battery',
                           '--email', 'bad@')
    t.ok(rc == 2 and '--email' in err, 'citizen add refuses a bad --email', err)
    rc, out, err = env.ctl('citizen', 'show', '001090099999')
    t.eq(rc, 1, '... and adds nothing')
    rc, out, err = env.ctl('citizen', 'set', full.idn)
    t.ok(rc == 2 and '--phone' in err, 'citizen set without an option is a usage error', err)
    rc, out, err = env.ctl('citizen', 'set', '001090088888', '--phone', '+84912345678')
    t.ok(rc == 1 and 'no such citizen' in err, 'citizen set on an unknown citizen fails', err)
    rc, z, err = env.ctl_json('citizen', 'show', full.idn)
    t.ok(rc == 0 and z.get('address') == ADDRESS and z.get('phone_number') == '+84912345678' and
         z.get('email') == 'an.nguyen@example.vn', 'refused changes left the citizen as it was', z)

    # ---- release through /userinfo
    allc = add_client(env, '--name', 'Cổng dịch vụ công', '--redirect-uri', RP, '--scope',
                      'openid profile citizen_id address phone email')
    shop = add_client(env, '--name', 'Cửa hàng', '--redirect-uri', RP2, '--scope', 'openid profile')
    br = Browser(env)
    want_full = {
        'address': {'address': ADDRESS},
        'phone': {'phone_number': '+84912345678', 'phone_number_verified': True},
        'email': {'email': 'an.nguyen@example.vn', 'email_verified': False},
    }
    for scope in ('address', 'phone', 'email'):
        tok, params = tokens(env, br, full, allc, 'openid ' + scope)
        t.ok(tok is not None and tok.get('scope') == 'openid ' + scope, 'scope %s alone: tokens' % scope,
             params)
        st, ui = userinfo(env, tok or {'access_token': 'x'})
        ui = ui or {}
        got = {k: v for k, v in ui.items() if k != 'sub'}
        t.eq(got, want_full[scope], 'scope %s alone: userinfo has exactly its claims' % scope)

    tok, params = tokens(env, br, full, allc, 'openid profile citizen_id address phone email')
    t.ok(tok is not None, 'all scopes together: tokens', params)
    tok = tok or {'access_token': 'x', 'id_token': 'x.e30.x'}
    st, ui = userinfo(env, tok)
    ui = ui or {}
    want = {'name': full.name, 'birthdate': full.birth, 'gender': 'male', 'citizen_id': full.idn}
    for v in want_full.values():
        want.update(v)
    t.eq({k: v for k, v in ui.items() if k != 'sub'}, want, 'all scopes together: userinfo has every claim')
    hc = verify_jwt(tok['id_token'], jwks)
    t.ok(hc is not None, 'ID token verifies')
    idc = hc[1] if hc else {}
    t.ok(idc.get('sub') == ui.get('sub') and not any(k in idc for k in CONTACT + ('name', 'citizen_id')),
         'ID token: same sub, no scope claims (an access token was issued: Core 5.4)', idc)
    full_tok = tok

    # ---- a citizen with none of the values: the claims are left out, not null or ""
    br2 = Browser(env)
    tok, params = tokens(env, br2, none, allc, 'openid address phone email')
    st, ui = userinfo(env, tok or {'access_token': 'x'})
    t.ok(st == 200 and list((ui or {}).keys()) == ['sub'],
         'no values on record: userinfo has only sub for address phone email', ui)

    # ---- a client not registered for the scope does not get it
    br3 = Browser(env)
    tok, params = tokens(env, br3, full, shop, 'openid profile address', redirect=RP2)
    t.ok(tok is None and params.get('error') == ['invalid_scope'],
         'a client not registered for address is refused invalid_scope', params)
    tok, params = tokens(env, br3, full, shop, 'openid profile', redirect=RP2)
    st, ui = userinfo(env, tok or {'access_token': 'x'})
    t.ok(st == 200 and ui.get('name') == full.name and not any(k in ui for k in CONTACT),
         'its own scopes release no contact claims', ui)

    # ---- eidctl citizen set reaches the running eidd at the next /userinfo
    rc, z, err = env.ctl_json('citizen', 'set', full.account, '--phone', '+84911111111',
                              '--street', '', '--postal-code', '', '--address-formatted', '',
                              '--email-verified')
    t.ok(rc == 0, 'citizen set by account id', err)
    st, ui = settled(env, full_tok, lambda u: u.get('phone_number') == '+84911111111')
    ui = ui or {}
    t.eq((ui.get('phone_number'), ui.get('phone_number_verified')), ('+84911111111', False),
         'set takes effect without restart: new phone, unverified as it changed')
    t.eq(ui.get('email_verified'), True, 'set takes effect: email_verified')
    t.eq(ui.get('address'), {'locality': 'Hoàn Kiếm', 'region': 'Hà Nội', 'country': 'Việt Nam'},
         'set takes effect: "" removed address members')
    rc, z, err = env.ctl_json('citizen', 'set', full.idn, '--phone', '', '--address-json', '',
                              '--email-verified=no')
    st, ui = settled(env, full_tok, lambda u: 'phone_number' not in u)
    ui = ui or {}
    t.ok(rc == 0 and 'phone_number' not in ui and 'phone_number_verified' not in ui and 'address' not in ui,
         'removed values are left out of /userinfo', ui)
    t.eq((ui.get('email'), ui.get('email_verified')), ('an.nguyen@example.vn', False),
         'email_verified=no takes effect')
finally:
    env.close()
t.done()
