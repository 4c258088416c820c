// End-to-end: the demo agent signs in, creates a tender draft for its project, publishes it and finds
// it on the public notice board. Uses the system Chromium (never downloads one).
//
//   BIDHALL_URL=http://127.0.0.1:18080 BIDHALL_SCREENSHOT=board.png node web/test/browser/publish.mjs
//
// Exits 0 on success; on any failure prints the failed step, still saves the screenshot, exits 1.

import { chromium } from 'playwright-core';
import { defaultSchedule } from '../../static/js/app/format.js';

const BASE = (process.env.BIDHALL_URL || 'http://127.0.0.1:18080').replace(/\/$/, '');
const SCREENSHOT = process.env.BIDHALL_SCREENSHOT || 'bidhall-publish.png';
const LOGIN = process.env.BIDHALL_LOGIN || 'agent';
const PASSWORD = process.env.BIDHALL_PASSWORD || 'bidhall-demo-2026';
const TIMEOUT = 15_000;

const title = `浏览器测试道路工程 ${Date.now().toString(36)}`;
let step = 'starting Chromium';

function log(message) {
  console.log(`[publish] ${message}`);
}

async function run(page) {
  step = 'opening /signin';
  await page.goto(`${BASE}/signin`);
  step = 'signing in';
  await page.fill('#login', LOGIN);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${BASE}/home`), page.click('#signin-submit')]);
  log(`signed in as ${LOGIN}`);
  step = 'following the home page to the workspace';
  await Promise.all([page.waitForURL(`${BASE}/workspace`), page.click('#workspace-link')]);

  step = 'filling the tender form on /workspace';
  await page.waitForSelector('#tender-form #lot-0-name');
  const projects = await page.$$eval('#project_id option', (opts) => opts.map((o) => o.value).filter(Boolean));
  if (projects.length === 0) throw new Error('the agent has no project to tender');
  await page.selectOption('#project_id', projects[0]);
  await page.fill('#title', title);
  await page.selectOption('#tender_category', 'construction');
  await page.fill('#tender_region', '沈阳市');
  await page.fill('#description', '浏览器端到端测试创建的招标项目。<b>不应被解释为标记</b>');
  // A schedule with margin: documents from the next hour, on sale 7 days, deadline in 25 days.
  const schedule = defaultSchedule(Date.now());
  for (const [field, value] of Object.entries(schedule)) await page.fill(`#${field}`, value);
  await page.fill('#lot-0-name', '一标段');
  await page.fill('#lot-0-estimate', '1,000,000.00');
  await page.fill('#lot-0-bond', '20000'); // exactly 2% of the estimate
  const custodians = await page.$$eval('#custodians [data-row="custodian"]', (rows) => rows.length);
  if (custodians !== 4) throw new Error(`expected the default 4 custodians, found ${custodians}`);

  step = 'creating the draft';
  await Promise.all([
    page.waitForURL(/\/workspace\/tenders\/[0-9a-f-]+$/, { timeout: TIMEOUT }),
    page.click('#tender-submit'),
  ]).catch(async (e) => {
    const error = await page.textContent('#tender-form-error').catch(() => '');
    throw new Error(`${e.message}; the form says: ${error}`);
  });
  log(`draft created at ${page.url()}`);

  step = 'publishing';
  await Promise.all([page.waitForEvent('load'), page.click('#publish')]).catch(async (e) => {
    const violations = await page.textContent('#violations').catch(() => '');
    throw new Error(`${e.message}; violations: ${violations}`);
  });
  await page.waitForSelector('#state-badge.status-published', { timeout: TIMEOUT }).catch(async () => {
    const violations = await page.textContent('#violations').catch(() => '');
    throw new Error(`the tender is not published; violations: ${violations}`);
  });
  log('published');

  step = 'finding the notice on the board';
  await page.goto(`${BASE}/?q=${encodeURIComponent(title)}`);
  const found = page.locator('#notices a.notice-title', { hasText: title });
  await found.first().waitFor({ timeout: TIMEOUT });
  step = 'checking the board without a filter';
  await page.goto(`${BASE}/`);
  await page.locator('#notices a.notice-title', { hasText: title }).first().waitFor({ timeout: TIMEOUT });
  log('the new notice is on the board');
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
    console.error(`[publish] FAILED while ${step}: ${failed.message}`);
    process.exit(1);
  }
  log('ok');
}

main().catch((e) => {
  console.error(`[publish] FAILED while ${step}: ${e.message}`);
  process.exit(1);
});
