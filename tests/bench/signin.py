#!/usr/bin/env python3
"""tests/bench/signin.py - password and passkey sign-ins per second, against the raw
Argon2id rate with the same parameters, measured in one run on this machine.

usage: tests/bench/signin.py [--signins 100] [--passkey-seconds 8] [--argon2-seconds 3]
                             [--build build-bench]

Builds eidd, eidctl and bench_argon2 (release, like tests/bench/run.py), starts a private
Redis and eidd on 127.0.0.1 (tests/lib/eidtest.py's Env, eidd's default Argon2id cost),
creates citizens with eidctl, then measures:

  argon2     bench_argon2: crypto_pwhash_str_verify alone, 1 thread and N = cores threads,
             run before and after the HTTP measures (the floor of a password sign-in)
  password   GET /login (CSRF cookie + token, fetched per sign-in) then POST /login with
             ID number + password + TOTP (303 + session cookie); at concurrency 1 and
             2 x cores. Each sign-in comes from its own loopback source address
             (127.1.x.y) and a citizen is used at most twice (TOTP steps now and now+1), so
             neither the failure throttles nor the one-time-code rule interfere.
  passkey    GET /login, POST /passkey/login/options, POST /passkey/login with a software
             authenticator (tests/lib/passkeytest.py's Authenticator, ES256, user verification), one
             registered passkey per worker so counters stay in order; registration is set-up.

For each: sign-ins/s, latency p50/p99 of the whole sign-in (all its requests), eidd CPU
per sign-in (utime + stime from /proc/<pid>/stat; the user part in brackets) and Redis
CPU, this script's own CPU (the load generator shares the cores), errors; then the ratio
password sign-ins/s : Argon2id verifications/s at the same concurrency, and eidd's CPU per
password sign-in against the CPU of one Argon2id verification. The load average before
and after is printed: the machine is shared, so read the ratios of this run.

Everything targets 127.0.0.1 only; every loop is bounded (fixed counts, a time cap per
phase, timeouts on every call) and everything it starts stops with it.
"""
import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(TOP, 'tests', 'lib'))
import oidctest  # noqa: E402  (re-executes under /usr/bin/python3 when cryptography is missing)
from run import cpu_ticks, rss_kib  # noqa: E402  (tests/bench/run.py: /proc readers)

HZ = os.sysconf('SC_CLK_TCK')
CORES = os.cpu_count() or 1
FORM = 'application/x-www-form-urlencoded'
PHASE_CAP_S = 120               # no phase runs longer than this, whatever happens
CALL_TIMEOUT_S = 30


def source_ip(i):
    """A distinct loopback source address per sign-in: 127.1.0.1, 127.1.0.2, ..."""
    i += 1
    return '127.1.%d.%d' % ((i // 254) % 256, i % 254 + 1)


class Client:
    """One keep-alive connection from a given source address, with a cookie jar."""

    def __init__(self, port, src):
        self.c = http.client.HTTPConnection('127.0.0.1', port, timeout=CALL_TIMEOUT_S,
                                            source_address=(src, 0))
        self.cookies = {}

    def request(self, method, path, fields=None):
        h = {}
        if self.cookies:
            h['Cookie'] = '; '.join('%s=%s' % kv for kv in self.cookies.items())
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            h['Content-Type'] = FORM
        self.c.request(method, path, body=body, headers=h)
        r = self.c.getresponse()
        data = r.read().decode('utf-8', 'replace')
        for sc in r.msg.get_all('Set-Cookie') or []:
            name, _, rest = sc.partition('=')
            if 'Max-Age=0' in sc:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = rest.split(';')[0]
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def csrf(self):
        st, _, body = self.request('GET', '/login?ui_locales=en&return_to=/')
        tok = oidctest.form_fields(body).get('csrf', '')
        if st != 200 or not tok:
            raise RuntimeError('GET /login answered %s without a CSRF token' % st)
        return tok

    def close(self):
        self.c.close()


def has_session(cookies):
    return any(re.search(r'(^|_)eid_session$', name) for name in cookies)


# ---- one sign-in of each kind (raise on failure) ----

class Codes:
    """Hands out (citizen, TOTP code) pairs: each citizen twice, with the code of the
    current step or the next one (both inside the server's +-1 step window), never the
    same step twice for one citizen."""

    def __init__(self, citizens):
        self.queue = list(citizens) + list(citizens)
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            if not self.queue:
                return None, None
            c = self.queue.pop(0)
            now = int(time.time() // 30)
            step = now if now not in c.used else now + 1
            c.used.add(step)
        return c, oidctest.totp(c.secret, step * 30)


def password_signin(port, i, codes):
    citizen, otp = codes.take()
    if citizen is None:
        raise LookupError('out of citizens')
    cl = Client(port, source_ip(i))
    try:
        t0 = time.perf_counter()
        tok = cl.csrf()
        t1 = time.perf_counter()
        st, h, _ = cl.request('POST', '/login', {
            'csrf': tok, 'return_to': '/', 'lang': 'en', 'username': citizen.idn,
            'password': oidctest.PASSWORD, 'otp': otp})
        if st != 303 or not has_session(cl.cookies):
            raise RuntimeError('POST /login answered %s' % st)
        return t1 - t0, time.perf_counter() - t1
    finally:
        cl.close()


def passkey_signin(port, i, auth, origin):
    cl = Client(port, source_ip(i))
    try:
        t0 = time.perf_counter()
        tok = cl.csrf()
        t1 = time.perf_counter()
        st, _, body = cl.request('POST', '/passkey/login/options', {'csrf': tok})
        t2 = time.perf_counter()
        if st != 200:
            raise RuntimeError('/passkey/login/options answered %s' % st)
        fields = auth.get(json.loads(body), origin)
        fields.update({'csrf': tok, 'return_to': '/'})
        st, _, body = cl.request('POST', '/passkey/login', fields)
        if st != 200 or json.loads(body).get('redirect') != '/' or not has_session(cl.cookies):
            raise RuntimeError('/passkey/login answered %s %s' % (st, body[:80]))
        return t1 - t0, t2 - t1, time.perf_counter() - t2
    finally:
        cl.close()


# ---- measuring ----

def task_ticks(pid):
    """utime + stime of each thread of pid, by thread id."""
    out = {}
    try:
        tids = os.listdir('/proc/%d/task' % pid)
    except OSError:
        return out
    for tid in tids:
        try:
            with open('/proc/%d/task/%s/stat' % (pid, tid)) as f:
                fields = f.read().rsplit(')', 1)[1].split()
            out[tid] = int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return out


def self_ticks():
    t = os.times()
    return (t.user + t.system) * HZ


def measure(env, workers, count, seconds, one):
    """Run one(i, worker) from `workers` threads until `count` sign-ins are done or
    `seconds` have passed. Latencies of the successful ones, CPU of eidd / Redis / us."""
    lock = threading.Lock()
    nxt = [0]
    lat, errs, parts = [], [], []
    deadline = time.time() + min(seconds, PHASE_CAP_S)

    def loop(w):
        while time.time() < deadline:
            with lock:
                i = nxt[0]
                if i >= count:
                    return
                nxt[0] += 1
            t0 = time.perf_counter()
            try:
                part = one(i, w)
            except LookupError:
                return
            except Exception as ex:     # noqa: BLE001 - every failure is counted and shown
                with lock:
                    errs.append(repr(ex))
                continue
            with lock:
                lat.append(time.perf_counter() - t0)
                parts.append(part)

    eidd, redis = env.proc.pid, env.redis.proc.pid
    tasks0 = task_ticks(eidd)
    c0 = (cpu_ticks(eidd), cpu_ticks(eidd, (11,)), cpu_ticks(redis), self_ticks())
    threads = [threading.Thread(target=loop, args=(w,), daemon=True) for w in range(workers)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join(max(1.0, deadline - time.time() + CALL_TIMEOUT_S))
    wall = time.perf_counter() - t0
    c1 = (cpu_ticks(eidd), cpu_ticks(eidd, (11,)), cpu_ticks(redis), self_ticks())
    tasks1 = task_ticks(eidd)
    busy = sorted(((tasks1[t] - tasks0.get(t, 0)) / HZ / wall for t in tasks1), reverse=True)
    n = max(len(lat), 1)
    per = [(b - a) * 1000.0 / HZ / n for a, b in zip(c0, c1)]     # ms per sign-in
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(round(p * (len(lat) - 1))))] * 1000 if lat else 0.0

    def median(xs):
        xs = sorted(xs)
        return xs[len(xs) // 2] * 1000 if xs else 0.0

    return {'workers': workers, 'ok': len(lat), 'errors': len(errs), 'why': errs[:3],
            'parts_p50_ms': [median(p[k] for p in parts) for k in range(len(parts[0]))] if parts else [],
            'eidd_cores': (c1[0] - c0[0]) / HZ / wall if wall > 0 else 0.0,
            'eidd_threads': [b for b in busy if b >= 0.01],
            'wall_s': wall, 'rate': len(lat) / wall if wall > 0 else 0.0,
            'p50_ms': pct(0.50), 'p99_ms': pct(0.99), 'eidd_ms': per[0], 'eidd_user_ms': per[1],
            'redis_ms': per[2], 'client_ms': per[3]}


def argon2(build, seconds):
    exe = os.path.join(build, 'tests', 'bench', 'bench_argon2')
    p = subprocess.run([exe, str(seconds), str(CORES)], capture_output=True, text=True,
                       timeout=10 * seconds + 120)
    m = re.search(r'BENCHJSON (\{.*\})', p.stdout)
    if p.returncode != 0 or not m:
        raise RuntimeError('bench_argon2 failed: ' + p.stdout + p.stderr)
    sys.stdout.write(''.join('  ' + line + '\n' for line in p.stdout.splitlines()
                             if not line.startswith('BENCHJSON')))
    return json.loads(m.group(1))


def make_citizens(env, n):
    """n citizens through eidctl (each add hashes a password: two at a time)."""
    out = [None] * n
    errs = []

    def add(k):
        for i in range(k, n, 2):
            try:
                out[i] = oidctest.Citizen(env, '079090%06d' % i, 'Nguyễn Văn Mẫu',
                                          '1990-05-17')
            except Exception as ex:     # noqa: BLE001
                errs.append(repr(ex))
                return

    threads = [threading.Thread(target=add, args=(k,), daemon=True) for k in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(600)
    if errs or any(c is None for c in out):
        raise RuntimeError('citizen add failed: %s' % (errs[:1] or 'timeout'))
    return out


def register_passkey(env, citizen, auth):
    """Sign in with password + TOTP, register auth's credential from /account."""
    br = oidctest.Browser(env)
    st, h, _ = oidctest.sign_in(br, citizen, '/login?return_to=/account')
    if st != 303:
        raise RuntimeError('set-up sign-in answered %s' % st)
    csrf = oidctest.form_fields(br.get('/account?ui_locales=en')[2]).get('csrf', '')
    st, _, body = br.request('POST', '/passkey/register/options', {'csrf': csrf})
    if st != 200:
        raise RuntimeError('/passkey/register/options answered %s' % st)
    st, _, body = br.request('POST', '/passkey/register',
                             dict(auth.create(json.loads(body), env.issuer), csrf=csrf))
    if st != 200:
        raise RuntimeError('/passkey/register answered %s %s' % (st, body[:80]))


def row(name, m):
    print('%-28s %3d workers: %7.1f sign-ins/s  p50 %7.1f  p99 %7.1f ms  eidd %6.2f ms CPU '
          '(user %.2f) + Redis %.2f  client %.2f ms  ok %d err %d %s' % (
              name, m['workers'], m['rate'], m['p50_ms'], m['p99_ms'], m['eidd_ms'],
              m['eidd_user_ms'], m['redis_ms'], m['client_ms'], m['ok'], m['errors'],
              m['why'] if m['why'] else ''), flush=True)
    print('%-28s eidd busy %.2f cores (threads: %s); p50 per request: %s ms' % (
        '', m['eidd_cores'], ' '.join('%.2f' % b for b in m['eidd_threads']),
        ' + '.join('%.1f' % v for v in m['parts_p50_ms'])), flush=True)


def build_tools(build):
    if not os.path.exists(os.path.join(build, 'build.ninja')):
        # a measurement build: release, asserts off; warnings are enforced by the normal builds
        subprocess.run(['meson', 'setup', build, '-Dbuildtype=release', '-Db_ndebug=true',
                        '-Dwerror=false'], cwd=TOP, check=True, capture_output=True, timeout=600)
    subprocess.run(['ninja', '-C', build, 'server/eidd', 'server/eidctl', 'tests/bench/bench_argon2'],
                   check=True, capture_output=True, timeout=1800)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--signins', type=int, default=100,
                    help='password sign-ins at concurrency 1 (twice as many at 2 x cores)')
    ap.add_argument('--passkey-seconds', type=float, default=8,
                    help='seconds per passkey phase (at most 5000 sign-ins each)')
    ap.add_argument('--argon2-seconds', type=float, default=3)
    ap.add_argument('--build', default=os.environ.get('EID_BUILD') or os.path.join(TOP, 'build-bench'))
    args = ap.parse_args()
    args.signins = max(10, min(args.signins, 500))
    args.passkey_seconds = max(1.0, min(args.passkey_seconds, 60.0))
    build = os.path.abspath(args.build)
    build_tools(build)
    os.environ['EID_BUILD'] = build
    import eidtest
    eidtest.EIDD = os.path.join(build, 'server', 'eidd')
    eidtest.EIDCTL = os.path.join(build, 'server', 'eidctl')
    from passkeytest import Authenticator

    load0 = os.getloadavg()
    high = 2 * CORES
    warm = 4
    n_pw = warm + args.signins + 2 * args.signins
    print('signin: %d cores, load average %.2f %.2f %.2f; build %s' % ((CORES,) + load0 + (build,)),
          flush=True)
    env = eidtest.Env(log_level='warn')
    try:
        env.start()
        t0 = time.time()
        citizens = make_citizens(env, (n_pw + 1) // 2 + high)
        pk_citizens, citizens = citizens[:high], citizens[high:]
        auths = [Authenticator(b'bench passkey %d' % k) for k in range(high)]
        for c, a in zip(pk_citizens, auths):
            register_passkey(env, c, a)
        print('set-up: %d citizens, %d passkeys in %.1f s' % (len(citizens) + high, high,
                                                             time.time() - t0), flush=True)

        print('argon2 (before):', flush=True)
        a0 = argon2(build, args.argon2_seconds)

        codes = Codes(citizens)
        port = env.port
        ip = [0]
        ip_lock = threading.Lock()

        def pw(i, w):
            with ip_lock:                # one source address per sign-in over the whole run
                ip[0] += 1
                k = ip[0]
            return password_signin(port, k, codes)

        measure(env, 1, warm, 60, pw)   # warm-up: the dummy hash, connections, caches
        pw1 = measure(env, 1, args.signins, PHASE_CAP_S, pw)
        row('password + TOTP', pw1)
        print('argon2 (between):', flush=True)
        am = argon2(build, args.argon2_seconds)
        pwn = measure(env, high, 2 * args.signins, PHASE_CAP_S, pw)
        row('password + TOTP', pwn)
        print('argon2 (after):', flush=True)
        a1 = argon2(build, args.argon2_seconds)
        hwm_pw = rss_kib(env.proc.pid, 'VmHWM') / 1024

        def pk(i, w):
            with ip_lock:
                ip[0] += 1
                k = ip[0]
            return passkey_signin(port, k, auths[w], env.issuer)

        measure(env, 1, 20, 30, pk)     # warm-up
        pk1 = measure(env, 1, 5000, args.passkey_seconds, pk)
        row('passkey', pk1)
        pkn = measure(env, high, 5000, args.passkey_seconds, pk)
        row('passkey', pkn)

        load1 = os.getloadavg()
        report(args, (a0, am, a1), pw1, pwn, pk1, pkn, hwm_pw, load0, load1)
        bad = pw1['errors'] + pwn['errors'] + pk1['errors'] + pkn['errors']
        return 1 if bad else 0
    finally:
        env.close()


def report(args, runs, pw1, pwn, pk1, pkn, hwm_pw, load0, load1):
    """runs: bench_argon2 before, between and after the two password phases; each phase's
    floor is the mean of the runs on either side of it."""
    high = 2 * CORES
    a0, am, a1 = runs
    r1 = (a0['rate_1'] + am['rate_1']) / 2
    rn = (am['rate_n'] + a1['rate_n']) / 2
    cpu1 = sum(a['cpu_ms_1'] for a in runs) / 3
    print()
    print('Argon2id t=%d m=%d KiB (bench_argon2, %.0f s per measure): 1 thread %.1f verifications/s '
          '(%.1f before, %.1f after the concurrency-1 phase), %d threads %.1f (%.1f before, %.1f '
          'after the concurrency-%d phase); %.2f ms CPU each (%s)' % (
              a0['opslimit'], a0['memlimit_kib'], args.argon2_seconds, r1, a0['rate_1'],
              am['rate_1'], CORES, rn, am['rate_n'], a1['rate_n'], high, cpu1,
              ', '.join('%.2f' % a['cpu_ms_1'] for a in runs)))
    print('load average: %.2f before, %.2f after (1 min); eidd high-water RSS after the password '
          'phases %.1f MB' % (load0[0], load1[0], hwm_pw))
    print()
    print('| sign-in | concurrency | sign-ins/s | floor: Argon2id verifications/s | ratio | '
          'p50 / p99 ms | eidd CPU ms per sign-in (user) | eidd cores busy | Redis CPU ms | '
          'load generator CPU ms | sign-ins (errors) |')
    print('|---|---|---|---|---|---|---|---|---|---|---|')
    for name, m, floor in (('password + TOTP', pw1, r1), ('password + TOTP', pwn, rn),
                           ('passkey (ES256)', pk1, None), ('passkey (ES256)', pkn, None)):
        print('| %s | %d | %.1f | %s | %s | %.1f / %.1f | %.2f (%.2f) | %.2f | %.2f | %.2f | %d (%d) |' % (
            name, m['workers'], m['rate'], '%.1f (%d thread%s)' % (
                floor, 1 if m['workers'] == 1 else CORES, '' if m['workers'] == 1 else 's')
            if floor else '-', '%.2f' % (m['rate'] / floor) if floor else '-',
            m['p50_ms'], m['p99_ms'], m['eidd_ms'], m['eidd_user_ms'], m['eidd_cores'], m['redis_ms'],
            m['client_ms'], m['ok'], m['errors']))
    print()
    over1 = pw1['eidd_ms'] - cpu1
    overn = pwn['eidd_ms'] - cpu1
    print('eidd CPU per password sign-in beyond one Argon2id verification (%.2f ms): %.2f ms at '
          'concurrency 1, %.2f ms at %d; a passkey sign-in costs %.2f / %.2f ms of eidd CPU '
          '(%.1f%% / %.1f%% of a password sign-in).' % (
              cpu1, over1, overn, high, pk1['eidd_ms'], pkn['eidd_ms'],
              100 * pk1['eidd_ms'] / max(pw1['eidd_ms'], 1e-9),
              100 * pkn['eidd_ms'] / max(pwn['eidd_ms'], 1e-9)))


if __name__ == '__main__':
    sys.exit(main())
