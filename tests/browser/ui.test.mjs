// The device UI in a real Chromium, signed in with the demo PKI's client
// certificates (run through run.sh, which makes the PKI and flash, starts the
// server with GATEHOUSE_BOARD=fake and sets the variables read below).
//
//   GH_URL        https://127.0.0.1:PORT
//   GH_PKI        the PKI folder (certs/make-pki.sh)
//   GH_FLASH      the server's flash folder
//   GH_SERVER_PID the server, for SIGHUP after a test rewrites its flash
//   GH_ARTIFACTS  where screenshots go
//   GH_DOCS_SCREENSHOTS  optional: also write the README's screenshots here
//   CHROMIUM      the browser (default /usr/bin/chromium)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const URL_ = process.env.GH_URL;
const PKI = process.env.GH_PKI;
const FLASH = process.env.GH_FLASH;
const ART = process.env.GH_ARTIFACTS || 'artifacts';
const DOCS = process.env.GH_DOCS_SCREENSHOTS || '';
if (!URL_ || !PKI || !FLASH) throw new Error('run me through tests/browser/run.sh');
fs.mkdirSync(ART, { recursive: true });

let browser;
const contexts = [];

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-features=Translate,MediaRouter'],
  });
});

after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  if (browser) await browser.close();
});

// A browser profile that presents NAME.pem, or no certificate (name null).
async function as(name, viewport = { width: 1280, height: 900 }) {
  const opts = { ignoreHTTPSErrors: true, viewport };
  if (name) opts.clientCertificates = [{ origin: URL_, certPath: path.join(PKI, name + '.pem'), keyPath: path.join(PKI, name + '.key') }];
  const ctx = await browser.newContext(opts);
  contexts.push(ctx);
  return ctx;
}

// A page that records what would mean the UI is broken: an uncaught
// exception, or anything the Content-Security-Policy blocked.
async function open(ctx, hash = '') {
  const page = await ctx.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push('exception: ' + e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) page.problems.push('csp: ' + m.text());
  });
  const res = await page.goto(URL_ + '/' + hash);
  return { page, res };
}

function clean(page) {
  assert.deepEqual(page.problems, [], 'the page ran without exceptions or CSP violations');
}

async function shot(page, name, docsName) {
  const file = path.join(ART, name + '.png');
  await page.screenshot({ path: file, fullPage: true });
  if (DOCS && docsName) {
    fs.mkdirSync(DOCS, { recursive: true });
    fs.copyFileSync(file, path.join(DOCS, docsName + '.png'));
  }
}

const text = (page, sel) => page.locator(sel).innerText();

function fingerprint(name) {
  const line = fs.readFileSync(path.join(PKI, 'fingerprints.txt'), 'utf8').split('\n').find((l) => l.startsWith(name + ' '));
  return line.split(' ')[1];   // sha256:HEX
}

// The table as it is in flash now, through the API (the admin's certificate).
async function activeTable(ctx) {
  const r = await ctx.request.get(URL_ + '/api/certmap');
  assert.equal(r.status(), 200);
  return r.text();
}

// ---- every role ----

test('admin sees the status of the device and every page in the navigation', async () => {
  const { page, res } = await open(await as('admin'));
  assert.equal(res.status(), 200);
  assert.equal(res.headers()['content-encoding'], 'gzip');
  await page.locator('#page-status').waitFor();
  assert.match(await text(page, '#who'), /Alice Admin\s+admin/);
  assert.match(await text(page, 'main'), /Gatehouse Demo Gateway GW-100 \(fake\)/);
  assert.equal(await text(page, '#uptime'), '1 d 2 h 3 min');
  assert.match(await text(page, '#clock'), /^Clock: the system clock, \d{4}-\d\d-\d\d \d\d:\d\d UTC\.$/);
  assert.match(await text(page, 'main'), /34 % in use/);   // 262144 kB, 174080 available
  assert.match(await text(page, 'main'), /1 min 0\.15 · 5 min 0\.10 · 15 min 0\.05/);
  const eth0 = page.locator('tr', { hasText: 'eth0' });
  assert.match(await eth0.innerText(), /up[\s\S]*02:00:5e:10:00:01[\s\S]*192\.0\.2\.10\/24[\s\S]*2001:db8::10\/64/);
  assert.match(await page.locator('tr', { hasText: 'eth1' }).innerText(), /down/);
  for (const name of ['Status', 'Identity', 'Access', 'Audit', 'Settings']) {
    assert.ok(await page.getByRole('link', { name, exact: true }).isVisible(), name + ' is in the navigation');
  }
  assert.equal(await page.locator('.nav a[aria-current=page]').innerText(), 'Status');
  await shot(page, 'status-admin', 'status-admin');
  clean(page);
});

test('the identity page shows the certificate, its mapping and the days it has left', async () => {
  const { page } = await open(await as('admin'), '#/identity');
  await page.locator('#page-identity').waitFor();
  const main = await text(page, 'main');
  assert.ok(main.toLowerCase().includes(fingerprint('admin').toLowerCase()), 'the fingerprint of admin.pem is shown');
  assert.match(main, /Decided by mapping\s+alice-admin/);
  assert.match(main, /CN=Alice Admin/);
  const cert = new crypto.X509Certificate(fs.readFileSync(path.join(PKI, 'admin.pem')));
  const days = Math.floor((Date.parse(cert.validTo) - Date.now()) / 86400000);
  assert.ok(days > 30);
  assert.match(await text(page, '#expiry'), new RegExp('\\(' + days + ' days left\\)'));
  assert.equal(await page.locator('#expiry-warning').count(), 0, 'no warning for a certificate valid for two years');
  await shot(page, 'identity-admin');
  clean(page);
});

test('a certificate that expires within 30 days is warned about', async () => {
  const ctx = await as('viewer');
  const page = await ctx.newPage();
  page.problems = [];
  // The PKI has no such certificate that still connects, so the answer is
  // changed on its way to the page: the UI's arithmetic is what is tested.
  await page.route('**/api/whoami', async (route) => {
    const r = await route.fetch();
    const j = await r.json();
    j.not_after = Math.floor(Date.now() / 1000) + 12 * 86400 + 3600;
    await route.fulfill({ response: r, json: j });
  });
  await page.goto(URL_ + '/#/identity');
  await page.locator('#expiry-warning').waitFor();
  assert.match(await text(page, '#expiry-warning'), /Your certificate expires in 12 days\./);
  assert.equal(await page.locator('#expiry-warning').getAttribute('role'), 'alert');
  await shot(page, 'identity-expiry-warning');
});

test('an operator sees no Access or Audit, and the API refuses them all the same', async () => {
  const ctx = await as('operator');
  const { page } = await open(ctx);
  await page.locator('#page-status').waitFor();
  assert.match(await text(page, '#who'), /Oscar Operator\s+operator/);
  assert.equal(await page.getByRole('link', { name: 'Access' }).isVisible(), false);
  assert.equal(await page.getByRole('link', { name: 'Audit' }).isVisible(), false);
  await page.goto(URL_ + '/#/access');
  await page.locator('#page-access').waitFor();
  assert.match(await text(page, 'main'), /Administrators only\.[\s\S]*mapped by “acme-service” to the role operator/);
  assert.equal(await page.locator('#certmap-text').count(), 0, 'no table for an operator');
  const r = await ctx.request.get(URL_ + '/api/certmap');
  assert.equal(r.status(), 403);
  assert.equal((await r.json()).reason, 'role-forbidden');
  clean(page);
});

test('an operator changes the settings, and a bad hostname is shown at its field', async () => {
  const ctx = await as('operator');
  const before = await (await ctx.request.get(URL_ + '/api/settings')).json();
  try {
    const { page } = await open(ctx, '#/settings');
    await page.locator('#settings-form').waitFor();
    await page.fill('#set-hostname', 'gw_hall3');
    await page.click('#settings-save');
    await page.locator('#err-hostname').waitFor();
    assert.match(await text(page, '#err-hostname'), /hostname: holds '_' at character 3/);
    assert.equal(await page.locator('#set-hostname').getAttribute('aria-invalid'), 'true');
    assert.ok(await page.locator('#set-hostname').evaluate((el) => el === document.activeElement), 'the bad field has the focus');
    await shot(page, 'settings-error');

    await page.fill('#set-hostname', 'gw-hall3');
    await page.fill('#set-location', 'Hall 3; rack 7');
    await page.fill('#set-syslog_server', '[2001:db8::10]:514');
    await page.fill('#set-ntp0', '0.pool.ntp.org');
    await page.fill('#set-ntp1', 'bad:123');
    await page.click('#settings-save');
    await page.locator('#err-ntp_servers').waitFor();
    assert.match(await text(page, '#err-ntp_servers'), /server 2: has a port/);
    assert.equal(await page.locator('#set-ntp1').getAttribute('aria-invalid'), 'true');

    await page.fill('#set-ntp1', '192.0.2.123');
    await page.click('#settings-save');
    await page.locator('#settings-result .ok').waitFor();
    assert.equal(await page.locator('#err-hostname').isVisible(), false);
    await page.reload();
    await page.locator('#settings-form').waitFor();
    assert.equal(await page.inputValue('#set-hostname'), 'gw-hall3');
    assert.equal(await page.inputValue('#set-location'), 'Hall 3; rack 7');
    assert.equal(await page.inputValue('#set-ntp1'), '192.0.2.123');
    const ini = fs.readFileSync(path.join(FLASH, 'settings.ini'), 'utf8');
    assert.match(ini, /^location = Hall 3; rack 7$/m);
    assert.match(ini, /^syslog_server = \[2001:db8::10\]:514$/m);
    await shot(page, 'settings-operator');
    clean(page);
  } finally {
    const { generation, ...s } = before;   // eslint-disable-line no-unused-vars
    const r = await ctx.request.put(URL_ + '/api/settings', { data: s });
    assert.equal(r.status(), 200);
  }
});

test('a viewer reads the settings but cannot change them', async () => {
  const ctx = await as('viewer');
  const { page } = await open(ctx, '#/settings');
  await page.locator('#settings-form').waitFor();
  assert.match(await text(page, '#who'), /Vera Viewer\s+viewer/);
  assert.match(await text(page, 'main'), /Read only\.[\s\S]*Your role \(viewer\) can read these settings/);
  assert.equal(await page.locator('#settings-save').count(), 0);
  assert.equal(await page.locator('#set-hostname').getAttribute('readonly'), '');
  assert.notEqual(await page.inputValue('#set-hostname'), '');
  assert.equal(await page.getByRole('link', { name: 'Access' }).isVisible(), false);
  const r = await ctx.request.put(URL_ + '/api/settings', { data: { hostname: 'x' } });
  assert.equal(r.status(), 403);
  await shot(page, 'settings-viewer');
  clean(page);
});

// ---- the mapping table ----

test('admin uploads a table with an error and sees the error at its line', async () => {
  const ctx = await as('admin');
  const original = await activeTable(ctx);
  const { page } = await open(ctx, '#/access');
  await page.locator('#certmap-text').waitFor();
  assert.equal(await page.inputValue('#certmap-text'), original);
  const lines = original.replace(/\n$/, '').split('\n');
  const bad = lines.length + 3;   // the fingerprint line below
  const edited = lines.concat(['', '[map "broken"]', 'fingerprint = sha256:XYZ', 'role = viewer', '']).join('\n');
  await page.fill('#certmap-text', edited);
  await page.click('#certmap-upload');
  await page.locator('#certmap-error').waitFor();
  const err = await text(page, '#certmap-error');
  assert.match(err, new RegExp('^certmap\\.ini:' + bad + ': map "broken": '));
  assert.match(await text(page, '#certmap-error-at-line'), new RegExp('line ' + bad + ': '));
  assert.equal(await page.locator('#certmap-excerpt .hit').getAttribute('data-line'), String(bad));
  assert.match(await page.locator('#certmap-excerpt .hit').innerText(), /fingerprint = sha256:XYZ/);
  assert.equal(await page.locator('.gutter .bad').innerText(), String(bad));
  const sel = await page.locator('#certmap-text').evaluate((ta) => ta.value.slice(ta.selectionStart, ta.selectionEnd));
  assert.equal(sel, 'fingerprint = sha256:XYZ', 'the bad line is selected in the editor');
  assert.equal(await activeTable(ctx), original, 'nothing changed on the device');
  await shot(page, 'access-error', 'access-error');
  clean(page);
});

test('admin uploads a good table and sees the mapping count change', async () => {
  const ctx = await as('admin');
  const original = await activeTable(ctx);
  const count = (original.match(/^\s*\[\s*map\s+"/gm) || []).length;
  try {
    const { page } = await open(ctx, '#/access');
    await page.locator('#certmap-text').waitFor();
    assert.match(await text(page, '#certmap-summary'), new RegExp('^Active table: ' + count + ' mappings'));
    await page.fill('#certmap-text', original + '\n[map "browser-test"]\nmatch = subject.O = Nobody Corp\nrole = viewer\n');
    await page.click('#certmap-upload');
    await page.locator('#certmap-result .ok').waitFor();
    assert.match(await text(page, '#certmap-result'), new RegExp((count + 1) + ' mappings active now, generation \\d+'));
    assert.match(await text(page, '#certmap-summary'), new RegExp('^Active table: ' + (count + 1) + ' mappings'));
    assert.match(await activeTable(ctx), /\[map "browser-test"\]/);
    await page.click('a[data-page=status]');
    await page.locator('#page-status').waitFor();
    assert.match(await text(page, 'main'), new RegExp('Mappings\\s+' + (count + 1)));
    clean(page);
  } finally {
    const r = await ctx.request.put(URL_ + '/api/certmap', { data: original, headers: { 'Content-Type': 'text/plain' } });
    assert.equal(r.status(), 200);
  }
});

test('the audit page lists the refused upload and filters by text and status', async () => {
  const { page } = await open(await as('admin'), '#/audit');
  await page.locator('#audit-table').waitFor();
  const all = Number((await text(page, '#audit-count')).match(/of (\d+) record/)[1]);
  assert.ok(all > 5, 'the tests so far left records');
  await page.fill('#audit-filter', 'map "broken"');
  const rows = page.locator('#audit-table tbody tr');
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().innerText(), /provision[\s\S]*PUT \/api\/certmap[\s\S]*400[\s\S]*refused: certmap\.ini:\d+: map "broken"/);
  await page.fill('#audit-filter', '');
  await page.selectOption('#audit-status', '4');
  const statuses = await page.locator('#audit-table tbody tr td[data-label=Status]').allInnerTexts();
  assert.ok(statuses.length > 0 && statuses.length < all);
  for (const s of statuses) assert.match(s, /^4\d\d$/);
  assert.match(await text(page, '#audit-count'), new RegExp('Showing ' + statuses.length + ' of ' + all));
  await shot(page, 'audit-admin');
  // the security ring alone: the refused upload, no allowed request
  await page.selectOption('#audit-kind', 'security');
  await page.waitForFunction(() => location.hash === '#/audit?kind=security' && document.querySelector('#audit-kind') &&
    document.querySelector('#audit-kind').value === 'security' && document.querySelector('#audit-table'));
  const kinds = await page.locator('#audit-table tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [tr.querySelector('[data-label=Kind]').innerText, tr.querySelector('[data-label=Status]').innerText]));
  assert.ok(kinds.some(([k, st]) => k === 'provision' && st === '400'), 'the refused upload is a security event');
  for (const [k, st] of kinds) assert.ok(!(k === 'request' && /^[23]/.test(st)), 'no allowed request: ' + k + ' ' + st);
  clean(page);
});

test('a table that would lock the admin out asks first, and "upload anyway" takes effect', async () => {
  const ctx = await as('admin');
  const original = await activeTable(ctx);
  const lockout = '[certmap]\nversion = 1\n\n[map "everyone-views"]\nmatch = subject.O = Gatehouse Demo\nrole = viewer\n';
  try {
    const { page } = await open(ctx, '#/access');
    await page.locator('#certmap-text').waitFor();
    await page.fill('#certmap-text', lockout);
    await page.click('#certmap-upload');
    await page.locator('#certmap-force').waitFor();
    assert.match(await text(page, '#certmap-result'), /You would lock yourself out\.[\s\S]*would be viewer, not admin/);
    await shot(page, 'access-lockout');
    assert.equal(await activeTable(ctx), original, 'nothing changed before "upload anyway"');
    await page.click('#certmap-force');
    await page.locator('#certmap-result .ok').waitFor();
    await page.locator('#who .role-viewer').waitFor();
    assert.equal(await page.getByRole('link', { name: 'Access' }).isVisible(), false, 'the admin pages are gone');
    assert.equal((await ctx.request.get(URL_ + '/api/certmap')).status(), 403);
    clean(page);
  } finally {
    // No admin is left to upload the old table: put it back the way an
    // integrator would, in flash, and tell the server to reload.
    fs.writeFileSync(path.join(FLASH, 'certmap.ini.browser-test'), original);
    fs.renameSync(path.join(FLASH, 'certmap.ini.browser-test'), path.join(FLASH, 'certmap.ini'));
    process.kill(Number(process.env.GH_SERVER_PID), 'SIGHUP');
    for (let i = 0; i < 50; i++) {
      if ((await ctx.request.get(URL_ + '/api/certmap')).status() === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await activeTable(ctx), original, 'the admin is back');
  }
});

// ---- who gets nothing ----

test('a browser without a certificate gets no UI: the handshake is refused', async () => {
  const page = await (await as(null)).newPage();
  await assert.rejects(page.goto(URL_ + '/'), /net::ERR_/);
});

test('a certificate no mapping knows gets a readable 403 page, not the UI', async () => {
  const { page, res } = await open(await as('unmapped'));
  assert.equal(res.status(), 403);
  assert.match(await text(page, 'h1'), /403/);
  assert.match(await text(page, 'main'), /no mapping of this device's mapping table gives it a role/);
  assert.match(await text(page, 'main'), /not-mapped/);
  assert.equal(await page.locator('.nav').count(), 0);
  await shot(page, 'unmapped-403');
  // The page's stylesheet (/ui/app.css) is refused to this client like every
  // route, so the 403 page shows unstyled; only that may be in the log.
  assert.deepEqual(page.problems.filter((p) => !/app\.css.*MIME type/.test(p)), []);
});

// ---- small screens ----

test('the pages fit a phone screen', async () => {
  const ctx = await as('admin', { width: 390, height: 844 });
  for (const hash of ['#/status', '#/identity', '#/access', '#/audit', '#/settings']) {
    const { page } = await open(ctx, hash);
    await page.locator('#page-' + hash.slice(2)).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, hash + ' is ' + overflow + ' px wider than the phone');
    await shot(page, 'phone-' + hash.slice(2));
    clean(page);
    await page.close();
  }
});
