// End-to-end: a tenderer obtains the documents, follows the tender page's "保证金" link, asks for its
// sub-account and sees it after the page reloads, and has a guarantee that is not JSON and one from
// an unregistered issuer refused in words; the agent follows "保证金台账" and is told it is confidential until the opening (法22); the
// trading centre follows its "保证金总账" link and reconciles a quiet day's statement clean. Uses the
// system Chromium (never downloads one).
//
//   BIDHALL_URL=http://127.0.0.1:18083 BIDHALL_SCREENSHOT=bonds.png node web/test/browser/bonds.mjs
//
// Exits 0 on success; on any failure prints the failed step, still saves the screenshot, exits 1.

import { chromium } from 'playwright-core';

const BASE = (process.env.BIDHALL_URL || 'http://127.0.0.1:18083').replace(/\/$/, '');
const SCREENSHOT = process.env.BIDHALL_SCREENSHOT || 'bidhall-bonds.png';
const PASSWORD = process.env.BIDHALL_PASSWORD || 'bidhall-demo-2026';
const TIMEOUT = 15_000;
const DAY = 24 * 3600 * 1000;

let step = 'starting';
let lastPage = null;
let screenshotTaken = false;

function log(message) {
  console.log(`[bonds] ${message}`);
}

/** JSON API call from Node with a bearer token; throws with the API's error unless 2xx. */
async function call(method, path, token, body) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const resp = await fetch(`${BASE}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await resp.text();
  const data = text ? JSON.parse(text) : null;
  if (!resp.ok) throw new Error(`${method} ${path}: ${resp.status} ${text}`);
  return data;
}

async function publishTender() {
  step = 'signing in as agent through the API';
  const { token } = await call('POST', '/api/session', null, { login: 'agent', password: PASSWORD });
  step = 'finding the project and the supervisor and witness organisations';
  const projects = await call('GET', '/api/projects', token);
  const project = projects.find((p) => p.code === 'HN-2026-JY-017') ?? projects[0];
  if (!project) throw new Error('the agent has no project');
  const supervisor = (await call('GET', '/api/organisations?role=supervisor', token)).find((o) => o.name.includes('住房'));
  const witness = (await call('GET', '/api/organisations?role=witness', token)).find((o) => o.name.includes('公证'));
  if (!supervisor || !witness) throw new Error('the demo supervisor or witness organisation is missing');
  const now = Date.now();
  const at = (days) => new Date(now + days * DAY).toISOString();
  const spec = {
    title: `浏览器保证金测试 ${now.toString(36)}`,
    description: '浏览器端到端测试：保证金页面。',
    category: 'construction',
    region: '沈阳市',
    qualification: '二级资质',
    evaluation_method: { kind: 'lowest_evaluated_price' },
    schedule: { docs_from: at(0), docs_to: at(7), clarification_deadline: at(12), bid_deadline: at(25) },
    lots: [{ name: '第一标段', estimate_fen: 100_000_000, bid_bond_fen: 2_000_000 }],
    custodians: {
      k: 3,
      members: [
        { kind: 'time_release' }, { kind: 'agent' },
        { kind: 'supervisor', org_id: supervisor.id }, { kind: 'witness', org_id: witness.id },
      ],
    },
    supervisor_org_id: supervisor.id,
  };
  step = 'drafting and publishing the tender';
  const draft = await call('POST', '/api/tenders', token, { project_id: project.id, spec });
  await call('POST', `/api/tenders/${draft.id}/publish`, token, { version: draft.version });
  log(`published tender ${draft.id}`);
  return draft.id;
}

async function newPage(browser, login) {
  const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  lastPage = page;
  page.on('pageerror', (e) => log(`${login}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') log(`${login}: console error: ${m.text()}`);
  });
  step = `signing in as ${login}`;
  await page.goto(`${BASE}/signin`);
  await page.fill('#login', login);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/signin')), page.click('#signin-submit')]);
  return page;
}

async function verdict(page) {
  await page.waitForSelector('#guarantee-verdict:not([hidden])');
  return {
    error: await page.locator('#guarantee-verdict.error').count() > 0,
    text: (await page.textContent('#guarantee-verdict')).trim(),
  };
}

async function tenderer(browser, tender) {
  const page = await newPage(browser, 'tenderer1');
  step = 'tenderer1: obtaining the documents on the tender page';
  await page.goto(`${BASE}/tenders/${tender}`);
  await page.click('#obtain');
  await page.waitForFunction(() => document.getElementById('obtain-result')?.textContent.trim() !== '');
  step = 'tenderer1: following the bond link';
  await Promise.all([page.waitForURL(`${BASE}/tenders/${tender}/bond`), page.click('#bond-link')]);
  if (!(await page.textContent('#bond-states')).includes('待缴纳')) throw new Error('the bond is not shown as awaited');
  step = 'tenderer1: asking for the sub-account';
  await Promise.all([page.waitForNavigation(), page.click('#get-sub-account')]);
  const number = (await page.textContent('#sub-account code')).trim();
  if (!/^\d{12,}$/.test(number)) throw new Error(`the sub-account is not shown: ${number}`);
  log(`sub-account ${number}`);

  step = 'tenderer1: a guarantee that is not JSON';
  await page.fill('#guarantee-document', '这不是 JSON');
  await page.fill('#guarantee-signature', 'AAAA');
  await page.click('#guarantee-form button[type="submit"]');
  let v = await verdict(page);
  if (!v.error || !v.text.includes('JSON')) throw new Error(`not-JSON verdict: ${v.text}`);
  step = 'tenderer1: a guarantee from an unregistered issuer';
  const doc = { issuer_id: 'NOBODY', guarantee_number: 'BH-1', kind: 'bid', tender_id: tender, tenderer_id: 'x', amount_fen: 2_000_000, valid_from: new Date().toISOString(), valid_until: new Date(Date.now() + 200 * DAY).toISOString() };
  await page.fill('#guarantee-document', JSON.stringify(doc, null, 2));
  await page.evaluate(() => { document.getElementById('guarantee-verdict').hidden = true; });
  await page.click('#guarantee-form button[type="submit"]');
  v = await verdict(page);
  if (!v.error || !v.text.startsWith('保函未被接受')) throw new Error(`refused verdict: ${v.text}`);
  log(`verdict: ${v.text}`);
  step = 'taking the screenshot of the bond page';
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  screenshotTaken = true;
  log(`screenshot saved to ${SCREENSHOT}`);
}

async function agent(browser, tender) {
  const page = await newPage(browser, 'agent');
  step = 'agent: following the bonds ledger link';
  await page.goto(`${BASE}/tenders/${tender}`);
  await Promise.all([page.waitForURL(`${BASE}/tenders/${tender}/bonds`), page.click('#bonds-link')]);
  // Bidding is open: who paid a bond stays hidden from the owner's side until the opening (法22).
  step = 'agent: the bonds ledger is confidential before the opening';
  const title = (await page.textContent('section.message h1')).trim();
  if (title !== '开标前不公开') throw new Error(`expected the confidentiality notice, got "${title}"`);
}

async function platform(browser) {
  const page = await newPage(browser, 'platform');
  step = 'platform: following the ledger link';
  await Promise.all([page.waitForURL(`${BASE}/ledger`), page.click('#ledger-link')]);
  await page.waitForSelector('#trial-balance.alert.success');
  step = 'platform: reconciling a quiet day';
  await page.fill('#statement', '{"bank":"SBX","closing_balance_fen":0,"date":"2020-01-01","lines":[],"opening_balance_fen":0}');
  await Promise.all([page.waitForNavigation(), page.click('#reconcile-form button[type="submit"]')]);
  const summary = (await page.textContent('#reconcile-summary.alert.success')).replace(/\s+/g, ' ').trim();
  log(`reconciliation: ${summary}`);
}

async function main() {
  const tender = await publishTender();
  step = 'starting Chromium';
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
  try {
    await tenderer(browser, tender);
    await agent(browser, tender);
    await platform(browser);
  } catch (e) {
    failed = e;
  }
  const failedStep = step;
  if (lastPage && (failed || !screenshotTaken)) {
    try {
      await lastPage.screenshot({ path: SCREENSHOT, fullPage: true });
      log(`screenshot saved to ${SCREENSHOT}`);
    } catch (e) {
      log(`could not save the screenshot: ${e.message}`);
      failed ??= e;
    }
  }
  await browser.close();
  if (failed) {
    console.error(`[bonds] FAILED while ${failedStep}: ${failed.message}`);
    process.exit(1);
  }
  log('ok');
}

main().catch((e) => {
  console.error(`[bonds] FAILED while ${step}: ${e.message}`);
  process.exit(1);
});
