#!/usr/bin/env python3
"""tests/bench/run.py - eid-server against panva's oidc-provider, measured in one run.

usage: tests/bench/run.py [--seconds 10] [--connections 64] [--out docs/performance.md]

Builds eidd (release), starts a private Redis and eidd, registers a bench client with
eidctl; starts the peer from ../shared/peers/oidc-provider when it is there (npm install
into a scratch copy); runs the same workloads with wrk against both and prints, for each:
requests/s, p50/p99 latency, server CPU per request (from /proc/PID/stat), idle and peak
RSS, and the ratio eid-server / peer. Writes the table to docs/performance.md.
Load and servers share this machine's cores: compare ratios, not absolute numbers.
"""
import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, '..', '..'))
PEER_SRC = os.path.abspath(os.path.join(TOP, '..', 'shared', 'peers', 'oidc-provider'))
sys.path.insert(0, os.path.join(TOP, 'tests', 'lib'))
HZ = os.sysconf('SC_CLK_TCK')


def cpu_ticks(pid):
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return int(fields[11]) + int(fields[12])      # utime + stime


def rss_kib(pid, field='VmRSS'):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    return 0


def tree_pids(pid):
    out = [pid]
    try:
        kids = subprocess.run(['pgrep', '-P', str(pid)], capture_output=True, text=True).stdout.split()
    except OSError:
        kids = []
    for k in kids:
        out += tree_pids(int(k))
    return out


def wrk(url, seconds, conns, env):
    e = dict(os.environ, **env)
    p = subprocess.run(['wrk', '-t2', '-c%d' % conns, '-d%ds' % seconds, '--timeout', '10s',
                        '-s', os.path.join(HERE, 'wrk_fixed.lua'), url],
                       capture_output=True, text=True, env=e)
    m = re.search(r'BENCHJSON (\{.*\})', p.stdout)
    if not m:
        raise RuntimeError('wrk failed: ' + p.stdout + p.stderr)
    r = json.loads(m.group(1))
    non2xx = re.search(r'Non-2xx or 3xx responses: (\d+)', p.stdout)
    r['errors'] += int(non2xx.group(1)) if non2xx else 0
    return r


def measure(name, base, pid, seconds, conns, env):
    pids = tree_pids(pid)
    t0 = sum(cpu_ticks(p) for p in pids)
    r = wrk(base, seconds, conns, env)
    t1 = sum(cpu_ticks(p) for p in pids)
    reqs = max(r['requests'], 1)
    return {
        'rps': r['requests'] / (r['duration_us'] / 1e6),
        'p50_ms': r['p50_us'] / 1000, 'p99_ms': r['p99_us'] / 1000,
        'cpu_us': (t1 - t0) * 1e6 / HZ / reqs,
        'peak_rss_mb': sum(rss_kib(p, 'VmHWM') for p in pids) / 1024,
        'errors': r['errors'], 'requests': r['requests'],
    }


def http_ok(url, data=None, headers=None):
    try:
        req = urllib.request.Request(url, data=data, headers=headers or {})
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return 0, b''


def start_peer(port):
    if not os.path.isdir(PEER_SRC) or shutil.which('node') is None:
        return None, None
    work = tempfile.mkdtemp(prefix='eid-bench-peer-')
    shutil.copytree(PEER_SRC, os.path.join(work, 'peer'))
    d = os.path.join(work, 'peer')
    if subprocess.run(['npm', 'install', '--no-audit', '--no-fund', '--silent'], cwd=d,
                      capture_output=True).returncode != 0:
        print('bench: npm install of the peer failed; measuring eid-server alone')
        return None, None
    proc = subprocess.Popen(['node', 'server.mjs'], cwd=d, env=dict(os.environ, PORT=str(port)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if http_ok('http://127.0.0.1:%d/jwks' % port)[0] == 200:
            return proc, work
        time.sleep(0.1)
    proc.kill()
    return None, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seconds', type=int, default=10)
    ap.add_argument('--connections', type=int, default=64)
    ap.add_argument('--out', default=os.path.join(TOP, 'docs', 'performance.md'))
    args = ap.parse_args()
    if shutil.which('wrk') is None:
        subprocess.run(['apt-get', 'install', '-y', '-qq', 'wrk'], capture_output=True)
    build = os.path.join(TOP, 'build-bench')
    if not os.path.exists(os.path.join(build, 'build.ninja')):
        subprocess.run(['meson', 'setup', build, '-Dbuildtype=release', '-Dintegration=false'],
                       cwd=TOP, check=True, capture_output=True)
    subprocess.run(['ninja', '-C', build], check=True, capture_output=True)
    os.environ['EID_BUILD'] = build
    import eidtest
    eidtest.EIDD = os.path.join(build, 'server', 'eidd')
    eidtest.EIDCTL = os.path.join(build, 'server', 'eidctl')

    env = eidtest.Env(log_level='warn')
    peer = peer_dir = None
    try:
        env.start()
        rc, client, err = env.ctl_json('client', 'add', '--name', 'bench', '--grant', 'client_credentials',
                                       '--scope', 'document_verify')
        eid_auth = 'Basic ' + base64.b64encode(
            ('%s:%s' % (client['client_id'], client['client_secret'])).encode()).decode()
        eid_base = 'http://127.0.0.1:%d' % env.port
        idle_eid = rss_kib(env.proc.pid) / 1024
        peer_port = eidtest.free_port()
        peer, peer_dir = start_peer(peer_port)
        peer_base = 'http://127.0.0.1:%d' % peer_port
        peer_auth = 'Basic ' + base64.b64encode(b'bench-client:bench-secret-0123456789abcdef0123456789abcdef').decode()
        idle_peer = sum(rss_kib(p) for p in tree_pids(peer.pid)) / 1024 if peer else None

        workloads = [
            ('JWKS', {'BENCH_PATH': '/jwks'}, {'BENCH_PATH': '/jwks'}),
            ('client_credentials (ES256 JWT access token)',
             {'BENCH_METHOD': 'POST', 'BENCH_PATH': '/token', 'BENCH_AUTH': eid_auth,
              'BENCH_BODY': 'grant_type=client_credentials&scope=document_verify'},
             {'BENCH_METHOD': 'POST', 'BENCH_PATH': '/token', 'BENCH_AUTH': peer_auth,
              'BENCH_BODY': 'grant_type=client_credentials&scope=api%3Aread&resource=urn%3Abench%3Ars-jwt'}),
        ]
        rows = []
        for name, eid_env, peer_env in workloads:
            st, _ = http_ok(eid_base + eid_env['BENCH_PATH'],
                            data=eid_env.get('BENCH_BODY', '').encode() or None,
                            headers={'Authorization': eid_env['BENCH_AUTH'],
                                     'Content-Type': 'application/x-www-form-urlencoded'}
                            if 'BENCH_AUTH' in eid_env else {})
            if st != 200:
                print('bench: %s: eid-server answers %s; skipped' % (name, st))
                continue
            e = measure(name, eid_base, env.proc.pid, args.seconds, args.connections, eid_env)
            p = measure(name, peer_base, peer.pid, args.seconds, args.connections, peer_env) if peer else None
            rows.append((name, e, p))
            print('%-45s eid %8.0f req/s p99 %6.2f ms cpu %6.1f us | peer %s' % (
                name, e['rps'], e['p99_ms'], e['cpu_us'],
                '%8.0f req/s p99 %6.2f ms cpu %6.1f us  ratio %.1fx' % (
                    p['rps'], p['p99_ms'], p['cpu_us'], e['rps'] / p['rps']) if p else 'not run'))
        write_table(args, rows, idle_eid, idle_peer)
    finally:
        if peer:
            peer.kill()
            peer.wait()
        if peer_dir:
            shutil.rmtree(peer_dir, ignore_errors=True)
        env.close()


def write_table(args, rows, idle_eid, idle_peer):
    lines = ['# Performance', '',
             'Measured by `tests/bench/run.py` on this machine (2 cores shared by wrk, the server '
             'and the peer; %d connections, %d s per workload). Ratios compare eid-server with '
             "panva's oidc-provider (the peer) measured in the same run; absolute numbers move "
             'with the machine.' % (args.connections, args.seconds), '',
             '| workload | eid req/s | peer req/s | ratio | eid p50 / p99 ms | peer p50 / p99 ms '
             '| eid CPU us/req | peer CPU us/req | eid peak RSS MB | errors (eid/peer) |',
             '|---|---|---|---|---|---|---|---|---|---|']
    for name, e, p in rows:
        lines.append('| %s | %.0f | %s | %s | %.2f / %.2f | %s | %.1f | %s | %.1f | %d / %s |' % (
            name, e['rps'], '%.0f' % p['rps'] if p else '-', '%.1fx' % (e['rps'] / p['rps']) if p else '-',
            e['p50_ms'], e['p99_ms'], '%.2f / %.2f' % (p['p50_ms'], p['p99_ms']) if p else '-',
            e['cpu_us'], '%.1f' % p['cpu_us'] if p else '-', e['peak_rss_mb'], e['errors'],
            str(p['errors']) if p else '-'))
    lines += ['', 'Idle RSS: eid-server %.1f MB, peer %s.' % (
        idle_eid, '%.1f MB' % idle_peer if idle_peer else 'not run'), '']
    with open(args.out, 'w') as f:
        f.write('\n'.join(lines))
    print('bench: wrote ' + args.out)


if __name__ == '__main__':
    main()
