#!/usr/bin/env python3
"""SIGTERM during load: stop accepting, finish in-flight requests, exit 0."""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from eidtest import Env, Tap  # noqa: E402

t = Tap()
env = Env()
try:
    env.start()
    # a request in flight: request line and some headers sent, the rest after SIGTERM
    s = socket.create_connection(('127.0.0.1', env.port), timeout=10)
    s.sendall(b'GET /healthz HTTP/1.1\r\nHost: x\r\n')
    time.sleep(0.2)

    results = []
    stop = threading.Event()

    def load():
        while not stop.is_set():
            try:
                st, _, body = env.get('/jwks', timeout=5)
                results.append(st)
            except (ConnectionRefusedError, ConnectionResetError):
                results.append('refused')
            except OSError as e:
                results.append('error:%s' % e)

    workers = [threading.Thread(target=load) for _ in range(4)]
    for w in workers:
        w.start()
    time.sleep(0.5)
    served_before = len(results)
    t0 = time.time()
    env.proc.send_signal(15)
    time.sleep(0.3)
    s.sendall(b'\r\n')              # finish the in-flight request after the signal
    try:
        resp = s.recv(4096)
    except OSError:
        resp = b''
    s.close()
    t.ok(resp.startswith(b'HTTP/1.1 200'), 'a request in flight at SIGTERM completes', resp[:100])
    rc = env.proc.wait(20)
    took = time.time() - t0
    stop.set()
    for w in workers:
        w.join()
    env.proc = None
    t.eq(rc, 0, 'eidd exits 0 after SIGTERM')
    t.ok(took < 12, 'shutdown is bounded (%.1f s)' % took)
    t.ok(served_before > 20, 'the load was running when the signal came', served_before)
    bad = [r for r in results if r not in (200, 'refused')]
    t.ok(not bad, 'no request under load failed mid-way: each got 200 or a refused connection', bad[:5])
    log = env.logtext()
    t.ok('"event":"eidd_stopping"' in log and '"event":"eidd_stopped"' in log, 'shutdown is logged')
finally:
    env.close()
sys.exit(t.done())
