#!/usr/bin/env python3
"""Redis killed during requests: fast 503, /readyz fails, recovery without a restart."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from eidtest import Env, Tap  # noqa: E402

t = Tap()
env = Env()
COOKIE = {'Cookie': 'eid_session=' + 'A' * 43}
try:
    env.start()
    st, h, body = env.get_json('/readyz')
    t.ok(st == 200 and body == {'status': 'ready', 'redis': 'ok', 'database': 'ok'}, '/readyz ready', body)
    st, h, body = env.get_json('/session', COOKIE)
    t.ok(st == 200 and body == {'authenticated': False}, 'an unknown session cookie is not signed in', body)

    # Redis stays down while a load runs: every answer is fast and well-formed
    results = []
    stop = threading.Event()

    def load():
        while not stop.is_set():
            t0 = time.time()
            try:
                st_, _, _ = env.get('/session', COOKIE, timeout=5)
            except OSError:
                st_ = -1
            results.append((st_, time.time() - t0))

    workers = [threading.Thread(target=load) for _ in range(4)]
    for w in workers:
        w.start()
    time.sleep(0.3)
    env.redis.stop()                # SIGKILL: connections die mid-flight
    time.sleep(1.5)
    stop.set()
    for w in workers:
        w.join()
    codes = {c for c, _ in results}
    t.ok(codes <= {200, 503}, 'during the outage every answer is 200 or 503, never a crash', codes)
    after = [d for c, d in results if c == 503]
    t.ok(len(after) > 10, 'requests during the outage get 503', len(after))
    slow = sorted(after)[-1] if after else 99
    t.ok(slow < 1.0, 'each 503 comes fast (slowest %.3f s)' % slow, slow)

    st, h, body = env.get_json('/session', COOKIE)
    t.ok(st == 503 and body['error'] == 'temporarily_unavailable', 'an endpoint that needs Redis says 503 temporarily_unavailable', body)
    t.eq(h.get('retry-after'), '1', 'the 503 carries Retry-After')
    t0 = time.time()
    st, h, body = env.get_json('/readyz')
    t.ok(st == 503 and body['redis'] == 'unavailable' and body['database'] == 'ok',
         '/readyz fails and says Redis is the problem', body)
    t.ok(time.time() - t0 < 1.0, '/readyz answers fast while Redis is down')
    st, h, body = env.get('/healthz')
    t.eq(st, 200, '/healthz still passes: the process is up')
    st, h, body = env.get('/jwks')
    t.eq(st, 200, 'endpoints that do not need Redis keep working')
    st, h, body = env.get('/metrics')
    t.ok(st == 200 and b'eid_sessions_active' not in body and b'eid_redis_errors_total 0' not in body,
         '/metrics counts Redis errors and leaves out the session gauge it cannot read', body[-600:])

    # Redis returns: service comes back by itself, no restart of eidd
    pid = env.proc.pid
    env.redis.start()
    ok = False
    deadline = time.time() + 10
    while time.time() < deadline:
        st, h, body = env.get_json('/readyz')
        if st == 200:
            ok = True
            break
        time.sleep(0.1)
    t.ok(ok, '/readyz recovers after Redis restarts', body)
    recovered = 0
    for _ in range(20):             # every worker thread reconnects
        st, h, body = env.get_json('/session', COOKIE)
        recovered += st == 200
    t.eq(recovered, 20, 'requests needing Redis succeed again on every worker')
    t.eq(env.proc.pid, pid, 'the same eidd process served before and after')
    log = env.logtext()
    t.ok('"event":"redis_unavailable"' in log and '"event":"redis_reconnected"' in log,
         'the outage and the recovery are logged', log[-800:])
finally:
    env.close()
sys.exit(t.done())
