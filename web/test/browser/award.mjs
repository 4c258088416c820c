// A two-lot tender's evaluation and award in Chromium, from the pages alone (docs/award.md):
//
//   phase "evaluate": each committee member signs in to the evaluation room with its one-time
//     code (one of them on a 390 px phone), declares, sees each bid with its lot and what was read
//     out, rejects one bid with a ground of 条例51 and a reason, marks the others, reads the report
//     and signs it; the agent then publicises each lot's candidates from the award desk.
//   phase "award": (three days later, the Rust test moved the clock) the owner issues each lot's
//     award notice and records lot 1's contract with the signed document; each tenderer reads its
//     own letters (中标通知书 / 中标结果通知书) with the amount in capital numerals.
//
//   BIDHALL_URL=… BIDHALL_TENDER=… BIDHALL_PHASE=evaluate|award BIDHALL_CODES=c1,c2,…
//     BIDHALL_REJECT_PRICE=48000000 BIDHALL_SCREENSHOT=award.png node web/test/browser/award.mjs
//
// Every page is checked to speak Chinese and to fit its width. Exits 0 on success; on failure
// prints the step, saves the screenshot and exits 1.

import { chromium } from 'playwright-core';
import { assertSpeaksChinese } from './zh.mjs';

const BASE = (process.env.BIDHALL_URL || 'http://127.0.0.1:18084').replace(/\/$/, '');
const TENDER = process.env.BIDHALL_TENDER;
const PHASE = process.env.BIDHALL_PHASE || 'evaluate';
const CODES = (process.env.BIDHALL_CODES || '').split(',').filter(Boolean);
const REJECT = Number(process.env.BIDHALL_REJECT_PRICE || 0);
const SCREENSHOT = process.env.BIDHALL_SCREENSHOT || 'bidhall-award.png';
const PASSWORD = process.env.BIDHALL_PASSWORD || 'bidhall-demo-2026';
const TIMEOUT = 20_000;

let step = 'starting';
let lastPage = null;
const errors = [];
const log = (m) => console.log(`[award] ${m}`);

async function newPage(browser, login, width = 1280) {
  const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const who = login ?? 'member';
  page.on('pageerror', (e) => errors.push(`${who}: page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${who}: console error: ${m.text()}`); });
  page.on('requestfailed', (r) => errors.push(`${who}: request failed: ${r.url()}`));
  lastPage = page;
  if (login) {
    step = `signing in as ${login}`;
    await page.goto(`${BASE}/signin`);
    await page.fill('#login', login);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/signin')), page.click('#signin-submit')]);
  }
  return page;
}

async function fits(page, what) {
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (wide > 1) throw new Error(`${what} scrolls sideways by ${wide} px`);
}

async function member(browser, code, width) {
  const page = await newPage(browser, null, width);
  step = 'member: signing in to the evaluation room';
  await page.goto(`${BASE}/evaluation`);
  await page.fill('#eval-code', code);
  await page.click('#eval-signin-submit');
  await page.waitForSelector('#eval-room:not([hidden])');
  step = 'member: declaring no conflict';
  await page.click('#eval-no-conflict');
  await page.waitForSelector('#eval-marks form.eval-bid');
  const lines = await page.$$eval('#eval-marks form.eval-bid', (fs) => fs.map((f) => ({
    line: f.dataset.line, lot: f.dataset.lot, text: f.innerText,
  })));
  if (lines.length !== 6) throw new Error(`the room shows ${lines.length} bids, not 6`);
  if (new Set(lines.map((l) => l.lot)).size !== 2) throw new Error('the room does not show the two lots');
  if (!lines.every((l) => /第[一二]标段/.test(l.text))) throw new Error('a bid does not name its lot');
  for (const { line, text } of lines) {
    step = `member: marking line ${line}`;
    const form = page.locator(`form.eval-bid[data-line="${line}"]`);
    const rejected = REJECT && text.replace(/[,，]/g, '').includes(String(REJECT / 100));
    if (rejected) {
      await form.locator('input[name="compliant"]').uncheck();
      await form.locator('select[name="ground"]').selectOption('not_responsive');
      await form.locator('textarea[name="reason"]').fill('投标工期超过招标文件要求的最长工期');
    }
    await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/evaluation/scores') && r.request().method() === 'POST'),
      form.locator('button[type="submit"]').click(),
    ]);
    await page.waitForFunction((l) => {
      const b = document.querySelector(`form.eval-bid[data-line="${l}"] button[type="submit"]`);
      return b && b.textContent !== '保存';
    }, line);
  }
  await assertSpeaksChinese(page, 'the evaluation room');
  await fits(page, `the evaluation room at ${width} px`);
  return page;
}

async function evaluate(browser) {
  const members = [];
  for (const [i, code] of CODES.entries()) members.push(await member(browser, code, i === 0 ? 390 : 1280));
  for (const [i, page] of members.entries()) {
    step = `member ${i + 1}: reading and signing the report`;
    lastPage = page;
    await page.click('#eval-read-report');
    await page.waitForSelector('#eval-sign');
    const report = await page.locator('#eval-report').innerText();
    if (!report.includes('未通过')) throw new Error('the report does not show the rejected bid as not passed');
    await assertSpeaksChinese(page, 'the report', [['#eval-report code', 'the report hash']]);
    await page.click('#eval-sign');
    await page.waitForSelector('#eval-signed');
  }
  step = 'agent: publicising each lot from the award desk';
  const agent = await newPage(browser, 'agent', 390);
  await agent.goto(`${BASE}/tenders/${TENDER}/award`);
  for (const lot of ['lot1', 'lot2']) {
    await agent.waitForSelector(`#desk-${lot}[data-stage="evaluated"]`);
    await agent.click(`#desk-publicise-${lot} button[type="submit"]`);
    await agent.waitForSelector(`#desk-${lot}[data-stage="publicised"]`);
  }
  await assertSpeaksChinese(agent, 'the award desk');
  await fits(agent, 'the award desk at 390 px');
  await agent.screenshot({ path: SCREENSHOT, fullPage: true });
}

async function award(browser) {
  step = 'owner: issuing each lot\'s award notice';
  const owner = await newPage(browser, 'owner', 390);
  await owner.goto(`${BASE}/tenders/${TENDER}/award`);
  for (const lot of ['lot1', 'lot2']) {
    await owner.waitForSelector(`#desk-notice-${lot}`);
    await owner.click(`#desk-notice-${lot}`);
    await owner.waitForSelector(`#desk-${lot}[data-stage="awarded"]`);
  }
  step = 'owner: recording lot 1\'s contract in yuan with its signed document';
  const price = await owner.inputValue('#desk-contract-lot1-price');
  if (!/^\d+\.\d\d$/.test(price)) throw new Error(`the contract price is not in yuan: ${price}`);
  await owner.setInputFiles('#desk-contract-lot1-file', { name: '合同.pdf', mimeType: 'application/pdf', buffer: Buffer.from('签署的合同') });
  await owner.click('#desk-contract-lot1 button[type="submit"]');
  await owner.waitForSelector('#desk-lot1[data-stage="contracted"]');
  await assertSpeaksChinese(owner, 'the award desk after the contract', [['.desk-contract-done', 'the contract document\'s hash']]);
  await fits(owner, 'the award desk at 390 px');
  for (const [login, kinds] of [['tenderer1', ['award_notice', 'award_notice']], ['tenderer2', ['result_notice']], ['builder5', ['result_notice']]]) {
    step = `${login}: reading its letters`;
    const page = await newPage(browser, login, 390);
    await page.goto(`${BASE}/tenders/${TENDER}`);
    await page.waitForSelector('.my-result');
    await page.goto(`${BASE}/tenders/${TENDER}/award/letters`);
    const got = await page.$$eval('.letter', (ls) => ls.map((l) => l.dataset.kind));
    if (JSON.stringify(got) !== JSON.stringify(kinds)) throw new Error(`${login} has letters ${got}, not ${kinds}`);
    const text = await page.locator('article').innerText();
    if (!/人民币[零壹贰叁肆伍陆柒捌玖拾佰仟万亿]+元/.test(text)) throw new Error(`${login}'s letter has no amount in words`);
    await assertSpeaksChinese(page, `${login}'s letters`, [['.letter-proof', 'the hash and signature']]);
    await fits(page, `${login}'s letters at 390 px`);
    if (login === 'tenderer1') await page.screenshot({ path: SCREENSHOT, fullPage: true });
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  if (PHASE === 'evaluate') await evaluate(browser);
  else await award(browser);
  step = 'checking the consoles';
  if (errors.length) throw new Error(errors.join('\n'));
  log(`${PHASE}: done`);
} catch (e) {
  log(`FAILED while ${step}: ${e.message}`);
  if (lastPage) await lastPage.screenshot({ path: SCREENSHOT, fullPage: true }).catch(() => {});
  await browser.close();
  process.exit(1);
}
await browser.close();
