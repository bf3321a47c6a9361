// test_mod_auth_openidc.mjs - eid-server protecting a page served by Apache with
// mod_auth_openidc (Debian's packages, a relying party nobody here wrote).
//
// Apache runs from a configuration written into a temporary directory (its own
// ServerRoot, PidFile, logs and loopback port; nothing under /etc is read or changed).
// mod_auth_openidc learns everything from eidd's discovery document; the protected page is
// a server-side include that prints the OIDC_CLAIM_* variables the module sets.
// Headless Chromium opens the page, is sent to eid-server, signs in, approves consent and
// sees the citizen's claims. Then the citizen signs out at eid-server (RP-initiated logout
// at the OP); eid-server's back-channel logout reaches mod_auth_openidc, which drops its
// session, and opening the page again sends the browser back to eid-server.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  Env, PASSWORD, approveConsent, fillLogin, freePort, launchBrowser, sleep, startTest, which,
} from './lib/eid.mjs';

const MODULES = process.env.EID_APACHE_MODULES || '/usr/lib/apache2/modules';
const APACHE = which('apache2') || which('httpd');
const t = await startTest(
  (!APACHE ? 'no apache2 (apt-get install apache2 libapache2-mod-auth-openidc)' : null) ||
  (!fs.existsSync(path.join(MODULES, 'mod_auth_openidc.so'))
    ? 'no mod_auth_openidc (apt-get install libapache2-mod-auth-openidc)' : null));

const NAME = 'Nguyễn Văn Mẫu';

// The page: every claim the portal cares about, each in an element of its own.
const PAGE = `<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>Protected</title></head>
<body><h1 id="protected">Cổng dịch vụ công</h1>
<dl>
<dt>sub</dt><dd id="sub"><!--#echo var="OIDC_CLAIM_sub" --></dd>
<dt>REMOTE_USER</dt><dd id="remote-user"><!--#echo var="REMOTE_USER" --></dd>
<dt>iss</dt><dd id="iss"><!--#echo var="OIDC_CLAIM_iss" --></dd>
<dt>acr</dt><dd id="acr"><!--#echo var="OIDC_CLAIM_acr" --></dd>
<dt>sid</dt><dd id="sid"><!--#echo var="OIDC_CLAIM_sid" --></dd>
<dt>name</dt><dd id="name"><!--#echo var="OIDC_CLAIM_name" --></dd>
<dt>citizen_id</dt><dd id="citizen-id"><!--#echo var="OIDC_CLAIM_citizen_id" --></dd>
</dl>
<pre id="id-token" hidden><!--#echo var="OIDC_id_token" --></pre>
</body></html>
`;

function apacheConfig(dir, port, issuer, reg, passphrase) {
  const mods = ['mpm_event', 'authn_core', 'authz_core', 'authz_user', 'auth_openidc', 'include', 'mime', 'alias'];
  const asRoot = process.getuid && process.getuid() === 0;
  return [
    '# written by tests/browser/test_mod_auth_openidc.mjs',
    `ServerRoot "${dir}"`,
    `DefaultRuntimeDir "${dir}/run"`,
    `PidFile "${dir}/run/httpd.pid"`,
    `Listen 127.0.0.1:${port}`,
    `ServerName 127.0.0.1:${port}`,
    asRoot ? 'User www-data\nGroup www-data' : '',
    ...mods.map((m) => `LoadModule ${m}_module ${MODULES}/mod_${m}.so`),
    `ErrorLog "${dir}/error.log"`,
    'LogLevel warn auth_openidc:info',
    'LogFormat "%h \\"%r\\" %>s" brief',
    `CustomLog "${dir}/access.log" brief`,
    'TypesConfig /dev/null',
    'AddType text/html .shtml',
    'AddOutputFilter INCLUDES .shtml',
    'AddCharset utf-8 .shtml .html',
    `DocumentRoot "${dir}/htdocs"`,
    `<Directory "${dir}/htdocs">`,
    '  Options +Includes',
    '  Require all granted',
    '</Directory>',
    'StartServers 1',
    'ServerLimit 1',
    'ThreadsPerChild 16',
    'MaxRequestWorkers 16',
    '',
    '# mod_auth_openidc: everything about the provider comes from discovery',
    `OIDCProviderMetadataURL ${issuer}/.well-known/openid-configuration`,
    `OIDCClientID ${reg.client_id}`,
    `OIDCClientSecret ${reg.client_secret}`,
    `OIDCRedirectURI http://127.0.0.1:${port}/protected/redirect_uri`,
    `OIDCCryptoPassphrase ${passphrase}`,
    'OIDCScope "openid profile citizen_id"',
    'OIDCPKCEMethod S256',
    'OIDCProviderTokenEndpointAuth client_secret_basic',
    'OIDCRemoteUserClaim sub',
    'OIDCPassClaimsAs environment',
    'OIDCPassIDTokenAs claims serialized',
    'OIDCSessionType server-cache',
    'OIDCCacheType shm',
    'OIDCInfoHook iat id_token remote_user',
    `OIDCDefaultLoggedOutURL http://127.0.0.1:${port}/loggedout.html`,
    '<Location /protected>',
    '  AuthType openid-connect',
    '  Require valid-user',
    '</Location>',
    '',
  ].join('\n');
}

class Apache {
  constructor(dir, port) {
    this.dir = dir;
    this.port = port;
    this.base = `http://127.0.0.1:${port}`;
    this.conf = path.join(dir, 'httpd.conf');
  }

  async start() {
    // its own process group, so stopping it reaches its children too
    this.proc = spawn(APACHE, ['-f', this.conf, '-DFOREGROUND'], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    this.stderr = '';
    this.proc.stderr.on('data', (d) => { this.stderr += d; });
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`apache2 exited ${this.proc.exitCode}: ${this.stderr}\n${this.log('error.log')}`);
      try {
        const r = await fetch(`${this.base}/loggedout.html`);
        if (r.status === 200) return;
      } catch { /* not yet */ }
      await sleep(100);
    }
    throw new Error(`apache2 did not answer: ${this.stderr}\n${this.log('error.log')}`);
  }

  log(name) {
    try { return fs.readFileSync(path.join(this.dir, name), 'utf8'); } catch { return ''; }
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const gone = new Promise((r) => this.proc.once('exit', r));
    try { process.kill(-this.proc.pid, 'SIGTERM'); } catch { /* gone */ }
    if (await Promise.race([gone.then(() => true), sleep(8000).then(() => false)])) return;
    try { process.kill(-this.proc.pid, 'SIGKILL'); } catch { /* gone */ }
    await Promise.race([gone, sleep(3000)]);
  }
}

/** What the protected page shows, or null when the browser is elsewhere. */
async function shownClaims(page, apache) {
  if (!page.url().startsWith(`${apache.base}/protected/`) || !(await page.$('#protected'))) return null;
  const text = async (id) => (await page.textContent(`#${id}`)).trim();
  return {
    sub: await text('sub'),
    remoteUser: await text('remote-user'),
    iss: await text('iss'),
    acr: await text('acr'),
    sid: await text('sid'),
    name: await text('name'),
    citizenId: await text('citizen-id'),
    idToken: await text('id-token'),
  };
}

const env = new Env();
let apache = null;
let browser = null;
try {
  await env.start();
  const citizen = env.citizen('001090012345', NAME, '1990-05-17', PASSWORD);

  const dir = path.join(env.dir, 'apache');
  fs.mkdirSync(path.join(dir, 'run'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'htdocs', 'protected'), { recursive: true });
  for (const d of [env.dir, dir, path.join(dir, 'run'), path.join(dir, 'htdocs'), path.join(dir, 'htdocs', 'protected')]) {
    fs.chmodSync(d, 0o755);   // Apache's children run as www-data when started by root
  }
  if (process.getuid && process.getuid() === 0) {
    const ww = spawnSync('id', ['-u', 'www-data'], { encoding: 'utf8' });
    if (ww.status === 0) fs.chownSync(path.join(dir, 'run'), Number(ww.stdout.trim()), 0);
  }
  fs.writeFileSync(path.join(dir, 'htdocs', 'protected', 'index.shtml'), PAGE);
  fs.writeFileSync(path.join(dir, 'htdocs', 'loggedout.html'),
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Signed out</title></head><body><h1 id="logged-out">Signed out</h1></body></html>\n');

  const port = await freePort();
  apache = new Apache(dir, port);
  const reg = env.ctl('client', 'add', '--name', 'Apache mod_auth_openidc portal',
    '--redirect-uri', `${apache.base}/protected/redirect_uri`,
    '--grant', 'authorization_code', '--grant', 'refresh_token',
    '--scope', 'openid profile citizen_id',
    '--post-logout-redirect-uri', `${apache.base}/loggedout.html`,
    '--backchannel-logout-uri', `${apache.base}/protected/redirect_uri?logout=backchannel`);
  t.ok(reg && reg.client_id && reg.client_secret, 'client registered with eidctl (with a back-channel logout URI)', reg);
  fs.writeFileSync(apache.conf, apacheConfig(dir, port, env.issuer, reg, crypto.randomBytes(24).toString('base64url')));

  const syntax = spawnSync(APACHE, ['-f', apache.conf, '-t'], { encoding: 'utf8' });
  t.ok(syntax.status === 0, 'apache2 -t accepts the configuration', syntax.stderr);
  await apache.start();
  t.ok(true, 'Apache with mod_auth_openidc runs on loopback');

  browser = await launchBrowser();
  const page = await browser.context.newPage();
  const protectedUrl = `${apache.base}/protected/index.shtml`;

  // --- sign in through the protected page
  await page.goto(protectedUrl, { waitUntil: 'domcontentloaded' });
  const login = new URL(page.url());
  t.ok(login.origin === env.issuer && login.pathname === '/login',
    'opening the protected page sends the browser to eid-server\'s login page', page.url());
  if (login.origin !== env.issuer || login.pathname !== '/login') {
    throw new Error(`not sent to eid-server: ${page.url()}: ${(await page.content()).slice(0, 600)}\n${apache.log('error.log').slice(-2000)}`);
  }
  await fillLogin(page, citizen);
  const consent = await approveConsent(page);
  t.ok(consent, 'the consent page is shown and approved');
  const claims = await shownClaims(page, apache);
  t.ok(claims !== null, 'after sign-in the browser sees the protected page',
    `at ${page.url()}: ${(await page.content()).slice(0, 400)}\n${apache.log('error.log').slice(-1500)}`);
  if (!claims) throw new Error('no protected page');
  t.ok(claims.sub.length >= 16 && claims.sub === claims.remoteUser, 'the page shows sub, and REMOTE_USER is the sub', claims);
  t.eq(claims.iss, env.issuer, 'the page shows iss = eid-server');
  t.eq(claims.acr, 'urn:eid:level:1', 'the page shows acr level 1');
  t.ok(claims.sid && claims.sid !== '(none)', 'the ID token carried a sid', claims.sid);
  t.eq(claims.name, NAME, 'the page shows the citizen\'s name (UTF-8 intact)');
  t.eq(claims.citizenId, citizen.idNumber, 'the page shows the citizen_id claim');

  // the session holds: a second visit does not leave Apache
  await page.goto(protectedUrl, { waitUntil: 'domcontentloaded' });
  t.ok((await shownClaims(page, apache)) !== null, 'a second visit is served from the mod_auth_openidc session', page.url());

  // --- sign out at eid-server; back-channel logout must end the Apache session
  const endSession = new URL((await (await fetch(`${env.issuer}/.well-known/openid-configuration`)).json()).end_session_endpoint);
  endSession.searchParams.set('id_token_hint', claims.idToken);
  endSession.searchParams.set('post_logout_redirect_uri', `${apache.base}/loggedout.html`);
  endSession.searchParams.set('state', 'bye');
  await page.goto(endSession.href, { waitUntil: 'domcontentloaded' });
  if (page.url().startsWith(env.issuer)) {
    const button = await page.$('form [type=submit]');   // a confirmation page, if any
    if (button) await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), button.click()]);
  }
  t.ok(page.url().startsWith(`${apache.base}/loggedout.html`) && new URL(page.url()).searchParams.get('state') === 'bye',
    'end_session at eid-server returns to the post-logout page with state', page.url());

  let delivered = false;
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline && !delivered) {
    delivered = /"POST \/protected\/redirect_uri\?logout=backchannel HTTP\/1\.1" 200/.test(apache.log('access.log'));
    if (!delivered) await sleep(250);
  }
  t.ok(delivered, 'eid-server POSTed a logout token to mod_auth_openidc, which accepted it (200)',
    `${apache.log('access.log').split('\n').filter((l) => /logout/.test(l)).join('\n')}\n${apache.log('error.log').slice(-1500)}`);

  await page.goto(protectedUrl, { waitUntil: 'domcontentloaded' });
  const after = new URL(page.url());
  t.ok(after.origin === env.issuer && (await shownClaims(page, apache)) === null,
    'after back-channel logout the protected page sends the browser to eid-server again', page.url());
  t.ok(after.pathname === '/login', 'and eid-server asks for a new sign-in (its own session is gone too)', page.url());
} catch (e) {
  t.ok(false, 'the test ran to the end', e.stack || e);
  t.diag(env.logText().split('\n').slice(-15).join('\n'));
} finally {
  if (browser) await browser.close();
  if (apache) await apache.stop();
  await env.close();
  t.done();
}
