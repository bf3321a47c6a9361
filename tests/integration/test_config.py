#!/usr/bin/env python3
"""Configuration errors stop eidd with a message that names the key and the file."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'lib'))
from eidtest import EIDD, EIDCTL, Env, Tap  # noqa: E402

t = Tap()
env = Env(redis=False)


def run(args, extra_env=None, binary=EIDD):
    e = env.env(**(extra_env or {}))
    p = subprocess.run([binary] + args, capture_output=True, text=True, env=e, timeout=30)
    return p.returncode, p.stdout, p.stderr


def conf(text):
    path = os.path.join(env.dir, 'c%d.conf' % t.n)
    with open(path, 'w') as f:
        f.write(text)
    return path


GOOD = ('listen = 127.0.0.1:%d\nissuer = http://127.0.0.1:%d\nredis_url = redis://127.0.0.1:6399/0\n'
        'data_dir = %s\n' % (env.port, env.port, env.data))

try:
    rc, out, err = run(['--help'])
    t.ok(rc == 0 and 'usage: eidd' in out, 'eidd --help prints usage and exits 0', err)
    rc, out, err = run(['--version'])
    t.ok(rc == 0 and out.startswith('eidd '), 'eidd --version', out)
    rc, out, err = run(['--bogus'])
    t.ok(rc == 2 and 'usage' in err, 'eidd with an unknown option exits 2 with usage', err)
    rc, out, err = run(['extra'])
    t.ok(rc == 2 and "unexpected argument 'extra'" in err, 'eidd with a stray argument exits 2', err)

    missing = os.path.join(env.dir, 'nope.conf')
    rc, out, err = run(['--config', missing])
    t.ok(rc == 1 and missing in err and 'cannot open' in err, 'a missing config file is named', err)

    rc, out, err = run(['--config', conf(GOOD), '--check-config'])
    t.ok(rc == 0 and 'configuration OK' in out, 'a good config passes --check-config', out + err)
    t.ok(all(line in out.splitlines() for line in ('login_delay_max = 30', 'argon2_memlimit_kib = 9216',
                                                   'documents_require_crl = 0', 'webauthn_attestation = none',
                                                   'webauthn_attestation_roots = -',
                                                   'passkey_register_max_age = 600')),
         '--check-config prints the effective settings with their defaults', out)
    rc, out, err = run(['--config', conf(GOOD + 'login_delay_max = 5\n'), '--check-config'],
                       {'EID_DOCUMENTS_REQUIRE_CRL': '1'})
    t.ok(rc == 0 and 'login_delay_max = 5' in out.splitlines() and 'documents_require_crl = 1' in out.splitlines(),
         '--check-config shows the file\'s and the environment\'s values', out + err)

    # each required key missing
    for key in ('issuer', 'data_dir'):
        text = ''.join(l + '\n' for l in GOOD.splitlines() if not l.startswith(key))
        path = conf(text)
        rc, out, err = run(['--config', path, '--check-config'])
        t.ok(rc == 1 and path in err and "'%s'" % key in err and 'EID_%s' % key.upper() in err,
             'missing required key %s is named with the file' % key, err)

    # each key malformed: the message names file:line and the key
    bad_values = [
        ('listen', '0.0.0.0'), ('listen', '127.0.0.1:99999'), ('listen', 'host name:80'),
        ('issuer', 'ftp://x'), ('issuer', 'https://id.example.vn/'), ('issuer', 'https://x?q=1'),
        ('redis_url', 'redis://:@h'), ('redis_url', 'redis://host:0'), ('redis_url', 'unix:relative'),
        ('redis_url', 'memcached://x'), ('redis_url', 'redis://h/99'),
        ('data_dir', 'relative/path'), ('log_level', 'verbose'),
        ('http_timeout', '0'), ('http_timeout', 'ten'), ('http_threads', '-1'),
        ('session_idle_timeout', '5'), ('argon2_memlimit_kib', '1024'),
        ('webauthn_attestation', 'always'), ('webauthn_attestation_roots', 'roots.pem'),
        ('passkey_register_max_age', '0'), ('passkey_register_max_age', '86401'),
    ]
    for key, value in bad_values:
        text = ''.join((('%s = %s' % (key, value)) if l.startswith(key + ' ') else l) + '\n'
                       for l in GOOD.splitlines())
        if key + ' ' not in GOOD:
            text += '%s = %s\n' % (key, value)
        path = conf(text)
        rc, out, err = run(['--config', path, '--check-config'])
        t.ok(rc == 1 and (path + ':') in err and key in err,
             'malformed %s = %r is refused naming file:line and key' % (key, value), err)

    rc, out, err = run(['--config', conf(GOOD + 'listne = 127.0.0.1:1\n'), '--check-config'])
    t.ok(rc == 1 and "unknown key 'listne'" in err, 'a misspelt key is refused', err)
    rc, out, err = run(['--config', conf(GOOD + 'log_level = debug\nlog_level = info\n'), '--check-config'])
    t.ok(rc == 1 and 'set twice' in err, 'a key set twice is refused', err)
    rc, out, err = run(['--config', conf(GOOD + 'garbage line\n'), '--check-config'])
    t.ok(rc == 1 and 'expected' in err, 'a line without = is refused', err)
    rc, out, err = run(['--config', conf('redis_url = redis://:hunter2secret@h:1/0x\n' + GOOD), '--check-config'])
    t.ok(rc == 1 and 'hunter2secret' not in err and 'redis_url' in err,
         'a bad redis_url error never echoes its password', err)
    rc, out, err = run(['--config', conf(GOOD.replace('redis://127.0.0.1:6399/0', 'redis://:pw@127.0.0.1:6399/2')),
                        '--check-config'])
    t.ok(rc == 0 and 'pw' not in out.replace('password', ''), '--check-config hides the Redis password', out)

    # environment overrides, same rules, named as such
    rc, out, err = run(['--config', conf(GOOD), '--check-config'], {'EID_LISTEN': '127.0.0.1:7001'})
    t.ok(rc == 0 and 'listen = 127.0.0.1:7001' in out, 'EID_LISTEN overrides the file', out + err)
    rc, out, err = run(['--config', conf(GOOD), '--check-config'], {'EID_LOG_LEVEL': 'loud'})
    t.ok(rc == 1 and 'environment EID_LOG_LEVEL' in err, 'a bad EID_ variable is named', err)
    rc, out, err = run(['--check-config'], {'EID_ISSUER': 'http://127.0.0.1:1', 'EID_DATA_DIR': env.data})
    t.ok(rc == 0, 'the environment alone can configure eidd', err)
    rc, out, err = run(['--check-config'], {'EID_CONFIG': conf(GOOD)})
    t.ok(rc == 0 and 'configuration OK' in out, 'EID_CONFIG names the file', err)

    # eidctl reads the same configuration and reports the same errors
    path = conf(GOOD.replace('log_level', 'x') + 'log_level = chatty\n')
    rc, out, err = run(['--config', path, 'keys', 'list'], binary=EIDCTL)
    t.ok(rc == 1 and path in err and 'log_level' in err, 'eidctl reports config errors the same way', err)

    # passkey attestation policy: the roots file is checked at start-up
    roots = os.path.join(os.path.dirname(__file__), '..', 'vectors', 'webauthn', 'roots.pem')
    rc, out, err = run(['--config', conf(GOOD + 'webauthn_attestation = required\n'
                                         'webauthn_attestation_roots = %s\n' % os.path.abspath(roots)),
                        '--check-config'])
    t.ok(rc == 0 and 'configuration OK' in out, 'attestation required with a PEM roots bundle passes', err)
    rc, out, err = run(['--config', conf(GOOD + 'webauthn_attestation = optional\n'), '--check-config'])
    t.ok(rc == 0, 'attestation optional needs no roots', err)
    path = conf(GOOD + 'webauthn_attestation = required\n')
    rc, out, err = run(['--config', path])
    t.ok(rc == 1 and path in err and 'webauthn_attestation_roots' in err,
         'attestation required without roots: eidd stops, naming the key', err)
    nope = os.path.join(env.dir, 'no-roots.pem')
    rc, out, err = run(['--config', conf(GOOD + 'webauthn_attestation_roots = %s\n' % nope)])
    t.ok(rc == 1 and 'webauthn_attestation_roots' in err and nope in err and 'cannot open' in err,
         'a missing roots file stops eidd, naming the key and the file', err)
    empty = os.path.join(env.dir, 'empty.pem')
    open(empty, 'w').close()
    rc, out, err = run(['--config', conf(GOOD + 'webauthn_attestation = required\n'
                                         'webauthn_attestation_roots = %s\n' % empty)])
    t.ok(rc == 1 and 'webauthn_attestation_roots' in err and 'no readable PEM certificate' in err,
         'an empty roots file stops eidd, naming the key', err)
    junk = os.path.join(env.dir, 'junk.pem')
    with open(junk, 'w') as f:
        f.write('-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n')
    rc, out, err = run(['--config', conf(GOOD + 'webauthn_attestation_roots = %s\n' % junk),
                        '--check-config'])
    t.ok(rc == 1 and 'webauthn_attestation_roots' in err, 'a roots file of junk is refused', err)
    if os.geteuid() == 0:
        t.skip('an unreadable roots file is refused', 'running as root: every file is readable')
    else:
        locked = os.path.join(env.dir, 'locked.pem')
        with open(locked, 'wb') as f, open(roots, 'rb') as g:
            f.write(g.read())
        os.chmod(locked, 0)
        rc, out, err = run(['--config', conf(GOOD + 'webauthn_attestation_roots = %s\n' % locked)])
        t.ok(rc == 1 and 'webauthn_attestation_roots' in err and 'cannot open' in err,
             'an unreadable roots file stops eidd, naming the key', err)
    rc, out, err = run(['--config', conf(GOOD + 'webauthn_attestation_roots = /dev/zero\n'),
                        '--check-config'])
    t.ok(rc == 1 and 'webauthn_attestation_roots' in err and 'regular file' in err,
         'a device as roots file is refused (it is never read)', err)
    rc, out, err = run(['--config', conf(GOOD), '--check-config'],
                       {'EID_WEBAUTHN_ATTESTATION': 'required', 'EID_WEBAUTHN_ATTESTATION_ROOTS': nope})
    t.ok(rc == 1 and 'webauthn_attestation_roots' in err, 'the same from the environment', err)

    # eidd refuses to start when it cannot listen, with a message
    busy = os.path.join(env.dir, 'busy.conf')
    with open(busy, 'w') as f:
        f.write(GOOD.replace('127.0.0.1:%d' % env.port, '192.0.2.1:80', 1))
    rc, out, err = run(['--config', busy])
    t.ok(rc == 1 and 'cannot listen' in err, 'an address eidd cannot bind is reported', err)
finally:
    env.close()
sys.exit(t.done())
