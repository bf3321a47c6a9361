#!/usr/bin/env python3
"""The heavy-work pool (server/srv_http.c): password sign-ins run off the HTTP workers.

eidd runs with two HTTP workers and a deliberately slow Argon2id (40 passes), so that
one password check takes long enough to see. Eight citizens sign in at once, some with the
right password and some with a wrong one, while the test keeps asking for /jwks and a
client_credentials token. Without the pool both HTTP workers would sit in Argon2id (or
wait for a free CPU slot) and those requests would wait for a password check to end;
with it they are answered at once. Every sign-in must get its own answer. Then eidd is
stopped with sign-ins still queued: it exits 0, promptly, and nothing is left behind."""
import http.client
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from eidtest import Env, Tap  # noqa: E402
from oidctest import PASSWORD, Browser, Citizen, basic, form_fields, unescape  # noqa: E402

N_LOGINS = 8


def login_form(env, citizen, password):
    """A browser with the login page's CSRF cookie, and the form to post."""
    br = Browser(env)
    st, h, body = br.get('/login?return_to=%2Faccount')
    f = form_fields(body)
    return br, {'csrf': f.get('csrf', ''), 'return_to': unescape(f.get('return_to', '/account')),
                'lang': 'en', 'username': citizen.idn, 'password': password, 'otp': citizen.otp()}


def timed(fn):
    t0 = time.monotonic()
    r = fn()
    return t0, time.monotonic(), r


t = Tap()
env = Env(extra_config='http_threads = 2\nargon2_opslimit = 40\n', log_level='info')
try:
    env.start()
    rc, cc, err = env.ctl_json('client', 'add', '--name', 'Bank', '--grant', 'client_credentials',
                               '--scope', 'document_verify')
    t.ok(rc == 0, 'a client_credentials client', err)
    auth = basic(cc['client_id'], cc['client_secret'])
    citizens = [Citizen(env, '001090%06d' % (500 + i), 'Heavy %d' % i, '1990-01-01') for i in range(N_LOGINS)]
    t.ok('"heavy_threads":' in env.logtext(), 'eidd starts a heavy-work pool (http_listening names it)')

    # one sign-in alone: how long a password check takes here
    br, form = login_form(env, citizens[0], PASSWORD)
    t0, t1, (st, h, body) = timed(lambda: br.request('POST', '/login', form))
    single = t1 - t0
    t.ok(st == 303 and h.get('location', '').endswith('/account'),
         'a sign-in alone succeeds (%.0f ms)' % (single * 1000), (st, h.get('location')))

    def token():
        c = http.client.HTTPConnection('127.0.0.1', env.port, timeout=30)
        try:
            c.request('POST', '/token', body='grant_type=client_credentials&scope=document_verify',
                      headers={'Authorization': auth, 'Content-Type': 'application/x-www-form-urlencoded'})
            r = c.getresponse()
            r.read()
            return r.status
        finally:
            c.close()

    # ---- eight sign-ins at once; the odd ones with a wrong password
    forms = [login_form(env, citizens[i], PASSWORD if i % 2 == 0 else 'not the password')
             for i in range(N_LOGINS)]
    results = [None] * N_LOGINS
    ends = [None] * N_LOGINS

    def sign_in(i):
        b, f = forms[i]
        results[i] = b.request('POST', '/login', f)
        ends[i] = time.monotonic()

    threads = [threading.Thread(target=sign_in, args=(i,), daemon=True) for i in range(N_LOGINS)]
    storm0 = time.monotonic()
    for th in threads:
        th.start()
    time.sleep(0.02)
    light = []                  # (start, end, what, status) of the cheap requests meanwhile
    while any(th.is_alive() for th in threads) and time.monotonic() - storm0 < 60:
        s, e, st = timed(lambda: env.get('/jwks', timeout=30)[0])
        light.append((s, e, 'jwks', st))
        s, e, st = timed(token)
        light.append((s, e, 'token', st))
        time.sleep(0.01)
    for th in threads:
        th.join(60)
    storm = max(x for x in ends if x is not None) - storm0 if all(ends) else None
    # (a loose bound: on a loaded machine the lone sign-in above may itself have been slow)
    t.ok(storm is not None and storm >= single * 0.8,
         'the sign-ins kept the pool busy (%s ms for %d, %.0f ms for one alone)'
         % ('%.0f' % (storm * 1000) if storm else '-', N_LOGINS, single * 1000))
    during = [x for x in light if storm is not None and x[0] < storm0 + storm - single / 2]
    t.ok(len(during) >= 4, 'cheap requests were sent while sign-ins were in progress (%d)' % len(during))
    worst = max((e - s for s, e, _, _ in during), default=None)
    t.ok(worst is not None and worst < min(0.15, single / 2),
         'JWKS and token requests were answered at once meanwhile (worst %.1f ms; a password check takes %.0f ms)'
         % ((worst or 0) * 1000, single * 1000))
    t.ok(all(x[3] == 200 for x in light), 'every one of them was 200', [x for x in light if x[3] != 200][:3])
    ok = [i for i in range(N_LOGINS) if results[i] and results[i][0] == 303 and
          results[i][1].get('location', '').endswith('/account') and 'eid_session' in forms[i][0].cookies]
    bad = [i for i in range(N_LOGINS) if results[i] and results[i][0] != 303 and
           'eid_session' not in forms[i][0].cookies]
    t.eq(ok, [0, 2, 4, 6], 'the right passwords signed in, each with its own session')
    t.eq(bad, [1, 3, 5, 7], 'the wrong passwords did not')
    sessions = {forms[i][0].cookies.get('eid_session') for i in ok}
    t.eq(len(sessions), 4, 'four different session cookies')
    for i in bad[:1]:
        t.ok(results[i][0] in (200, 401) and 'text/html' in results[i][1].get('content-type', ''),
             'a wrong password gets the login page again with its error', results[i][0])

    # ---- stop with sign-ins still queued: exits 0 promptly, no error in the log
    forms = [login_form(env, citizens[i], 'still wrong') for i in range(N_LOGINS)]
    answers = [None] * N_LOGINS

    def late(i):
        b, f = forms[i]
        try:
            answers[i] = b.request('POST', '/login', f)[0]
        except (OSError, http.client.HTTPException) as ex:
            answers[i] = type(ex).__name__

    threads = [threading.Thread(target=late, args=(i,), daemon=True) for i in range(N_LOGINS)]
    for th in threads:
        th.start()
    time.sleep(single * 0.5)
    t0 = time.monotonic()
    rc = env.stop(signal.SIGTERM, timeout=30)
    took = time.monotonic() - t0
    for th in threads:
        th.join(30)
    t.ok(rc == 0 and took < 10, 'SIGTERM with sign-ins queued: exits 0 (%.2f s)' % took, rc)
    t.ok(all(a is not None for a in answers), 'every queued sign-in got an answer or a closed connection',
         answers)
    log = env.logtext()
    t.ok('AddressSanitizer' not in log and 'runtime error' not in log and '"level":"error"' not in log,
         'no error in the log', [ln for ln in log.splitlines() if 'error' in ln.lower()][:3])
finally:
    env.close()
t.done()
