// eid.mjs - what the browser interop tests share: TAP output, a real eidd with a real
// Redis (the JavaScript twin of tests/lib/eidtest.py), eidctl, RFC 6238 codes, and
// headless Debian Chromium driven by playwright-core.
//
// Nothing is mocked: eidd comes from $EID_BUILD (the meson build directory), Redis is
// Debian's redis-server on a Unix socket in a private temporary directory, HTTP goes
// over loopback sockets and the browser is /usr/bin/chromium.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const TOP = path.resolve(here, '..', '..', '..');
export const BUILD = process.env.EID_BUILD || path.join(TOP, 'build');
export const EIDD = path.join(BUILD, 'server', 'eidd');
export const EIDCTL = path.join(BUILD, 'server', 'eidctl');
export const CHROMIUM = process.env.EID_CHROMIUM || '/usr/bin/chromium';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function which(name) {
  for (const d of (process.env.PATH || '/usr/bin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    const p = path.join(d, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch { /* next */ }
  }
  return null;
}

/** TAP producer: one line per check; done() prints the plan and sets the exit code. */
export class Tap {
  constructor() { this.n = 0; this.failed = 0; }

  ok(cond, name, diag) {
    this.n += 1;
    if (!cond) this.failed += 1;
    console.log(`${cond ? 'ok' : 'not ok'} ${this.n} - ${name}`);
    if (!cond && diag !== undefined) {
      const text = diag instanceof Error ? `${diag.name}: ${diag.message}${diag.cause ? ` (cause: ${JSON.stringify(diag.cause)})` : ''}`
        : (typeof diag === 'string' ? diag : JSON.stringify(diag, null, 1));
      for (const line of String(text).split('\n').slice(0, 40)) console.log(`# ${line}`);
    }
    return cond;
  }

  eq(got, want, name) {
    return this.ok(got === want, name, `got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }

  /** Run an async step; a throw is one failed line (with the error), not a crash. */
  async step(name, fn) {
    try {
      const r = await fn();
      if (r === false) return this.ok(false, name, 'check returned false');
      if (typeof r === 'string') return this.ok(false, name, r);
      return this.ok(true, name);
    } catch (e) {
      return this.ok(false, name, e);
    }
  }

  diag(text) {
    for (const line of String(text).split('\n')) console.log(`# ${line}`);
  }

  done() {
    console.log(`1..${this.n}`);
    process.exitCode = this.failed ? 1 : 0;
  }
}

/** Print a TAP skip plan and exit 0: only for a missing browser, node or Apache. */
export function skipAll(reason) {
  console.log(`1..0 # SKIP ${reason}`);
  process.exit(0);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** RFC 6238 (HMAC-SHA-1, 6 digits, 30 s) for the step that contains time t (seconds). */
export function totp(secret, t = Date.now() / 1000) {
  const counter = Math.floor(t / 30);
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = crypto.createHmac('sha1', secret).update(msg).digest();
  const off = mac[19] & 15;
  const v = mac.readUInt32BE(off) & 0x7fffffff;
  return String(v % 1000000).padStart(6, '0');
}

function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const ch of s.replace(/=+$/, '').toUpperCase()) {
    const i = alphabet.indexOf(ch);
    if (i < 0) throw new Error('bad base32');
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** A citizen made with eidctl: id number, password and a one-time-code source that never
 * hands out the same 30 s step twice (the server refuses a replayed code). */
export class Citizen {
  constructor(idNumber, password, totpUri) {
    this.idNumber = idNumber;
    this.password = password;
    this.secret = base32Decode(new URL(totpUri).searchParams.get('secret'));
    this.used = new Set();
  }

  async code() {
    for (;;) {
      const now = Date.now() / 1000;
      for (const off of [0, 30, -30]) {   // the server accepts one step of skew
        const c = Math.floor((now + off) / 30);
        if (!this.used.has(c)) {
          this.used.add(c);
          return totp(this.secret, c * 30);
        }
      }
      await sleep(1000);
    }
  }
}

/** A data directory, a private redis-server, a config file and a running eidd. */
export class Env {
  constructor(extraConfig = '') {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eidbrowser-'));
    this.data = path.join(this.dir, 'data');
    this.sock = path.join(this.dir, 'redis.sock');
    this.config = path.join(this.dir, 'eidd.conf');
    this.log = path.join(this.dir, 'eidd.log');
    this.extraConfig = extraConfig;
    this.procs = [];
  }

  env() {
    const e = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('EID_')) e[k] = v;
    return e;
  }

  async start() {
    this.port = await freePort();
    this.issuer = `http://127.0.0.1:${this.port}`;
    const redisServer = which('redis-server') || '/usr/bin/redis-server';
    this.redis = spawn(redisServer, ['--port', '0', '--unixsocket', this.sock, '--unixsocketperm', '700',
      '--save', '', '--appendonly', 'no', '--dir', this.dir, '--logfile', path.join(this.dir, 'redis.log')],
    { stdio: 'ignore' });
    this.procs.push(this.redis);
    for (let i = 0; i < 250 && !fs.existsSync(this.sock); i++) await sleep(20);
    if (!fs.existsSync(this.sock)) throw new Error('redis-server did not start');
    fs.writeFileSync(this.config, '# written by tests/browser/lib/eid.mjs\n' +
      `listen = 127.0.0.1:${this.port}\nissuer = ${this.issuer}\nredis_url = unix:${this.sock}\n` +
      `data_dir = ${this.data}\nlog_level = info\n${this.extraConfig}`);
    const logfd = fs.openSync(this.log, 'a');
    this.eidd = spawn(EIDD, ['--config', this.config], { stdio: ['ignore', 'ignore', logfd], env: this.env() });
    fs.closeSync(logfd);
    this.procs.push(this.eidd);
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      if (this.eidd.exitCode !== null) throw new Error(`eidd exited with ${this.eidd.exitCode}:\n${this.logText()}`);
      try {
        const r = await fetch(`${this.issuer}/healthz`);
        if (r.status === 200) return;
      } catch { /* not yet */ }
      await sleep(50);
    }
    throw new Error(`eidd did not answer /healthz:\n${this.logText()}`);
  }

  logText() {
    try { return fs.readFileSync(this.log, 'utf8'); } catch { return ''; }
  }

  /** eidctl --json ARGS...: the parsed output, or an Error with stderr. */
  ctl(...args) {
    const p = spawnSync(EIDCTL, ['--config', this.config, '--json', ...args],
      { encoding: 'utf8', env: this.env(), timeout: 60000 });
    if (p.status !== 0) throw new Error(`eidctl ${args.slice(0, 2).join(' ')} failed (${p.status}): ${p.stderr}`);
    return p.stdout.trim() ? JSON.parse(p.stdout) : null;
  }

  citizen(idNumber, name, birthDate, password) {
    const z = this.ctl('citizen', 'add', '--id-number', idNumber, '--name', name,
      '--birth-date', birthDate, '--password', password);
    return new Citizen(idNumber, password, z.totp_uri);
  }

  async close() {
    for (const p of this.procs.reverse()) {
      if (p.exitCode === null && p.signalCode === null) {
        const gone = new Promise((r) => p.once('exit', r));
        p.kill('SIGKILL');
        await Promise.race([gone, sleep(5000)]);
      }
    }
    if (!process.env.EID_KEEP) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Headless Debian Chromium with a fresh profile; close() removes the profile. */
export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'eidbrowser-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    // a language eid-server does not offer: its pages must fall back to Vietnamese,
    // and ui_locales must win over Accept-Language
    locale: 'fr-FR',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage'],
    timeout: 30000,
  });
  context.setDefaultTimeout(15000);
  context.setDefaultNavigationTimeout(15000);
  return {
    context,
    async close() {
      try { await context.close(); } catch { /* already gone */ }
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Why the browser tests cannot run here, or null. */
export function missingBrowser() {
  try {
    fs.accessSync(CHROMIUM, fs.constants.X_OK);
  } catch {
    return `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  }
  return null;
}

/** The modules must be installed (scripts/install-deps --test runs npm ci): a missing
 * node_modules is a broken set-up, reported as a failure, not a skip. */
export async function requireModules(t) {
  try {
    await import('playwright-core');
    await import('openid-client');
    return true;
  } catch (e) {
    t.ok(false, 'npm modules of tests/browser are installed (scripts/install-deps --test runs npm ci)', e);
    t.done();
    return false;
  }
}

/** The password the tests give their citizens. */
export const PASSWORD = 'correct horse battery staple';

/** The start of every browser test: skip it all (a TAP skip plan, exit 0) when Chromium
 * is missing or `why` names something else it needs (Apache, ...); fail (exit 1) when the
 * npm modules are missing; else the Tap to report on. */
export async function startTest(why = null) {
  const reason = missingBrowser() || why;
  if (reason) skipAll(reason);
  const t = new Tap();
  if (!(await requireModules(t))) process.exit(1);
  return t;
}

/** Sign in on eid-server's login page (whatever query /authorize put on it). */
export async function fillLogin(page, citizen) {
  await page.waitForSelector('#username');
  await page.fill('#username', citizen.idNumber);
  await page.fill('#password', citizen.password);
  await page.fill('#otp', await citizen.code());
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'domcontentloaded' }),
    page.click('form:has(#username) [type=submit]'),
  ]);
}

/** Approve the consent page if it is shown; returns whether it was. */
export async function approveConsent(page) {
  const allow = await page.$('#consent-allow');
  if (!allow) return false;
  await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), allow.click()]);
  return true;
}
