#!/usr/bin/python3
"""test_card_level2.py - level 2 with the chip card, end to end: a real eidd + Redis
(tests/lib/eidtest.py), a real pcscd with the virtual CCCD chip (pcsc_env.sh, private
namespaces, driven through a bash co-process), and eid-card bind / eid-card login.

  binding   sign in with the password, open /account/card, run `eid-card bind --code`
            with the virtual chip: another citizen's card, a tampered card and a clone
            (refused at the reader, and with --no-chip-auth refused by the server) leave
            the account at level 1; the genuine card makes it level 2 (eidctl), with
            card.bind in the audit log; the used code, an expired code, a sign-in code
            and a malformed request are refused.
  sign-in   a relying party asks for acr urn:eid:level:2; the login page links to
            /login/card, which shows a code; `eid-card login --code` approves it; a
            second browser can neither see nor use the approval; the first one continues
            (poll + "continue"), consents, and the ID token carries acr urn:eid:level:2
            and amr ["sc"]. Cards that are not bound / tampered are refused; a used code
            is refused. Unknown codes are rate-limited (429).
TAP output; exit 77 (skip) when not root or pcscd/vpcd/redis-server are missing.
usage: test_card_level2.py EID_CARD_EXE        (EID_BUILD = the meson build directory)
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
sys.path.insert(0, HERE)
from eidtest import Env, Tap  # noqa: E402
from oidctest import (Browser, Citizen, authorize_query, basic, form_fields,  # noqa: E402
                      local_path, pkce_pair, post_form, redirect_params, sign_in, unescape,
                      verify_jwt)
import server_fixture  # noqa: E402

MANIFEST = os.path.join(HERE, '..', 'vectors', 'cccd', 'cards.json')
RP = 'https://portal.example.vn/cb'
PORT = os.environ.get('PCSC_ENV_PORT', '35966')

READER_SCRIPT = r'''
PCSC_ENV_HERE=$1; PCSC_ENV_PORT=$2; STATE=$3
. "$PCSC_ENV_HERE/pcsc_env.sh"
pcsc_env_start_pcscd "$STATE" >&2 || exit 1
echo "__pid $PCSCD_PID"
while IFS= read -r line; do eval "$line" >&2; echo "__done $?"; done
pcsc_env_stop
'''


def skip(why):
    print('1..0 # SKIP %s' % why)
    sys.exit(77)


class Reader:
    """pcscd + the virtual chip, kept by a bash co-process that sources pcsc_env.sh."""

    def __init__(self, state):
        self.state = state
        self.p = subprocess.Popen(['bash', '-c', READER_SCRIPT, 'reader', HERE, PORT, state],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  stderr=open(os.path.join(state, 'reader.err'), 'w'))
        line = self.p.stdout.readline()
        if not line.startswith('__pid '):
            raise RuntimeError('pcscd did not start (see reader.err)')
        self.pcscd = int(line.split()[1])

    def run(self, line):
        self.p.stdin.write(line + '\n')
        self.p.stdin.flush()
        while True:
            out = self.p.stdout.readline()
            if out == '':
                raise RuntimeError('the reader co-process ended')
            if out.startswith('__done '):
                return int(out.split()[1])

    def card(self, name, *args):
        # a second try when the emulator or pcscd is slow to come up on a loaded machine
        # (this is the test bench starting, not the server under test)
        for _ in range(2):
            rc = self.run('pcsc_env_stop_chip; pcsc_env_start_vchip "%s" %s %s --require-access-control'
                          ' && pcsc_env_wait_card' % (MANIFEST, name, ' '.join(args)))
            if rc == 0:
                return
        try:
            with open(os.path.join(self.state, 'reader.err')) as f:
                why = ' | '.join(f.read().strip().splitlines()[-4:])
        except OSError:
            why = 'no reader.err'
        raise RuntimeError('vchip %s did not start: %s' % (name, why))

    def eid_card(self, *args, timeout=120):
        p = subprocess.run(['nsenter', '--mount=/proc/%d/ns/mnt' % self.pcscd, EID_CARD] + list(args),
                           capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def close(self):
        try:
            self.p.stdin.close()
            self.p.wait(timeout=20)
        except Exception:       # noqa: BLE001 - stop it whatever happened
            self.p.kill()


def page_code(body):
    m = re.search(r'<p class="code" id="card-code"[^>]*>([0-9A-Z]{4}-[0-9A-Z]{4})</p>', body)
    return m.group(1) if m else None


def level_of(env, idn):
    rc, z, _ = env.ctl_json('citizen', 'show', idn)
    return z.get('level') if rc == 0 and z else None


def audit_events(env, action):
    rc, z, _ = env.ctl_json('audit', 'list', '--limit', '1000')
    return [e for e in (z or {}).get('events', []) if e.get('action') == action]


def api(env, path, obj):
    st, h, data = env.request('POST', path, body=json.dumps(obj),
                              headers={'Content-Type': 'application/json'})
    try:
        return st, json.loads(data)
    except ValueError:
        return st, None


def expire_codes(env):
    """Let every card code in Redis expire now (as 5 minutes passing would)."""
    raw = env.redis.command('KEYS', 'eid:cardcode:*')
    for key in re.findall(rb'(eid:cardcode:[A-Za-z0-9_-]+)', raw):
        env.redis.command('PEXPIRE', key, 1)
    time.sleep(0.05)
    return len(re.findall(rb'eid:cardcode:', raw))


def main():
    global EID_CARD
    if len(sys.argv) < 2:
        print('usage: test_card_level2.py EID_CARD_EXE', file=sys.stderr)
        return 2
    EID_CARD = os.path.abspath(sys.argv[1])
    chk = subprocess.run(['bash', '-c', '. "$0/pcsc_env.sh"; pcsc_env_check || { echo "$PCSC_ENV_SKIP"; exit 1; }',
                          HERE], capture_output=True, text=True)
    if chk.returncode != 0:
        skip(chk.stdout.strip())
    if shutil.which('redis-server') is None:
        skip('redis-server not installed')

    t = Tap()
    state = tempfile.mkdtemp(prefix='eid-card-level2.')
    env = Env(log_level='info')
    reader = None
    try:
        env.start()
        rc, client, err = env.ctl_json('client', 'add', '--name', 'Bank counter', '--grant',
                                       'client_credentials', '--scope', 'document_verify')
        pki = os.path.join(HERE, '..', 'vectors', 'cccd', 'pki')
        rc2, _, err2 = env.ctl_json('trust', 'import', *[os.path.join(pki, f) for f in (
            'csca-rsa.pem', 'csca-ec.pem', 'csca-rsa.crl', 'csca-ec.crl')])
        if rc != 0 or rc2 != 0:
            raise RuntimeError('set-up: %s %s' % (err, err2))
        server_fixture.wait_trust(env, client)
        a = Citizen(env)                                                   # cccd1's citizen
        b = Citizen(env, '079305004567', 'Trần Thị Thử', '2005-11-20')     # cccd2's, not bound
        rc, portal, err = env.ctl_json('client', 'add', '--name', 'Cổng dịch vụ công',
                                       '--redirect-uri', RP, '--scope', 'openid profile')
        if rc != 0:
            raise RuntimeError('client add: ' + err)
        reader = Reader(state)
        url = env.issuer

        # ---------------------------------------------------------------- binding
        anon = Browser(env)
        st, h, _ = anon.get('/account/card')
        t.ok(st == 303 and h.get('location') == '/login?return_to=%2Faccount%2Fcard',
             '/account/card without a session: to /login?return_to=/account/card', (st, h.get('location')))

        br = Browser(env)
        st, h, _ = sign_in(br, a, '/login?return_to=%2Faccount%2Fcard')
        t.ok(st == 303 and h.get('location') == '/account/card', 'password sign-in returns to /account/card',
             (st, h.get('location')))

        def bind_code():
            st, h, body = br.get('/account/card?ui_locales=en')
            return st, h, body, page_code(body)

        st, h, body, code1 = bind_code()
        t.ok(st == 200 and code1 is not None and
             ('eid-card bind --server %s --code %s' % (url, code1)) in body and
             'no-store' in h.get('cache-control', ''),
             'the account page shows a one-time code ABCD-EFGH and the command', body[-600:])
        st, h, body, code1b = bind_code()
        t.ok(code1b is not None and code1b != code1, 'each visit shows a new code')
        raw = env.redis.command('TTL', [k for k in re.findall(rb'eid:cardcode:[A-Za-z0-9_-]+',
                                                             env.redis.command('KEYS', 'eid:cardcode:*'))][0])
        ttl = int(raw[1:].split(b'\r\n')[0])
        t.ok(250 < ttl <= 300, 'codes live 5 minutes in Redis (TTL %d)' % ttl)
        t.eq(level_of(env, a.idn), 1, 'the account starts at level 1')

        # another citizen's card
        reader.card('cccd2')
        rc, out, err = reader.eid_card('bind', '--server', url, '--code', code1, '--can', '004567')
        t.ok(rc == 8 and 'citizen_id_mismatch' in err, "another citizen's card: refused "
             '(citizen_id_mismatch), exit 8', (rc, out, err))
        t.eq(level_of(env, a.idn), 1, '... and the account stays at level 1')

        # a tampered card (DG13 altered, original SOD)
        reader.card('cccd1-tampered-dg13')
        _, _, _, code2 = bind_code()
        rc, out, err = reader.eid_card('bind', '--server', url, '--code', code2, '--can', '012345')
        t.ok(rc == 8 and 'card_not_genuine' in err and 'dg_hash_mismatch:13' in err,
             'a tampered card: refused (card_not_genuine, dg_hash_mismatch:13), exit 8', (rc, out, err))

        # a clone: the reader's Chip Authentication catches it before anything is sent
        reader.card('cccd1', '--clone')
        _, _, _, code3 = bind_code()
        rc, out, err = reader.eid_card('bind', '--server', url, '--code', code3, '--can', '012345')
        t.ok(rc == 8 and 'not submitted' in err, 'a clone: Chip Authentication fails at the reader, '
             'nothing submitted, exit 8', (rc, out, err))
        # ... and without CA at the reader, the server's Active Authentication does
        rc, out, err = reader.eid_card('bind', '--server', url, '--code', code3, '--can', '012345',
                                       '--no-chip-auth')
        t.ok(rc == 8 and 'card_not_authenticated' in err, 'a clone with --no-chip-auth: refused by '
             'the server (card_not_authenticated), exit 8', (rc, out, err))
        t.eq(level_of(env, a.idn), 1, 'after three refused cards the account is still level 1')
        fails = [e for e in audit_events(env, 'card.bind') if e['outcome'] == 'failure']
        t.ok(len(fails) == 3 and all('citizen_ref' in e['details'] and a.idn not in e['details']
                                     for e in fails),
             'each refusal is audited (card.bind failure, citizen_ref, no ID number)', fails)

        # a sign-in code is not a binding code (and is not spent by the mistake)
        lb = Browser(env)
        st, h, body = lb.get('/login/card')
        lcode = page_code(body)
        rc, out, err = reader.eid_card('bind', '--server', url, '--code', lcode, '--can', '012345')
        t.ok(rc == 9 and 'eid-card login' in err, 'a sign-in code given to bind: exit 9, says to use login',
             (rc, out, err))

        # the genuine card
        reader.card('cccd1')
        _, _, _, code4 = bind_code()
        rc, out, err = reader.eid_card('bind', '--server', url, '--code', code4.lower(), '--can', '012345')
        t.ok(rc == 0 and 'now at level 2' in out, 'the genuine card binds (code typed in lower case), exit 0',
             (rc, out, err))
        t.eq(level_of(env, a.idn), 2, 'the account is now level 2')
        ok = [e for e in audit_events(env, 'card.bind') if e['outcome'] == 'success']
        t.ok(len(ok) == 1 and ok[0]['subject'] == a.account and 'verification_id' in ok[0]['details']
             and a.idn not in ok[0]['details'], 'the binding is audited (card.bind success)', ok)
        st, h, body, _ = bind_code()
        t.ok('id="card-level"' in body, 'the account page says the account is level 2')

        # the same code again
        rc, out, err = reader.eid_card('bind', '--server', url, '--code', code4, '--can', '012345')
        t.ok(rc == 9 and 'already used' in err, 'a used code: refused, exit 9', (rc, out, err))
        # an expired code
        _, _, _, code5 = bind_code()
        n = expire_codes(env)
        rc, out, err = reader.eid_card('bind', '--server', url, '--code', code5, '--can', '012345')
        t.ok(n >= 1 and rc == 9 and 'expired' in err, 'an expired code: refused, exit 9', (rc, out, err))
        # malformed requests
        st, js = api(env, '/v1/card/bind', {'code': 'AB'})
        t.ok(st == 400 and js and js.get('error') == 'invalid_request', 'a malformed code: 400 invalid_request', js)
        _, _, _, code6 = bind_code()
        st, js = api(env, '/v1/card/bind', {'code': code6, 'sod': '!!', 'data_groups': {}})
        t.ok(st == 400 and js and js.get('error') == 'invalid_request' and js.get('error_description'),
             'a malformed card submission: 400 invalid_request with a description', js)
        rc, out, err = reader.eid_card('bind', '--server', url, '--code', 'ABCD', '--can', '012345')
        t.ok(rc == 2, 'eid-card bind --code ABCD: usage error, exit 2', (rc, err))

        # ---------------------------------------------------------------- chip sign-in
        c = Browser(env)
        verifier, challenge = pkce_pair()
        q = authorize_query(portal['client_id'], RP, challenge, scope='openid profile',
                            state='st-card', nonce='n-card', acr_values='urn:eid:level:2')
        st, h, _ = c.get(q)
        login_path = local_path(h.get('location', ''), env)
        t.ok(st == 303 and login_path and login_path.startswith('/login?') and 'level=2' in login_path,
             'a level-2 request goes to the sign-in page (level=2)', (st, h.get('location')))
        st, h, body = c.get(login_path)
        m = re.search(r'<form method="get" action="/login/card" id="card-login-link">\s*'
                      r'<input type="hidden" name="return_to" value="([^"]*)">', body)
        t.ok(st == 200 and m is not None, 'the sign-in page offers chip-card sign-in', body[-800:])
        return_to = unescape(m.group(1)) if m else '/'
        st, h, body = c.get('/login/card?' + urllib.parse.urlencode({'return_to': return_to, 'ui_locales': 'en'}))
        scode = page_code(body)
        f = form_fields(body)
        t.ok(st == 200 and scode and 'eid_cardlogin' in c.cookies and
             ('eid-card login --server %s --code %s' % (url, scode)) in body and
             '/static/card_login.js' in body and unescape(f.get('return_to', '')) == return_to,
             '/login/card shows a sign-in code, the command, the poll script, and sets the browser cookie',
             (st, c.cookies.keys(), body[-900:]))
        st, _, js = c.get('/login/card/status?code=' + scode)
        t.eq(json.loads(js), {'status': 'pending'}, 'status: pending before the card')
        st, h, body = c.request('POST', '/login/card', {'csrf': f['csrf'], 'code': f['code'],
                                                        'return_to': return_to, 'lang': 'en'})
        t.ok(st == 200 and 'id="card-notice"' in body and 'eid_session' not in c.cookies,
             '"continue" before approval: the same page, no session', st)
        st, h, js = c.get('/static/card_login.js')
        t.ok(st == 200 and 'javascript' in h.get('content-type', '') and '/login/card/status' in js,
             'the poll script is served')

        # a card that is not bound (B is level 1) and a tampered card cannot approve
        reader.card('cccd2')
        _, _, bbody = Browser(env).get('/login/card')
        rc, out, err = reader.eid_card('login', '--server', url, '--code', page_code(bbody), '--can', '004567')
        t.ok(rc == 8 and 'card_not_bound' in err, 'sign-in with a card not bound to a level-2 account: '
             'refused (card_not_bound), exit 8', (rc, out, err))
        reader.card('cccd1-tampered-dg1')
        _, _, bbody = Browser(env).get('/login/card')
        rc, out, err = reader.eid_card('login', '--server', url, '--code', page_code(bbody), '--can', '012345')
        t.ok(rc == 8 and 'card_not_genuine' in err, 'sign-in with a tampered card: refused, exit 8', (rc, out, err))

        # the bound card approves
        reader.card('cccd1')
        rc, out, err = reader.eid_card('login', '--server', url, '--code', scode, '--can', '012345')
        t.ok(rc == 0 and 'Sign-in approved' in out, 'eid-card login with the bound card: approved, exit 0',
             (rc, out, err))
        # another browser cannot see or use the approval
        d = Browser(env)
        st, _, dbody = d.get('/login/card')
        df = form_fields(dbody)
        st, _, js = d.get('/login/card/status?code=' + scode)
        t.eq(json.loads(js), {'status': 'expired'}, 'another browser polling the code learns nothing')
        st, h, body = d.request('POST', '/login/card', {'csrf': df['csrf'], 'code': scode,
                                                        'return_to': '/', 'lang': 'en'})
        t.ok(st == 403 and 'eid_session' not in d.cookies and 'another browser' in body,
             'another browser posting the approved code: 403, no session', st)
        st, _, js = c.get('/login/card/status?code=' + scode)
        t.eq(json.loads(js), {'status': 'approved'}, 'the browser that asked sees: approved')
        st, h, body = c.request('POST', '/login/card', {'csrf': f['csrf'], 'code': f['code'],
                                                        'return_to': '/elsewhere', 'lang': 'en'})
        t.ok(st == 303 and h.get('location') == return_to and 'eid_session' in c.cookies and
             'eid_cardlogin' not in c.cookies,
             'continue: a session, and on to the return_to the code was issued for', (st, h.get('location')))
        st, _, js = c.get('/session')
        sess = json.loads(js)
        t.ok(sess.get('acr') == 'urn:eid:level:2' and sess.get('amr') == ['sc'],
             'the session has acr urn:eid:level:2, amr ["sc"]', sess)
        st, h, body = c.request('POST', '/login/card', {'csrf': f['csrf'], 'code': f['code'],
                                                        'return_to': return_to, 'lang': 'en'})
        t.ok(st == 400 and 'expired or was already used' in body, 'the sign-in code works once', st)

        # on through /authorize, consent, the code exchange
        st, h, body = c.get(return_to)
        if st == 200 and 'action="/consent"' in body:
            cf = form_fields(body)
            st, h, body = c.request('POST', '/consent', {'csrf': cf['csrf'], 'areq': cf['areq'],
                                                         'lang': 'en', 'decision': 'allow'})
        params, loc = redirect_params(h)
        code = params.get('code', [None])[0]
        t.ok(st == 303 and loc.startswith(RP + '?') and code, 'the authorization request completes', (st, loc))
        st, _, tok = post_form(env, '/token', {'grant_type': 'authorization_code', 'code': code,
                                               'redirect_uri': RP, 'code_verifier': verifier},
                               auth=basic(portal['client_id'], portal['client_secret']))
        jwks = env.get_json('/jwks')[2]
        v = verify_jwt(tok['id_token'], jwks) if st == 200 and tok else None
        claims = v[1] if v else {}
        t.ok(v is not None and claims.get('acr') == 'urn:eid:level:2' and claims.get('amr') == ['sc']
             and claims.get('nonce') == 'n-card',
             'the ID token (signature checked) has acr urn:eid:level:2 and amr ["sc"]', claims)
        logins = audit_events(env, 'card.login')
        t.ok(any(e['outcome'] == 'success' and e['subject'] == a.account for e in logins) and
             sum(e['outcome'] == 'failure' for e in logins) == 2,
             'sign-ins are audited (card.login: 1 success, 2 failures)', logins)

        # ---------------------------------------------------------------- guessing codes
        statuses = []
        for i in range(12):
            st, js = api(env, '/v1/card/challenge', {'code': 'ZZZZ-%04d' % (2222 + i)})
            statuses.append(st)
        t.ok(statuses[0] == 400 and statuses[-1] == 429, 'unknown codes from one address are rate-limited '
             '(400 ... 429 slow_down)', statuses)

        # ---------------------------------------------------------------- the log
        reader.close()
        reader = None
        rc = env.stop()
        log = env.logtext()
        leaks = [s for s in (a.idn, b.idn, code1, code4, scode, code1.replace('-', ''),
                             scode.replace('-', '')) if s and s in log]
        t.ok(rc == 0 and not leaks, 'eidd exits 0; no ID number or code in its log', (rc, leaks))
    except Exception as e:      # noqa: BLE001 - reported as a failure, with the log
        t.ok(False, 'the test ran to the end', '%s: %s\n%s' % (type(e).__name__, e, env.logtext()[-3000:]))
    finally:
        if reader is not None:
            reader.close()
        env.close()
        if os.environ.get('KEEP') == '1':
            print('# state kept in %s' % state)
        else:
            shutil.rmtree(state, ignore_errors=True)
    return t.done()


if __name__ == '__main__':
    sys.exit(main())
