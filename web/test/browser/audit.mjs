// End-to-end: an auditor opens /audit, sees the checkpoint's signature verified in the browser,
// verifies an entry's inclusion, follows a tender's "audit log" link and verifies one of its entries;
// after an owner adds an entry, verifies it against a freshly signed checkpoint and sees the log only
// grew; a tampered proof is refused. Uses the system Chromium (never downloads one).
//
//   BIDHALL_URL=http://127.0.0.1:18081 BIDHALL_SCREENSHOT=audit.png node web/test/browser/audit.mjs
//
// Exits 0 on success; on any failure prints the failed step, still saves the screenshot, exits 1.

import { chromium } from 'playwright-core';

const BASE = (process.env.BIDHALL_URL || 'http://127.0.0.1:18080').replace(/\/$/, '');
const SCREENSHOT = process.env.BIDHALL_SCREENSHOT || 'bidhall-audit.png';
const OWNER = process.env.BIDHALL_OWNER || 'owner';
const PASSWORD = process.env.BIDHALL_PASSWORD || 'bidhall-demo-2026';
const TIMEOUT = 15_000;

let step = 'starting Chromium';

function log(message) {
  console.log(`[audit] ${message}`);
}

/** Clicks the first row's "verify" and returns the row's outcome and text. */
async function verifyFirstRow(page) {
  const row = page.locator('#entries-body tr').first();
  await row.waitFor({ timeout: TIMEOUT });
  const index = await row.getAttribute('data-index');
  await row.locator('button', { hasText: '核验' }).click();
  const cell = row.locator('td[data-result]');
  await cell.waitFor({ timeout: TIMEOUT });
  return { index, result: await cell.getAttribute('data-result'), text: (await cell.textContent()).trim() };
}

async function expectStatus(page, id, kind) {
  await page.waitForSelector(`#${id}.alert.${kind}`, { timeout: TIMEOUT }).catch(async (e) => {
    const text = await page.textContent(`#${id}`).catch(() => '');
    throw new Error(`#${id} is not ${kind}: ${text} (${e.message})`);
  });
  return (await page.textContent(`#${id}`)).trim();
}

async function run(page) {
  step = 'opening /audit';
  await page.goto(`${BASE}/audit`);
  step = 'checking the checkpoint signature in the browser';
  log(`checkpoint: ${await expectStatus(page, 'cp-status', 'success')}`);
  const size = Number(await page.textContent('#cp-size'));
  if (!(size > 0)) throw new Error(`the checkpoint size is ${size}`);
  const rootHex = await page.textContent('#cp-root-hex');
  if (!/^[0-9a-f]{64}$/.test(rootHex)) throw new Error(`the root is not shown in hex: ${rootHex}`);

  step = 'verifying the first entry of the whole log';
  let got = await verifyFirstRow(page);
  if (got.result !== 'verified') throw new Error(`entry ${got.index}: ${got.text}`);
  log(`entry ${got.index}: ${got.text}`);

  step = 'following a tender\'s audit-log link';
  await page.goto(`${BASE}/`);
  const notice = page.locator('#notices a.notice-title').first();
  await notice.waitFor({ timeout: TIMEOUT });
  await Promise.all([page.waitForURL(/\/tenders\//), notice.click()]);
  await Promise.all([page.waitForURL(/\/audit\?tender=/), page.click('#audit-link')]);
  const tender = new URL(page.url()).searchParams.get('tender');
  if ((await page.inputValue('#tender')) !== tender) throw new Error('the tender id is not prefilled');
  step = 'verifying an entry of the tender';
  got = await verifyFirstRow(page);
  if (got.result !== 'verified') throw new Error(`tender entry ${got.index}: ${got.text}`);
  const kinds = await page.$$eval('#entries-body tr td:nth-child(2) code', (els) => els.map((e) => e.textContent));
  log(`tender ${tender}: ${kinds.length} entries (${[...new Set(kinds)].join(', ')}); entry ${got.index} verified`);

  step = 'checking consistency with the checkpoint seen before';
  await page.click('#cp-sign');
  log(`consistency: ${await expectStatus(page, 'consistency-status', 'success')}`);
  const staleNote = await page.textContent('#cp-note');
  const staleSize = Number(await page.textContent('#cp-size'));

  step = 'adding an entry to the log (an owner creates a project)';
  const signin = await page.request.post(`${BASE}/api/session`, { data: { login: OWNER, password: PASSWORD } });
  if (!signin.ok()) throw new Error(`sign-in: ${signin.status()} ${await signin.text()}`);
  // An API client, not the page: it uses the bearer token (cookie-borne writes must come from the
  // hall's own pages).
  const { token } = await signin.json();
  const bearer = { authorization: `Bearer ${token}` };
  const created = await page.request.post(`${BASE}/api/projects`, {
    headers: bearer,
    data: { name: '审计页浏览器测试项目', code: `AUD-${Date.now().toString(36)}`, region: '210100', agent_org_id: null },
  });
  if (!created.ok()) throw new Error(`project: ${created.status()} ${await created.text()}`);
  await page.request.delete(`${BASE}/api/session`, { headers: bearer });

  step = 'verifying an entry newer than the (stale) checkpoint after signing a fresh one';
  // Serve the checkpoint seen before, as a lagging mirror would: the new entry is not covered yet.
  const checkpointUrl = (url) => url.pathname === '/log/checkpoint';
  await page.route(checkpointUrl, (route) => route.fulfill({ contentType: 'text/plain; charset=utf-8', body: staleNote }));
  await page.goto(`${BASE}/audit`);
  await expectStatus(page, 'cp-status', 'success');
  while (await page.isVisible('#more-entries')) await page.click('#more-entries');
  const last = page.locator('#entries-body tr').last();
  await last.waitFor({ timeout: TIMEOUT });
  const lastIndex = Number(await last.getAttribute('data-index'));
  if (lastIndex < staleSize) throw new Error(`the new entry ${lastIndex} is already covered by size ${staleSize}`);
  await last.locator('button', { hasText: '核验' }).click();
  await last.locator('td[data-result="pending"]').waitFor({ timeout: TIMEOUT });
  await last.locator('button', { hasText: '签署新检查点并重试' }).click();
  await last.locator('td[data-result]:not([data-result="pending"])').waitFor({ timeout: TIMEOUT });
  const outcome = await last.locator('td[data-result]').getAttribute('data-result');
  const lastText = (await last.locator('td[data-result]').textContent()).trim();
  if (outcome !== 'verified') throw new Error(`entry ${lastIndex} after signing: ${lastText}`);
  log(`entry ${lastIndex} (newer than size ${staleSize}): ${lastText}`);
  const grew = await expectStatus(page, 'consistency-status', 'success');
  if (!grew.includes(`${staleSize} →`)) throw new Error(`no consistency proof was checked: ${grew}`);
  log(`consistency: ${grew}`);
  await page.unroute(checkpointUrl);

  step = 'refusing a tampered inclusion proof';
  await page.route('**/api/log/proofs/inclusion?*', async (route) => {
    const resp = await route.fetch();
    const body = await resp.json();
    if (body.hashes.length > 0) body.hashes[0] = body.hashes[0].startsWith('A') ? `B${body.hashes[0].slice(1)}` : `A${body.hashes[0].slice(1)}`;
    else body.size += 1;
    await route.fulfill({ response: resp, json: body });
  });
  await page.goto(`${BASE}/audit`);
  got = await verifyFirstRow(page);
  if (got.result !== 'failed') throw new Error(`a tampered proof was accepted for entry ${got.index}: ${got.text}`);
  log(`tampered proof for entry ${got.index}: ${got.text}`);
  await page.unroute('**/api/log/proofs/inclusion?*');

  step = 'verifying every entry shown';
  await page.goto(`${BASE}/audit`);
  await page.locator('#entries-body tr').first().waitFor({ timeout: TIMEOUT });
  await page.click('#verify-all');
  await page.waitForFunction(() => {
    const cells = [...document.querySelectorAll('#entries-body td:last-child')];
    return cells.length > 0 && cells.every((c) => c.dataset.result);
  }, null, { timeout: 60_000 });
  const results = await page.$$eval('#entries-body td[data-result]', (cells) => cells.map((c) => c.dataset.result));
  const bad = results.filter((r) => r !== 'verified');
  if (bad.length) throw new Error(`${bad.length} of ${results.length} entries did not verify`);
  log(`all ${results.length} entries shown verified`);
  await page.locator('#entries-body details').first().click();
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  let failed = null;
  const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (e) => log(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') log(`console error: ${m.text()}`);
  });
  try {
    await run(page);
  } catch (e) {
    failed = e;
  }
  step = failed ? step : 'taking the screenshot';
  try {
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    log(`screenshot saved to ${SCREENSHOT}`);
  } catch (e) {
    log(`could not save the screenshot: ${e.message}`);
    failed ??= e;
  }
  await browser.close();
  if (failed) {
    console.error(`[audit] FAILED while ${step}: ${failed.message}`);
    process.exit(1);
  }
  log('ok');
}

main().catch((e) => {
  console.error(`[audit] FAILED while ${step}: ${e.message}`);
  process.exit(1);
});
