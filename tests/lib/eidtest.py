"""eidtest.py - run a real eidd against a real Redis for the integration tests.

Each test program makes an Env: a temporary directory, a private redis-server (Debian's
binary, on a Unix socket inside the directory, no persistence), a config file, and eidd
started on a free loopback port. Results are printed as TAP, one line per check, and
tests/run counts them. Nothing here is mocked: HTTP goes over real sockets, Redis is a
real server that the tests kill and restart.

Binaries come from $EID_BUILD (the meson build directory), set by meson.build.
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BUILD = os.environ.get('EID_BUILD', os.path.join(os.path.dirname(__file__), '..', '..', 'build'))
EIDD = os.path.join(BUILD, 'server', 'eidd')
EIDCTL = os.path.join(BUILD, 'server', 'eidctl')
REDIS_SERVER = shutil.which('redis-server') or '/usr/bin/redis-server'


class Tap:
    """TAP producer: ok()/eq() print one line each; done() prints the plan."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print('%s %d - %s' % ('ok' if cond else 'not ok', self.n, name))
        if not cond and diag is not None:
            for line in str(diag).splitlines()[:40]:
                print('# ' + line)
        sys.stdout.flush()
        return cond

    def eq(self, got, want, name):
        return self.ok(got == want, name, 'got %r, want %r' % (got, want))

    def skip(self, name, why):
        self.n += 1
        print('ok %d - %s # SKIP %s' % (self.n, name, why))

    def done(self):
        print('1..%d' % self.n)
        return 1 if self.failed else 0


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Redis:
    """A private redis-server on a Unix socket; stop() and start() at will."""

    def __init__(self, directory):
        self.dir = directory
        self.sock = os.path.join(directory, 'redis.sock')
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [REDIS_SERVER, '--port', '0', '--unixsocket', self.sock, '--unixsocketperm', '700',
             '--save', '', '--appendonly', 'no', '--dir', self.dir, '--logfile',
             os.path.join(self.dir, 'redis.log')],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            if os.path.exists(self.sock):
                try:
                    s = socket.socket(socket.AF_UNIX)
                    s.connect(self.sock)
                    s.sendall(b'PING\r\n')
                    if s.recv(16).startswith(b'+PONG'):
                        s.close()
                        return
                except OSError:
                    pass
            time.sleep(0.02)
        raise RuntimeError('redis-server did not start')

    def stop(self, sig=signal.SIGKILL):
        if self.proc is not None:
            self.proc.send_signal(sig)
            self.proc.wait(10)
            self.proc = None
        if os.path.exists(self.sock):
            os.unlink(self.sock)

    def command(self, *args):
        """One command over RESP; returns the raw reply bytes (tests only)."""
        s = socket.socket(socket.AF_UNIX)
        s.connect(self.sock)
        out = b'*%d\r\n' % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b'$%d\r\n%s\r\n' % (len(a), a)
        s.sendall(out)
        data = s.recv(65536)
        s.close()
        return data


class Env:
    """A data dir, Redis, a config file and (after start()) a running eidd."""

    def __init__(self, extra_config='', redis=True, log_level='info'):
        self.dir = tempfile.mkdtemp(prefix='eidtest-')
        self.data = os.path.join(self.dir, 'data')
        self.port = free_port()
        self.issuer = 'http://127.0.0.1:%d' % self.port
        self.redis = Redis(self.dir)
        if redis:
            self.redis.start()
        self.config = os.path.join(self.dir, 'eidd.conf')
        with open(self.config, 'w') as f:
            f.write('# written by tests/lib/eidtest.py\n'
                    'listen = 127.0.0.1:%d\nissuer = %s\nredis_url = unix:%s\n'
                    'data_dir = %s\nlog_level = %s\n%s' %
                    (self.port, self.issuer, self.redis.sock, self.data, log_level, extra_config))
        self.proc = None
        self.log = os.path.join(self.dir, 'eidd.log')

    def env(self, **extra):
        e = {k: v for k, v in os.environ.items() if not k.startswith('EID_')}
        e.update(extra)
        return e

    def start(self, wait=True):
        self.proc = subprocess.Popen([EIDD, '--config', self.config], stdout=subprocess.DEVNULL,
                                     stderr=open(self.log, 'ab'), env=self.env())
        if wait:
            deadline = time.time() + 30
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError('eidd exited with %s:\n%s' % (self.proc.returncode, self.logtext()))
                try:
                    if self.get('/healthz')[0] == 200:
                        return
                except OSError:
                    pass
                time.sleep(0.05)
            raise RuntimeError('eidd did not answer /healthz:\n' + self.logtext())

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        return rc

    def logtext(self):
        try:
            with open(self.log, errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    def request(self, method, path, body=None, headers=None, timeout=10):
        c = http.client.HTTPConnection('127.0.0.1', self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def get(self, path, headers=None, timeout=10):
        return self.request('GET', path, headers=headers, timeout=timeout)

    def get_json(self, path, headers=None):
        st, h, body = self.get(path, headers)
        return st, h, json.loads(body) if body else None

    def ctl(self, *args, env=None, config=True):
        cmd = [EIDCTL] + (['--config', self.config] if config else []) + list(args)
        p = subprocess.run(cmd, capture_output=True, text=True, env=env or self.env(), timeout=60)
        return p.returncode, p.stdout, p.stderr

    def ctl_json(self, *args):
        rc, out, err = self.ctl('--json', *args)
        try:
            return rc, json.loads(out) if out.strip() else None, err
        except ValueError:
            return rc, None, err + '\nstdout: ' + out

    def close(self):
        self.stop(signal.SIGKILL)
        self.redis.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
