// Every role's home on a phone (docs/home.md): owner, agent, tenderer1, supervisor, witness and
// platform each sign in through the sign-in page at 390 px in zh-CN, land on /home and find it in
// Chinese (no English sentence, raw code or ISO time), without a console error, a failed request or
// sideways scrolling. Then the agent registers under 三表三制 from /registry/agent — its browser
// makes and registers the organisation's signing key and signs the three rules — and the trading
// centre approves it from /registry/agents, also at 390 px. Uses the system Chromium.
//
//   BIDHALL_URL=http://127.0.0.1:18083 BIDHALL_SCREENSHOT=home.png node web/test/browser/home.mjs
//
// Exits 0 on success; on failure prints the step, still saves the screenshot, exits 1.

import { chromium } from 'playwright-core';
import { assertSpeaksChinese } from './zh.mjs';

const BASE = (process.env.BIDHALL_URL || 'http://127.0.0.1:18083').replace(/\/$/, '');
const SCREENSHOT = process.env.BIDHALL_SCREENSHOT || 'bidhall-home.png';
const PASSWORD = process.env.BIDHALL_PASSWORD || 'bidhall-demo-2026';
const TIMEOUT = 20_000;
const WIDTH = 390;

let step = 'starting';
let lastPage = null;
const errors = [];
const log = (m) => console.log(`[home] ${m}`);

async function newPage(browser, login) {
  const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: WIDTH, height: 844 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (e) => errors.push(`${login}: page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${login}: console error: ${m.text()}`); });
  page.on('requestfailed', (r) => errors.push(`${login}: request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${login}: ${r.status()} for ${r.url()}`); });
  lastPage = page;
  step = `${login}: signing in`;
  await page.goto(`${BASE}/signin`);
  await page.fill('#login', login);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(`${BASE}/home`), page.click('#signin-submit')]);
  return page;
}

function noErrors(what) {
  if (errors.length) throw new Error(`${what}:\n  ${errors.join('\n  ')}`);
}

async function fits(page, what) {
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (wide > 1) throw new Error(`${what} scrolls sideways by ${wide} px at ${WIDTH} px`);
}

async function checkHome(browser, login) {
  const page = await newPage(browser, login);
  step = `${login}: the home`;
  await page.waitForSelector('#todo');
  if (await page.getAttribute('#home-nav', 'aria-current') !== 'page') throw new Error('the layout does not mark the home as current');
  await fits(page, `${login}'s home`);
  await assertSpeaksChinese(page, `${login}'s home`, [['code', 'project codes']]);
  noErrors(`${login}'s home`);
  // BIDHALL_SHOTS_DIR: also keep each home's screenshot there, to look at the pages.
  if (process.env.BIDHALL_SHOTS_DIR) await page.screenshot({ path: `${process.env.BIDHALL_SHOTS_DIR}/home-${login}.png`, fullPage: true });
  log(`${login}: ${await page.locator('#todo-list > li').count()} to do`);
  return page;
}

async function register(browser) {
  const page = await newPage(browser, 'agent');
  step = 'agent: following the home to the registration page';
  await Promise.all([page.waitForURL(`${BASE}/registry/agent`), page.click('#registry-link')]);
  await fits(page, 'the registration page');
  await assertSpeaksChinese(page, 'the registration page', [['blockquote', 'the rules as signed']]);
  step = 'agent: submitting with a rule left unaccepted is refused in words';
  await page.fill('#org_address', '沈阳市和平区南京街 1 号');
  await page.fill('#org_phone', '024-23456789');
  await page.fill('#org_capital', '5,000,000');
  await page.fill('#legal_name', '张法人');
  await page.fill('#legal_id', '210102198001010011');
  await page.fill('#legal_phone', '13900000000');
  await page.fill('[data-field="staff[0].name"]', '李代理');
  await page.fill('[data-field="staff[0].title"]', '项目负责人');
  await page.fill('[data-field="staff[0].certificate"]', 'ZB-2027-001');
  await page.fill('#signed_by', '张法人');
  await page.click('#agent-submit');
  await page.waitForSelector('#agent-form-error:not([hidden])');
  const refusal = (await page.textContent('#agent-form-error')).trim();
  if (refusal !== '请逐项接受三项制度。') throw new Error(`unexpected refusal: ${refusal}`);
  step = 'agent: accepting the three rules, signing and submitting';
  for (const box of await page.locator('[data-accept]').all()) await box.check();
  if (process.env.BIDHALL_SHOTS_DIR) await page.screenshot({ path: `${process.env.BIDHALL_SHOTS_DIR}/registry-agent.png`, fullPage: true });
  await Promise.all([page.waitForNavigation(), page.click('#agent-submit')]);
  await page.waitForSelector('#registry-status[data-status="pending"]');
  const flash = (await page.textContent('#flash')).trim();
  if (!flash.includes('等待交易中心审核')) throw new Error(`no confirmation: ${flash}`);
  await fits(page, 'the registration after submitting');
  await assertSpeaksChinese(page, 'the registration after submitting', [['blockquote', 'the rules as signed'], ['code', 'the credit code and ID number']]);
  noErrors('the registration');
}

async function review(browser) {
  const page = await newPage(browser, 'platform');
  step = 'platform: from the home to the review list';
  await Promise.all([page.waitForURL(`${BASE}/registry/agents`), page.click('#registry-review-link')]);
  await fits(page, 'the review list');
  await assertSpeaksChinese(page, 'the review list');
  step = 'platform: opening the pending registration';
  await Promise.all([page.waitForNavigation(), page.click('#registrations tr[data-status="pending"] a')]);
  await fits(page, 'the dossier');
  await assertSpeaksChinese(page, 'the dossier', [['code', 'the credit code and ID number']]);
  step = 'platform: a rejection without a reason is refused before it is sent';
  await page.click('#reject');
  await page.waitForSelector('#review-form-error:not([hidden])');
  step = 'platform: approving';
  await page.fill('#review_reason', '材料齐全');
  await Promise.all([page.waitForNavigation(), page.click('#approve')]);
  await page.waitForSelector('#registry-status[data-status="approved"]');
  step = 'platform: a qualification whose period ends before it starts is refused in words';
  await page.fill('#qual_from', '2027-06-01T00:00');
  await page.fill('#qual_to', '2027-01-01T00:00');
  await page.click('#qualification-submit');
  await page.waitForSelector('#qualification-form-error:not([hidden])');
  step = 'platform: recording a qualification';
  await page.fill('#qual_to', '2029-01-01T00:00');
  await Promise.all([page.waitForNavigation(), page.click('#qualification-submit')]);
  await page.waitForSelector('#qualification-list td[data-label]');
  await fits(page, 'the dossier after the review');
  await assertSpeaksChinese(page, 'the dossier after the review', [['code', 'the credit code and ID number']]);
  noErrors('the review');
  return page;
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    for (const login of ['owner', 'agent', 'tenderer1', 'supervisor', 'witness', 'platform']) {
      const page = await checkHome(browser, login);
      await page.context().close();
    }
    await register(browser);
    const page = await review(browser);
    step = 'taking the screenshot';
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    log(`screenshot saved to ${SCREENSHOT}`);
    await browser.close();
  } catch (e) {
    console.error(`[home] failed at step "${step}": ${e.message}`);
    if (lastPage) await lastPage.screenshot({ path: SCREENSHOT, fullPage: true }).catch(() => {});
    await browser.close().catch(() => {});
    process.exit(1);
  }
}

main();
