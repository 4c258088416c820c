// A two-lot tender's evaluation, award and disputes in Chromium, from the pages alone
// (docs/award.md, docs/disputes.md):
//
//   phase "evaluate": each committee member signs in to the evaluation room with its one-time
//     code (the first on a 390 px phone), declares, sees each bid with its lot and what was read
//     out, and the price criterion as the hall's to compute (no input for it); the first member
//     follows a bid's documents link, reads its files and comes back, and asks that bid's tenderer
//     a written question (条例52); every member rejects one bid with a ground of 条例51 and a
//     reason and scores the others; the tenderer answers the question on its award desk, reached
//     from the tender page; the first member sees the answer in the room; each member reads the
//     report, with its computed price scores, and signs it; the agent publicises each lot's
//     candidates; a losing tenderer objects to lot 2's candidates (条例54).
//   phase "award": (three days later, the Rust test moved the clock) the owner answers the
//     objection, issues each lot's award notice and records lot 1's contract with the signed
//     document; each tenderer reads its own letters (中标通知书 / 中标结果通知书) with the amount
//     in capital numerals; a losing tenderer of lot 1 sees its bid bond's refund on its bond page.
//   phase "complaint": the objector complains to the supervising department from the tender page,
//     is first told to name its objection (条例60), names it in words and files; the supervisor
//     accepts and decides the complaint on its list; the tender page shows the decision.
//
//   BIDHALL_URL=… BIDHALL_TENDER=… BIDHALL_PHASE=evaluate|award|complaint BIDHALL_CODES=c1,c2,…
//     BIDHALL_REJECT_PRICE=48000000 BIDHALL_CLARIFY_PRICE=98000000 BIDHALL_CLARIFY_LOGIN=tenderer2
//     BIDHALL_OBJECTOR=builder4 BIDHALL_REFUNDED=tenderer2 BIDHALL_KNEW_AT=<RFC 3339>
//     BIDHALL_SCREENSHOT=award.png node web/test/browser/award.mjs
//
// Every page is checked to speak Chinese and to fit its width, and no page may log an error or
// fail a request. Exits 0 on success; on failure prints the step, saves the screenshot and exits 1.

import { chromium } from 'playwright-core';
import { assertSpeaksChinese } from './zh.mjs';

const BASE = (process.env.BIDHALL_URL || 'http://127.0.0.1:18084').replace(/\/$/, '');
const TENDER = process.env.BIDHALL_TENDER;
const PHASE = process.env.BIDHALL_PHASE || 'evaluate';
const CODES = (process.env.BIDHALL_CODES || '').split(',').filter(Boolean);
const REJECT = Number(process.env.BIDHALL_REJECT_PRICE || 0);
const CLARIFY = Number(process.env.BIDHALL_CLARIFY_PRICE || 0);
const CLARIFY_LOGIN = process.env.BIDHALL_CLARIFY_LOGIN || 'tenderer2';
const OBJECTOR = process.env.BIDHALL_OBJECTOR || 'builder4';
const REFUNDED = process.env.BIDHALL_REFUNDED || 'tenderer2';
const KNEW_AT = process.env.BIDHALL_KNEW_AT || '';
// The words the test writes and then looks for on other pages.
const QUESTION = '请说明投标工期的计算依据';
const ANSWER = '按投标文件第三章施工进度计划计算';
const OBJECTION = '第一名的工期不满足招标文件的要求';
const OBJECTION_ANSWER = '经复核，第一名的工期满足招标文件的要求';
const DECISION = '经调查，评标委员会按招标文件规定的标准评审，投诉事项缺乏事实依据';
const SCREENSHOT = process.env.BIDHALL_SCREENSHOT || 'bidhall-award.png';
const PASSWORD = process.env.BIDHALL_PASSWORD || 'bidhall-demo-2026';
const TIMEOUT = 20_000;

let step = 'starting';
let lastPage = null;
const errors = [];
// Refusals the test asks for ({path, status}), each allowed once.
const expected = [];
const log = (m) => console.log(`[award] ${m}`);

async function newPage(browser, login, width = 1280) {
  const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const who = login ?? 'member';
  page.on('pageerror', (e) => errors.push(`${who}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // A refusal the test provokes on purpose is logged by Chromium as a failed load; only that one.
    const status = Number(/status of (\d+)/.exec(m.text())?.[1]);
    const i = expected.findIndex((e) => e.status === status && m.location().url?.endsWith(e.path));
    if (i >= 0) expected.splice(i, 1);
    else errors.push(`${who}: console error: ${m.text()} (${m.location().url ?? ''})`);
  });
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

/** The price in yuan as a bid's text in the room shows it, without separators. */
const shows = (text, fen) => fen && text.replace(/[,，]/g, '').includes(String(fen / 100));

async function member(browser, code, width, first) {
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
  // The price criterion (docs/award.md §3) is computed by the hall: each bid says so where a
  // member would score it, and a member types only the other criterion.
  step = 'member: the price criterion is computed, not typed';
  const computed = await page.locator('#eval-price-computed').innerText();
  if (!computed.includes('价格') || !computed.includes('30%')) throw new Error(`the room does not say the price is computed: ${computed}`);
  const boxes = await page.$$eval('#eval-marks form.eval-bid', (fs) => fs.map((f) => ({
    inputs: [...f.querySelectorAll('input[type="number"]')].map((i) => f.querySelector(`label[for="${i.id}"]`)?.textContent ?? ''),
    priceLine: f.querySelector('.eval-price-line')?.textContent ?? '',
  })));
  for (const b of boxes) {
    if (b.inputs.length !== 1 || !b.inputs[0].startsWith('技术')) throw new Error(`a bid asks the member to type ${JSON.stringify(b.inputs)}, not the technical score alone`);
    if (!b.priceLine.includes('价格') || !b.priceLine.includes('系统')) throw new Error(`a bid does not show its price score as the hall's: ${b.priceLine}`);
  }
  const asked = lines.find((l) => shows(l.text, CLARIFY));
  if (first && !asked) throw new Error(`no bid at ${CLARIFY} fen to ask about`);
  if (first) {
    step = 'member: reading a bid\'s documents from the room';
    const form = page.locator(`form.eval-bid[data-line="${asked.line}"]`);
    await Promise.all([page.waitForURL(/\/documents/), form.locator('a.eval-bid-documents').click()]);
    const row = page.locator('#docs-body tr.targeted');
    await row.waitFor();
    await row.locator('button[data-action="read"]').click();
    await row.locator('[data-documents] ul.files li').first().waitFor();
    const files = await row.locator('[data-documents]').innerText();
    if (!files.includes('technical.pdf')) throw new Error(`the documents read show ${files}`);
    await assertSpeaksChinese(page, 'the bid documents', [['#docs-body code', 'the tenderers\' ids'], ['ul.files', 'the file names']]);
    await fits(page, `the bid documents at ${width} px`);
    await Promise.all([page.waitForURL(/\/evaluation$/), page.click('#docs-back-to-room')]);
    await page.waitForSelector('#eval-marks form.eval-bid');
    step = 'member: asking the tenderer to clarify in writing (条例52)';
    const clarify = page.locator(`form.eval-clarify[data-line="${asked.line}"]`);
    await clarify.locator('textarea').fill(QUESTION);
    await clarify.locator('button[type="submit"]').click();
    await page.locator(`.eval-clarifications[data-line="${asked.line}"] .clarification`, { hasText: QUESTION }).waitFor();
  }
  for (const { line, text } of lines) {
    step = `member: marking line ${line}`;
    const form = page.locator(`form.eval-bid[data-line="${line}"]`);
    if (shows(text, REJECT)) {
      await form.locator('input[name="compliant"]').uncheck();
      await form.locator('select[name="ground"]').selectOption('not_responsive');
      await form.locator('textarea[name="reason"]').fill('投标工期超过招标文件要求的最长工期');
    }
    await form.locator('input[name="s0"]').fill('80');
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
  return { page, asked };
}

/** The tenderer asked reaches its award desk from the tender page and answers in writing. */
async function answerClarification(browser) {
  step = `${CLARIFY_LOGIN}: answering the committee's question on its award desk`;
  const page = await newPage(browser, CLARIFY_LOGIN, 390);
  await page.goto(`${BASE}/tenders/${TENDER}`);
  await Promise.all([page.waitForURL(/\/award$/), page.click('#award-desk-link')]);
  const item = page.locator('#desk .clarification', { hasText: QUESTION });
  await item.waitFor();
  // 法37: the tenderer learns the member's seat, never its name.
  if (!/席位\s*\d/.test(await item.innerText())) throw new Error('the question does not name the seat that asked');
  await item.locator('textarea').fill(ANSWER);
  await item.locator('button[type="submit"]').click();
  await page.locator('#desk .clarification', { hasText: ANSWER }).waitFor();
  if (await page.locator('#desk .clarification textarea').count()) throw new Error('the answered question still offers a form');
  await assertSpeaksChinese(page, 'the tenderer\'s award desk');
  await fits(page, 'the tenderer\'s award desk at 390 px');
}

async function evaluate(browser) {
  const members = [];
  for (const [i, code] of CODES.entries()) members.push(await member(browser, code, i === 0 ? 390 : 1280, i === 0));
  await answerClarification(browser);
  step = 'member 1: seeing the written answer in the room';
  const [{ page: first, asked }] = members;
  lastPage = first;
  await first.reload();
  await first.locator(`.eval-clarifications[data-line="${asked.line}"] .clarification`, { hasText: ANSWER }).waitFor();
  for (const [i, { page }] of members.entries()) {
    step = `member ${i + 1}: reading and signing the report`;
    lastPage = page;
    await page.click('#eval-read-report');
    await page.waitForSelector('#eval-sign');
    const report = await page.locator('#eval-report').innerText();
    if (!report.includes('未通过')) throw new Error('the report does not show the rejected bid as not passed');
    if (!report.includes('价格分')) throw new Error('the report does not show the price scores');
    // Each lot's lowest valid price is the benchmark (100 points); the rejected bid has none.
    const prices = await page.$$eval('#eval-report td.eval-price-score', (tds) => tds.map((td) => td.textContent));
    const full = prices.filter((p) => p === '100.00').length;
    const none = prices.filter((p) => p === '—').length;
    if (prices.length !== 6 || full !== 2 || none !== 1) throw new Error(`the report's price scores are ${prices}`);
    await assertSpeaksChinese(page, 'the report', [['#eval-report code', 'the report hash']]);
    if (i === 0) await fits(page, 'the report at 390 px');
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

  step = `${OBJECTOR}: objecting to lot 2's candidates (条例54)`;
  const objector = await newPage(browser, OBJECTOR, 390);
  await objector.goto(`${BASE}/tenders/${TENDER}/award`);
  await objector.fill('#desk-object-lot2-text', OBJECTION);
  await objector.click('#desk-object-lot2 button[type="submit"]');
  await objector.locator('#desk-lot2 .objection', { hasText: OBJECTION }).waitFor();
  await assertSpeaksChinese(objector, 'the objector\'s award desk');
  await fits(objector, 'the objector\'s award desk at 390 px');
}

async function award(browser) {
  const owner = await newPage(browser, 'owner', 390);
  await owner.goto(`${BASE}/tenders/${TENDER}/award`);
  step = 'owner: answering the objection to lot 2\'s candidates';
  const objection = owner.locator('#desk-lot2 .objection', { hasText: OBJECTION });
  await objection.locator('textarea').fill(OBJECTION_ANSWER);
  await objection.locator('button[type="submit"]').click();
  await owner.locator('#desk-lot2 .objection', { hasText: OBJECTION_ANSWER }).waitFor();
  step = 'owner: issuing each lot\'s award notice';
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
  // 条例57: lot 1's contract sends its bid bonds back; the tenderer sees the refund instructed.
  step = `${REFUNDED}: seeing its bid bond's refund on its bond page`;
  const bonds = await newPage(browser, REFUNDED, 390);
  await bonds.goto(`${BASE}/tenders/${TENDER}/bond`);
  const refunds = await bonds.$$eval('table.refunds tbody tr[data-state]', (rs) => rs.map((r) => r.innerText.replace(/[,，\s]/g, '')));
  if (refunds.length !== 1 || !refunds[0].includes('¥20000.00') || !refunds[0].includes('条例第五十七条')) {
    throw new Error(`the bond page shows the refunds ${JSON.stringify(refunds)}`);
  }
  await assertSpeaksChinese(bonds, 'the bond page', [['code', 'account numbers and instruction ids']]);
  await fits(bonds, 'the bond page at 390 px');
}

/** `rfc` as the datetime-local value a user in Beijing types. */
function beijingLocal(rfc) {
  return new Date(Date.parse(rfc) + 8 * 3_600_000).toISOString().slice(0, 16);
}

async function complaint(browser) {
  step = `${OBJECTOR}: complaining about lot 2's candidates without naming the objection`;
  const page = await newPage(browser, OBJECTOR, 390);
  await page.goto(`${BASE}/tenders/${TENDER}`);
  await page.selectOption('#complaint_matter', 'candidates');
  await page.fill('#complaint_knew_at', beijingLocal(KNEW_AT));
  await page.fill('#complaint_text', '第二标段第一名的工期不满足招标文件要求，评标委员会未予否决，招标人对异议的答复不能成立。');
  expected.push({ path: `/api/tenders/${TENDER}/complaints`, status: 422 });
  await page.click('#complain-form button[type="submit"]');
  const refusal = page.locator('#complain-form [data-error]');
  await refusal.waitFor();
  const said = await refusal.innerText();
  if (!said.includes('异议') || !said.includes('第六十条')) throw new Error(`the refusal does not cite 条例60: ${said}`);
  step = `${OBJECTOR}: naming its objection in words and complaining`;
  await page.fill('#complaint_reference', '已就第二标段中标候选人公示向招标人提出异议，招标人答复称工期满足要求');
  await Promise.all([page.waitForEvent('load'), page.click('#complain-form button[type="submit"]')]);
  await page.locator('#complaints li', { hasText: '评标结果与中标候选人' }).waitFor();
  await assertSpeaksChinese(page, 'the tender page with the complaint');
  await fits(page, 'the tender page at 390 px');

  step = 'supervisor: accepting the complaint';
  const supervisor = await newPage(browser, 'supervisor', 390);
  await supervisor.goto(`${BASE}/supervision/complaints`);
  const item = supervisor.locator('#complaints > li', { has: supervisor.locator(`a[href="/tenders/${TENDER}"]`) });
  await item.locator('select[name="accept"]').selectOption('true');
  await Promise.all([supervisor.waitForEvent('load'), item.locator('button[type="submit"]').click()]);
  step = 'supervisor: deciding the complaint';
  await item.locator('select[name="upheld"]').selectOption('false');
  await item.locator('textarea[name="text"]').fill(DECISION);
  await Promise.all([supervisor.waitForEvent('load'), item.locator('button[type="submit"]').click()]);
  await item.locator('[data-state="decided"]').waitFor();
  await assertSpeaksChinese(supervisor, 'the supervisor\'s complaints');
  await fits(supervisor, 'the supervisor\'s complaints at 390 px');

  step = `${OBJECTOR}: reading the decision on the tender page`;
  await page.reload();
  const decided = page.locator('#complaints li', { hasText: DECISION });
  await decided.waitFor();
  if (!(await decided.innerText()).includes('投诉不成立')) throw new Error('the tender page does not say the complaint was not founded');
  await assertSpeaksChinese(page, 'the tender page with the decision');
  await fits(page, 'the tender page at 390 px');
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  if (PHASE === 'evaluate') await evaluate(browser);
  else if (PHASE === 'award') await award(browser);
  else await complaint(browser);
  step = 'checking the consoles';
  if (expected.length) errors.push(`the refusals ${JSON.stringify(expected)} never came`);
  if (errors.length) throw new Error(errors.join('\n'));
  log(`${PHASE}: done`);
} catch (e) {
  log(`FAILED while ${step}: ${e.message}`);
  if (lastPage) await lastPage.screenshot({ path: SCREENSHOT, fullPage: true }).catch(() => {});
  await browser.close();
  process.exit(1);
}
await browser.close();
