#!/usr/bin/env python3
"""A code exchange's answer leaves only once its data.release audit event is durable.

srv_http.c holds the answer (the connection suspended) while the store's writer thread
commits the event with whatever else is queued (group commit). These checks read the
audit log straight from the SQLite file, from another process, the moment each answer
arrives: an answer sent before its commit would be caught. Then eidd is stopped with
exchanges in flight: it must stop cleanly, and every exchange it answered must be in
the log."""
import os
import re
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from eidtest import Env, Tap  # noqa: E402
import oidctest as o  # noqa: E402

RP = 'https://portal.audit.example/cb'
THREADS = 16


def releases(env):
    """data.release rows in the audit log, read by a separate SQLite connection."""
    db = sqlite3.connect('file:%s?mode=ro' % os.path.join(env.data, 'eid.db'), uri=True,
                         timeout=10)
    try:
        return db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'data.release'").fetchone()[0]
    finally:
        db.close()


t = Tap()
env = Env(log_level='warn')
try:
    env.start()
    rc, web, err = env.ctl_json('client', 'add', '--name', 'Audit portal', '--redirect-uri', RP,
                                '--grant', 'authorization_code', '--scope', 'openid profile')
    t.eq(rc, 0, 'client added')
    auth = o.basic(web['client_id'], web['client_secret'])
    verifier, challenge = o.pkce_pair()
    q = o.authorize_query(web['client_id'], RP, challenge, scope='openid profile')
    br = o.Browser(env)
    st, h, body, trace = o.run_flow(env, br, o.Citizen(env), q)
    t.eq(st, 303, 'the citizen signs in and allows the portal')
    cookie = '; '.join('%s=%s' % kv for kv in br.cookies.items())

    def code():
        st, h, _ = env.request('GET', q, headers={'Cookie': cookie})
        m = re.search(r'[?&]code=([\w-]+)', h.get('location', ''))
        return m.group(1) if st == 303 and m else None

    def exchange(c):
        st, _, js = o.post_form(env, '/token', {'grant_type': 'authorization_code', 'code': c,
                                                'redirect_uri': RP, 'code_verifier': verifier}, auth)
        return st, js

    base = releases(env)
    t.eq(base, 0, 'no code exchanged yet, no data.release event')

    # 16 threads at once, 8 exchanges each; after each answer the log must already hold
    # at least as many events as answers have arrived
    lock = threading.Lock()
    answered = [0]
    late = []
    failed = []

    def worker(n):
        for _ in range(n):
            c = code()
            if c is None:
                failed.append('no code')
                return
            st, js = exchange(c)
            if st != 200 or not js or 'id_token' not in js:
                failed.append('exchange %s %s' % (st, js))
                return
            with lock:
                answered[0] += 1
                want = answered[0]
            got = releases(env) - base
            if got < want:
                late.append((want, got))

    ths = [threading.Thread(target=worker, args=(8,)) for _ in range(THREADS)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(120)
    t.eq(failed, [], 'every concurrent exchange is answered with tokens')
    t.eq(answered[0], THREADS * 8, 'all %d exchanges answered' % (THREADS * 8))
    t.eq(late, [], 'no answer arrived before its audit event was in the database')
    t.eq(releases(env) - base, THREADS * 8, 'one data.release event per exchange, none twice')

    # stop eidd while exchanges are in flight: a clean exit, and nothing answered is lost
    codes = [c for c in (code() for _ in range(400)) if c]
    t.eq(len(codes), 400, '400 more codes minted')
    before = releases(env)
    ok = [0]
    stop_at = threading.Event()

    def flood(part):
        for c in part:
            try:
                st, js = exchange(c)
            except OSError:
                continue            # the server went away: not answered
            if st == 200:
                with lock:
                    ok[0] += 1
                if ok[0] >= 40:
                    stop_at.set()

    ths = [threading.Thread(target=flood, args=(codes[i::THREADS],)) for i in range(THREADS)]
    for th in ths:
        th.start()
    stop_at.wait(60)
    t0 = time.time()
    rc = env.stop()
    took = time.time() - t0
    for th in ths:
        th.join(60)
    t.eq(rc, 0, 'eidd stops cleanly with exchanges in flight (SIGTERM)')
    t.ok(took < 15, 'and within the shutdown grace', took)
    t.ok(releases(env) - before >= ok[0],
         'every exchange answered before the stop has its event (%d answered, %d events)' % (
             ok[0], releases(env) - before))
    t.ok('AddressSanitizer' not in env.logtext() and 'runtime error' not in env.logtext(),
         'no sanitizer report in the log')
finally:
    env.close()
t.done()
