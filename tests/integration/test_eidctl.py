#!/usr/bin/env python3
"""eidctl: input validation, --json output, and changes a running eidd sees at once."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from eidtest import Env, Tap  # noqa: E402

t = Tap()
env = Env()
try:
    rc, out, err = env.ctl('--help', config=False)
    t.ok(rc == 0 and 'client add' in out, 'eidctl --help lists the commands', err)
    rc, out, err = env.ctl('frobnicate')
    t.ok(rc == 2 and "unknown command 'frobnicate'" in err, 'an unknown command exits 2', err)

    # clients
    rc, c, err = env.ctl_json('client', 'add', '--name', 'Cổng dịch vụ công', '--redirect-uri',
                              'https://dichvucong.example.vn/cb', '--redirect-uri', 'http://localhost:3000/cb',
                              '--grant', 'authorization_code', '--grant', 'refresh_token',
                              '--scope', 'openid profile citizen_id')
    t.ok(rc == 0 and c is not None, 'client add --json succeeds', err)
    c = c or {}
    t.ok(len(c.get('client_id', '')) >= 16 and len(c.get('client_secret', '')) >= 43,
         'client add prints client_id and a 256-bit client_secret', c)
    t.eq(c.get('redirect_uris'), ['https://dichvucong.example.vn/cb', 'http://localhost:3000/cb'],
         'redirect_uris as given (RFC 7591 names)')
    t.eq(c.get('grant_types'), ['authorization_code', 'refresh_token'], 'grant_types')
    t.eq(c.get('token_endpoint_auth_method'), 'client_secret_basic', 'default auth method')
    t.eq(c.get('client_name'), 'Cổng dịch vụ công', 'client_name keeps Vietnamese text')
    rc, shown, err = env.ctl_json('client', 'show', c.get('client_id', '-'))
    t.ok(rc == 0 and 'client_secret' not in shown, 'client show never prints the secret again', shown)
    dbtext = open(os.path.join(env.data, 'eid.db'), 'rb').read()
    t.ok(c.get('client_secret', 'x').encode() not in dbtext, 'the client secret is not stored in clear')
    rc, lst, err = env.ctl_json('client', 'list')
    t.ok(rc == 0 and [x['client_id'] for x in lst['clients']] == [c.get('client_id')], 'client list', lst)

    bad = [
        (['--name', 'x', '--redirect-uri', 'http://portal.example.vn/cb'], 'https'),
        (['--name', 'x', '--redirect-uri', 'https://*.example.vn/cb'], 'wildcard'),
        (['--name', 'x', '--redirect-uri', 'https://a.example.vn/cb#frag'], 'fragment'),
        (['--name', 'x', '--redirect-uri', 'myapp:/cb'], 'reverse-domain'),
        (['--name', 'x', '--redirect-uri', 'https://user@a.example.vn/cb'], 'user'),
        (['--redirect-uri', 'https://a.example.vn/cb'], '--name'),
        (['--name', 'x'], 'redirect-uri'),
        (['--name', 'x', '--redirect-uri', 'https://a.vn/cb', '--grant', 'implicit'], 'authorization_code'),
        (['--name', 'x', '--redirect-uri', 'https://a.vn/cb', '--scope', 'openid everything'], 'unknown scope'),
        (['--name', 'x', '--redirect-uri', 'https://a.vn/cb', '--auth-method', 'client_secret_jwt'], 'must be'),
        (['--name', 'x', '--grant', 'client_credentials', '--auth-method', 'none'], 'public client'),
        (['--name', 'x', '--redirect-uri', 'https://a.vn/cb', '--auth-method', 'private_key_jwt'], '--jwks'),
        (['--name', 'x', '--redirect-uri', 'https://a.vn/cb', '--id-token-alg', 'HS256'], 'RS256'),
        (['--name', 'x', '--redirect-uri', 'https://a.vn/cb', '--subject-type', 'secret'], 'pairwise'),
    ]
    for args, needle in bad:
        rc, out, err = env.ctl('client', 'add', *args)
        t.ok(rc == 2 and needle in err, 'client add refuses %s' % ' '.join(args), err)
    rc, out, err = env.ctl('client', 'remove', 'no-such-client')
    t.ok(rc == 1 and 'no such client' in err, 'removing an unknown client says so', err)

    cc_rc, cc, err = env.ctl_json('client', 'add', '--name', 'Bank kiosk', '--grant', 'client_credentials',
                                  '--scope', 'document_verify')
    t.ok(cc_rc == 0 and cc['grant_types'] == ['client_credentials'], 'a client_credentials client needs no redirect URI', err)

    # citizens
    rc, z, err = env.ctl_json('citizen', 'add', '--id-number', '001090012345', '--name', 'Nguyễn Văn Mẫu',
                              '--birth-date', '1990-05-17', '--password', 'correct horse battery')
    t.ok(rc == 0 and z is not None, 'citizen add --json succeeds', err)
    z = z or {}
    t.ok(z.get('totp_uri', '').startswith('otpauth://totp/eID:001090012345?secret=') and
         'algorithm=SHA1&digits=6&period=30' in z.get('totp_uri', ''), 'citizen add prints the TOTP otpauth URI', z)
    t.eq((z.get('citizen_id'), z.get('sex'), z.get('level')), ('001090012345', 'male', 1),
         'citizen fields (sex from the ID number, level 1)')
    t.ok(b'correct horse battery' not in open(os.path.join(env.data, 'eid.db'), 'rb').read(),
         'the password is not stored in clear')
    bad = [
        ('00109001234', '1990-05-17', '12 digits'),
        ('0010900123456', '1990-05-17', '12 digits'),
        ('00109001234a', '1990-05-17', 'digits only'),
        ('000090012345', '1990-05-17', 'province'),
        ('001290012345', '1990-05-17', 'century'),
        ('001091012345', '1990-05-17', 'birth year'),
        ('001090012346', '1990-02-30', 'calendar'),
        ('001090012346', '2990-01-01', 'future'),
    ]
    for idn, birth, needle in bad:
        rc, out, err = env.ctl('citizen', 'add', '--id-number', idn, '--name', 'X', '--birth-date', birth,
                               '--password', 'long enough pw')
        t.ok(rc == 2 and needle in err, 'citizen add refuses %s / %s' % (idn, birth), err)
    rc, out, err = env.ctl('citizen', 'add', '--id-number', '079305004567', '--name', 'X',
                           '--birth-date', '2005-01-01', '--password', 'short')
    t.ok(rc == 2 and '8 to 128' in err, 'a short password is refused', err)
    rc, out, err = env.ctl('citizen', 'add', '--id-number', '001090012345', '--name', 'Dup',
                           '--birth-date', '1990-05-17', '--password', 'another password')
    t.ok(rc == 1 and 'already exists' in err, 'a second account for the same ID number is refused', err)
    rc, out, err = env.ctl_json('citizen', 'disable', '001090012345')
    t.ok(rc == 0 and out['status'] == 'disabled', 'citizen disable', err)
    rc, out, err = env.ctl_json('citizen', 'show', z.get('account_id', '-'))
    t.ok(rc == 0 and out['status'] == 'disabled' and 'password_hash' not in out and 'totp_uri' not in out,
         'citizen show by account id, without secrets', out)

    # keys: rotation reaches a running eidd without a restart
    env.start()
    st, h, body = env.get('/jwks')
    before = {k['kid'] for k in json.loads(body)['keys']}
    rc, keys, err = env.ctl_json('keys', 'list')
    t.ok(rc == 0 and len(keys['keys']) == 4 and all(k['state'] == 'active' for k in keys['keys']),
         'keys list shows the four active keys', keys)
    rc, rot, err = env.ctl_json('keys', 'rotate', '--alg', 'ES256')
    t.ok(rc == 0 and len(rot['rotated']) == 1 and rot['rotated'][0]['alg'] == 'ES256', 'keys rotate --alg ES256', err)
    new_kid = rot['rotated'][0]['kid'] if rc == 0 else None
    after = set()
    deadline = time.time() + 5
    while time.time() < deadline:
        st, h, body = env.get('/jwks')
        after = {k['kid'] for k in json.loads(body)['keys']}
        if new_kid in after:
            break
        time.sleep(0.2)
    t.ok(new_kid in after and before <= after, 'the running eidd publishes the new key and keeps the old', (before, after))
    old_es = [k['kid'] for k in keys['keys'] if k['alg'] == 'ES256'][0]
    rc, out, err = env.ctl('keys', 'retire', new_kid or '-')
    t.ok(rc == 1 and 'active' in err, 'the active key cannot be retired', err)
    rc, out, err = env.ctl('keys', 'retire', old_es)
    t.eq(rc, 0, 'an old key can be retired')
    deadline = time.time() + 5
    while time.time() < deadline:
        st, h, body = env.get('/jwks')
        after = {k['kid'] for k in json.loads(body)['keys']}
        if old_es not in after:
            break
        time.sleep(0.2)
    t.ok(old_es not in after and new_kid in after, 'a retired key leaves the running JWKS', after)

    # environment instead of --config: same data
    rc, out, err = env.ctl('--json', 'client', 'list', config=False,
                           env=env.env(EID_ISSUER=env.issuer, EID_DATA_DIR=env.data))
    t.ok(rc == 0 and len(json.loads(out)['clients']) == 2, 'eidctl reads EID_* variables like eidd', err)

    rc, audit, err = env.ctl_json('audit', 'list')
    actions = [e['action'] for e in audit['events']] if audit else []
    t.ok(rc == 0 and actions.count('client.add') == 2 and 'citizen.add' in actions and
         'keys.rotate' in actions and 'keys.retire' in actions and 'citizen.disable' in actions,
         'every change is in the audit log', actions)
    t.ok('001090012345' not in json.dumps(audit), 'the audit log names accounts, not ID numbers')
finally:
    env.close()
sys.exit(t.done())
