// A tender's whole life in Chromium, from the pages alone, on the hall `serve --demo` loads
// (README.md, "Start a hall with demo data"), in one language (BIDHALL_LANG=zh|en; English is
// chosen with the page's language switch, as a visitor would). Every role works in its own
// browser (its own cookies and IndexedDB), some on a 390 px phone:
//
//   1. the owner creates a project whose agent must be drawn and announces the agent draw; the
//      owner, the trading centre and the supervisor (its witness) commit and reveal; the trading
//      centre moves the demo clock with the buttons at the foot of its pages; the draw is
//      conducted and appoints the agent;
//   2. the drawn agent finds the project on its home, drafts the tender with the new-tender form
//      (its dates proposed from the hall's clock; comprehensive scoring with the price scored by
//      the hall, the performance bond percent, the tie-break) and checks that saving and editing
//      the draft kept them, then publishes it; the tender's pages name its reference number;
//   3. the custodians (the agent, the supervisor, the witness) register their keys in their
//      browsers, from their homes;
//   4. three tenderers find no "obtain" button before the sale opens, then obtain the documents,
//      ask for a bond sub-account, pay the bond at the sandbox bank's pages and seal their bids;
//   5. the clock reaches the lobby; the host, the supervisor and a tenderer sign in; the public
//      watches; past the deadline the custodians release, every bid is announced, a tenderer
//      objects and the host answers, the public is never told there is no objection, a tenderer
//      confirms, and the host concludes with the signed record;
//   6. the agent requests the expert draw from its workspace; it is committed, revealed and
//      conducted; the host forms the committee and hands out the codes; each member signs in to
//      the evaluation room, declares, scores every bid's technical criterion, reads the report
//      with the price scores the hall computed and signs it; the agent publicises the candidates;
//   7. after the publicity the owner issues the award notice; each tenderer finds its result on its
//      home and reads its letter; the winner pays its performance bond at the bank (its own due
//      date, not the bid deadline); the owner records the contract, the losers see their bid
//      bonds' refunds; the owner records the contract performed, the winner sees its bonds back,
//      and the board shows the tender completed.
//
// Every page is checked to fit its width without sideways scrolling and to speak its language
// (zh.mjs, en.mjs); no page may log an error, fail a request or get a 4xx/5xx answer. Nothing here
// calls the API: every step is a click or a typed value on a page.
//
//   BIDHALL_URL=… BIDHALL_LANG=zh BIDHALL_SCREENSHOT=life.png node web/test/browser/life.mjs
//
// Exits 0 on success; on failure prints the step, saves the screenshot and exits 1.

import { chromium } from 'playwright-core';
import { assertSpeaksChinese } from './zh.mjs';
import { assertSpeaksEnglish } from './en.mjs';

const BASE = (process.env.BIDHALL_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
const LANG = process.env.BIDHALL_LANG === 'en' ? 'en' : 'zh';
const SCREENSHOT = process.env.BIDHALL_SCREENSHOT || 'bidhall-life.png';
const PASSWORD = process.env.BIDHALL_PASSWORD || 'bidhall-demo-2026';
const TIMEOUT = 30_000;
const MINUTE = 60_000;
const PHONE = 390;

const run = Date.now().toString(36);
const PROJECT = LANG === 'zh' ? `浑南区实验中学风雨操场新建工程 ${run}` : `浑南区实验中学风雨操场新建工程 EN ${run}`;
const CODE = `HN-2027-LIFE-${run}`.toUpperCase();
const TITLE = `浑南区实验中学风雨操场新建工程施工招标 ${run}`;
const LOT = '第一标段';
// The demo's agents (README.md) by the name a draw's result shows.
const AGENTS = { 辽宁正信招标代理有限公司: 'agent', 沈阳建科工程咨询有限公司: 'agent2', 辽宁公信项目管理有限公司: 'agent3' };
// The bidders, their prices in yuan; the lowest wins (lowest evaluated price).
const BIDDERS = [['tenderer1', '958,000.00'], ['tenderer2', '978,500.00'], ['tenderer4', '991,200.00']];
const [TECHNICAL, PRICE] = LANG === 'zh' ? ['技术', '价格'] : ['Technical', 'Price'];
const OBJECTION = LANG === 'zh' ? '第2行的工期宣读有误' : 'Line 2: the duration was read out wrong';
const ANSWER = LANG === 'zh' ? '经核对，第2行宣读无误' : 'Checked: line 2 was read out as sealed';
// The hall's data a page's own words may carry: names and titles are entered, not translated.
const ORGANISATIONS = [
  '沈阳市公共资源交易中心', '沈阳市浑南区教育局', '沈阳市城市建设管理局', '沈阳市住房和城乡建设局', '沈阳市公证处',
  '辽宁华建建设集团有限公司', '沈阳盛京建筑工程有限公司', '鞍山鑫达机电设备有限公司', '辽宁远大建设工程有限公司', '大连星海照明科技有限公司',
];
const DATA = [PROJECT, TITLE, LOT, CODE, '沈阳市', ...Object.keys(AGENTS), ...ORGANISATIONS];

let step = 'starting';
// The tender's reference number (招标编号), as its draft first shows it.
let REFERENCE = null;
let lastPage = null;
const errors = [];
const log = (m) => console.log(`[life ${LANG}] ${m}`);
const pages = {};

async function open(browser, who, width, login = who) {
  const context = await browser.newContext({
    locale: LANG === 'zh' ? 'zh-CN' : 'en-US',
    timezoneId: 'Asia/Shanghai',
    viewport: { width, height: 900 },
    acceptDownloads: true,
  });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.who = who;
  page.width = width;
  page.on('pageerror', (e) => errors.push(`${who}: page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${who}: console error: ${m.text()} (${m.location().url ?? ''})`); });
  page.on('requestfailed', (r) => {
    // A page left while its socket or a fetch was open is not a failure the user sees.
    if (/ERR_ABORTED/.test(r.failure()?.errorText ?? '')) return;
    errors.push(`${who}: request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`${who}: ${r.status()} for ${r.request().method()} ${r.url()}`); });
  page.on('dialog', (d) => d.accept());
  lastPage = page;
  step = `${who}: choosing the language`;
  await page.goto(`${BASE}/${login ? 'signin' : ''}`);
  if (LANG === 'en') await Promise.all([page.waitForURL(/lang=en/), page.click('#lang-en')]);
  if (login) {
    step = `${who}: signing in`;
    await page.fill('#login', login);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(`${BASE}/home`), page.click('#signin-submit')]);
  }
  pages[who] = page;
  return page;
}

function noErrors(what) {
  if (errors.length) throw new Error(`${what}:\n  ${errors.splice(0).join('\n  ')}`);
}

/** The page fits its width and speaks the run's language; `except`: [selector, why] left out. */
async function look(page, what, except = []) {
  lastPage = page;
  step = `${page.who}: looking at ${what}`;
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (wide > 1) throw new Error(`${what} scrolls sideways by ${wide} px at ${page.width} px`);
  if (LANG === 'zh') await assertSpeaksChinese(page, `${page.who}: ${what}`, except);
  else await assertSpeaksEnglish(page, `${page.who}: ${what}`, DATA, except);
  noErrors(what);
}

async function go(page, path, what) {
  lastPage = page;
  step = `${page.who}: opening ${what}`;
  await page.goto(`${BASE}${path}`);
}

/** Follows the link `selector` on `page` and waits for the page it leads to. */
async function follow(page, selector, url) {
  lastPage = page;
  await Promise.all([page.waitForURL(url), page.click(selector)]);
}

/** The home lists `text` (a title) under what awaits the viewer, linked to `href`. */
async function homeShows(page, text, hrefPart, what) {
  await go(page, '/home', 'its home');
  step = `${page.who}: its home shows ${what}`;
  const item = page.locator('#todo-list > li, #waiting-list > li', { hasText: text }).filter({ has: page.locator(`a[href*="${hrefPart}"]`) });
  await item.first().waitFor().catch(() => { throw new Error(`the home of ${page.who} does not show ${what}`); });
  await look(page, 'its home', [['code', 'project codes']]);
  return item.first();
}

// ---- the demo clock, moved by the trading centre with the buttons at the foot of its pages ----

async function hallNow() {
  lastPage = pages.platform;
  return Date.parse(await pages.platform.getAttribute('#demo-clock-now', 'datetime'));
}

async function press(minutes) {
  const p = pages.platform;
  const before = await hallNow();
  await Promise.all([p.waitForNavigation(), p.click(`[data-demo-clock="${minutes}"]`)]);
  const after = await hallNow();
  if (!(after >= before + minutes * MINUTE)) throw new Error(`the demo clock moved from ${before} to ${after}`);
}

/** Moves the hall's clock on to `target` (ms), in the largest steps the buttons offer. */
async function clockTo(target, what) {
  step = `platform: moving the demo clock to ${what}`;
  for (;;) {
    const gap = target - (await hallNow());
    if (gap <= 0) break;
    await press([28800, 4320, 1440, 60].find((m) => m * MINUTE <= gap) ?? 60);
  }
  log(`the hall's clock reads ${new Date(await hallNow()).toISOString()} (${what})`);
}

// ---- draws: each party commits and reveals in its own browser ----

async function drawAct(page, button, who) {
  lastPage = page;
  step = `${who}: ${button} on the draw page`;
  await page.locator(button).waitFor({ state: 'visible' });
  await page.evaluate(() => { const s = document.getElementById('draw-status'); if (s) s.className = ''; });
  await page.click(button);
  await page.waitForFunction(() => /\b(ok|error)\b/.test(document.getElementById('draw-status')?.className ?? ''));
  if (!(await page.getAttribute('#draw-status', 'class')).includes('ok')) throw new Error(`${who}: ${await page.textContent('#draw-status')}`);
}

/** The parties commit, the clock passes the commit deadline, they reveal, it passes the reveal
 * deadline, and `conductor` conducts the draw; returns the names selected. */
async function runDraw(url, parties, conductor) {
  for (const p of parties) {
    if (p.url() !== url) await go(p, new URL(url).pathname, 'the draw');
    await drawAct(p, '#d-commit', p.who);
  }
  await look(parties[0], 'the draw while committing');
  await clockTo((await hallNow()) + 60 * MINUTE, 'past the commit deadline');
  for (const p of parties) {
    await p.reload();
    await drawAct(p, '#d-reveal', p.who);
  }
  await clockTo((await hallNow()) + 60 * MINUTE, 'past the reveal deadline');
  step = `${conductor.who}: conducting the draw`;
  await conductor.reload();
  await conductor.waitForFunction(() => ['ready_to_conduct', 'completed'].includes(document.getElementById('d-phase').dataset.phase));
  // `serve --demo` also conducts a due draw by itself; whichever comes first, it runs once.
  const phase = await conductor.getAttribute('#d-phase', 'data-phase');
  if (phase === 'ready_to_conduct') await drawAct(conductor, '#d-conduct', conductor.who);
  await conductor.waitForFunction(() => document.getElementById('d-phase').dataset.phase === 'completed');
  await conductor.locator('#d-result').waitFor({ state: 'visible' });
  await look(conductor, 'the completed draw');
  return conductor.$$eval('#d-selected li', (els) => els.map((e) => e.textContent.trim()));
}

// ---- the sandbox bank's pages ----

/** Pays `yuan` to the sub-account on the bond page from this browser's bank account. */
async function payAtTheBank(page, yuan, what) {
  step = `${page.who}: paying ${what} at the sandbox bank`;
  const sub = (await page.textContent('#sub-account code')).trim();
  if (!/^\d{12,}$/.test(sub)) throw new Error(`no sub-account on the bond page: ${sub}`);
  await follow(page, '#sandbox-link', /\/sandbox-bank/);
  await look(page, 'the sandbox bank', [['code', 'account numbers and access codes'], ['.id', 'transaction numbers']]);
  if (!(await page.locator('select[name="from_account"] option').count())) {
    step = `${page.who}: opening an account at the sandbox bank`;
    await page.fill('input[name="name"]', page.who);
    // Enough for the bid bond and a performance bond of 10% of the price.
    await page.fill('input[name="balance_yuan"]', '500000');
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/form/accounts"] button')]);
    await page.locator('#access-code').waitFor();
    await look(page, 'the new account', [['code', 'account numbers and access codes'], ['.id', 'transaction numbers']]);
  }
  step = `${page.who}: transferring ${what}`;
  await page.fill('input[name="to_sub_account"]', sub);
  await page.fill('input[name="amount_yuan"]', yuan);
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/form/transfers"] button')]);
  await look(page, 'the bank after the transfer', [['code', 'account numbers and access codes'], ['.id', 'transaction numbers']]);
}

/** Reloads the bond page until the bond `kind` shows `state` (the bank notifies the hall). */
async function bondShows(page, tender, kind, state) {
  step = `${page.who}: waiting for its ${kind} bond to show ${state}`;
  for (let i = 0; ; i++) {
    await go(page, `/tenders/${tender}/bond`, 'its bond page');
    const states = await page.$$eval(`#bond-states tbody tr[data-bond="${kind}"]`, (rows) => rows.map((r) => r.dataset.state));
    if (states.length && states.every((s) => s === state)) return;
    if (i > 40) throw new Error(`the bond page shows ${states}, not ${state}`);
    await page.waitForTimeout(250);
  }
}

// ---- the life ----

async function agentDraw(browser) {
  const owner = await open(browser, 'owner', PHONE);
  const platform = await open(browser, 'platform', 1280);
  const supervisor = await open(browser, 'supervisor', PHONE);
  await look(platform, 'the trading centre\'s home', [['code', 'project codes']]);
  log(`the hall's clock reads ${new Date(await hallNow()).toISOString()}`);

  step = 'owner: creating a project whose agent is drawn';
  await follow(owner, '#workspace-link', `${BASE}/workspace`);
  await owner.fill('#project_name', PROJECT);
  await owner.fill('#project_code', CODE);
  await owner.fill('#project_region', '沈阳市');
  await owner.check('#project_agent_by_draw');
  await Promise.all([owner.waitForEvent('load'), owner.click('#project-submit')]);
  await owner.locator('#projects tr', { hasText: CODE }).waitFor();
  await look(owner, 'the workspace', [['code', 'project codes']]);

  step = 'owner: its home asks for the agent draw';
  await homeShows(owner, PROJECT, '/workspace', 'the agent draw to announce');

  step = 'owner: announcing the agent draw';
  await go(owner, '/workspace', 'the workspace');
  const project = await owner.$eval('#draw_project', (s, code) => [...s.options].find((o) => o.textContent.includes(code))?.value, CODE);
  if (!project) throw new Error('the draw form does not offer the new project');
  await owner.selectOption('#draw_project', project);
  await owner.selectOption('#draw_category', 'construction');
  await owner.fill('#draw_purpose', `${PROJECT} 招标代理机构摇号`);
  await owner.fill('#draw_select', '1');
  await owner.fill('#draw_reserves', '1');
  await Promise.all([owner.waitForURL(/\/draws\/[^/]+$/), owner.click('#draw-submit')]);
  const url = owner.url();
  await owner.waitForFunction(() => document.getElementById('d-phase').dataset.phase === 'committing');
  await look(owner, 'the announced agent draw');

  step = 'supervisor: its home asks for its commitment';
  await homeShows(supervisor, PROJECT, '/draws/', 'the draw to commit to');
  const selected = await runDraw(url, [owner, platform, supervisor], owner);
  const name = Object.keys(AGENTS).find((n) => selected.some((s) => s.includes(n)));
  if (!name) throw new Error(`the draw selected ${selected}, not a demo agent`);
  log(`the agent draw appointed ${name} (${AGENTS[name]})`);

  step = 'owner: the workspace names the drawn agent';
  await go(owner, '/workspace', 'the workspace');
  await owner.locator('#projects tr', { hasText: CODE }).filter({ hasText: name }).waitFor();
  return AGENTS[name];
}

async function draft(browser, login) {
  const agent = await open(browser, 'agent', PHONE, login);
  step = 'agent: its home asks for the tender of the project it was drawn for';
  await homeShows(agent, PROJECT, '/workspace', 'the tender to create');
  await go(agent, '/workspace', 'the workspace');
  await look(agent, 'the workspace with the new-tender form', [['code', 'project codes']]);

  step = 'agent: filling the new-tender form';
  const project = await agent.$eval('#project_id', (s, code) => [...s.options].find((o) => o.textContent.includes(code))?.value, CODE);
  if (!project) throw new Error('the tender form does not offer the drawn project');
  await agent.selectOption('#project_id', project);
  // The form proposes its dates from the hall's clock: documents from the next whole hour.
  const now = await hallNow();
  const from = Date.parse(`${await agent.inputValue('#docs_from')}:00+08:00`);
  if (!(from > now && from <= now + 2 * 60 * MINUTE)) throw new Error(`the form proposes the sale from ${await agent.inputValue('#docs_from')}, not the hall's next hour`);
  await agent.fill('#title', TITLE);
  await agent.selectOption('#tender_category', 'construction');
  await agent.fill('#tender_region', '沈阳市');
  await agent.fill('#description', '新建风雨操场一座，建筑面积约 3,200 平方米，钢结构，含室外配套工程。');
  await agent.fill('#qualification', '建筑工程施工总承包二级及以上资质，具备有效的安全生产许可证。');
  // Comprehensive scoring: the members score the technical criterion, the hall the price one.
  await agent.selectOption('#evaluation_kind', 'comprehensive_scoring');
  await agent.fill('#criteria', `${TECHNICAL} 70\n${PRICE} 30`);
  await agent.selectOption('#price_method', 'lowest_valid');
  await agent.fill('#price_criterion', PRICE);
  await agent.fill('#price_deduct_above', '1');
  await agent.selectOption('#tie_break', 'earlier_submission');
  await agent.fill('#performance_bond_percent', '5');
  await agent.fill('#lot-0-name', LOT);
  await agent.fill('#lot-0-estimate', '1,000,000.00');
  await agent.fill('#lot-0-bond', '20000');
  step = 'agent: saving the draft';
  await Promise.all([agent.waitForURL(/\/workspace\/tenders\/[0-9a-f-]+$/), agent.click('#tender-submit')]).catch(async (e) => {
    throw new Error(`${e.message}; the form says: ${await agent.textContent('#tender-form-error')}`);
  });
  const tender = agent.url().split('/').pop();
  step = 'agent: the saved draft kept the performance bond and the tie-break';
  await agent.waitForFunction(() => document.getElementById('performance_bond_percent')?.value === '5');
  if ((await agent.inputValue('#tie_break')) !== 'earlier_submission') throw new Error(`the draft's tie-break reads ${await agent.inputValue('#tie_break')}`);
  const reference = (await agent.textContent('#tender-reference')).trim();
  REFERENCE = reference;
  if (!reference.startsWith(CODE)) throw new Error(`the tender's reference is ${reference}`);
  await look(agent, 'the draft', [['code', 'reference numbers']]);

  step = 'agent: editing the draft keeps them';
  await agent.fill('#performance_bond_percent', '10');
  await Promise.all([agent.waitForEvent('load'), agent.click('#tender-submit')]);
  await agent.waitForFunction(() => document.getElementById('performance_bond_percent')?.value === '10');
  if ((await agent.inputValue('#tie_break')) !== 'earlier_submission') throw new Error('saving the draft lost the tie-break');

  step = 'agent: publishing';
  await Promise.all([agent.waitForEvent('load'), agent.click('#publish')]);
  await agent.waitForSelector('#state-badge.status-published').catch(async () => {
    throw new Error(`not published: ${await agent.textContent('#violations')}`);
  });
  await look(agent, 'the published tender in the workspace', [['code', 'reference numbers']]);
  await go(agent, `/tenders/${tender}`, 'the tender page');
  step = 'agent: the tender page states the performance bond and the tie-break';
  if ((await agent.textContent('#performance-bond')).trim() !== '10%') throw new Error(`the tender page shows the performance bond as ${await agent.textContent('#performance-bond')}`);
  if (!(await agent.textContent('#tie-break')).trim()) throw new Error('the tender page does not state the tie-break');
  if ((await agent.textContent('#tender-reference')).trim() !== reference) throw new Error('the tender page shows another reference');
  await look(agent, 'the tender page', [['code', 'reference numbers']]);
  log(`tender ${reference} published`);
  return tender;
}

async function custodians(browser, tender) {
  await open(browser, 'witness', 1280);
  for (const [who, index] of [['agent', 2], ['supervisor', 3], ['witness', 4]]) {
    const page = pages[who];
    await homeShows(page, TITLE, `/tenders/${tender}/custodian`, 'its custodian key to register');
    await go(page, `/tenders/${tender}/custodian`, 'the custodian page');
    step = `${who}: registering custodian key ${index}`;
    const row = page.locator(`#custodians-body tr[data-index="${index}"]`);
    if ((await row.getAttribute('data-mine')) !== 'true') throw new Error(`custodian ${index} is not marked as ${who}'s`);
    await row.locator('button[data-action="generate"]').click();
    await page.waitForSelector('#custodian-status.alert.success, #custodian-status.alert.error', { timeout: 60_000 });
    if (await page.locator('#custodian-status.alert.error').count()) throw new Error(`refused: ${await page.textContent('#custodian-status')}`);
    await row.locator('[data-cell="registered"][data-registered="yes"]').waitFor();
    await look(page, 'the custodian page', [['code', 'key fingerprints']]);
  }
}

async function bid(browser, tender) {
  const [first] = BIDDERS;
  const t1 = await open(browser, first[0], PHONE);
  step = `${t1.who}: no documents to obtain before the sale opens`;
  await go(t1, `/tenders/${tender}`, 'the tender page');
  if (await t1.locator('#obtain').count()) throw new Error('the tender page offers the documents before the sale opens');
  await look(t1, 'the tender before the sale', [['code', 'reference numbers']]);
  const from = Date.parse(await t1.getAttribute('#docs-from', 'datetime'));
  await clockTo(from, 'the opening of the sale');

  for (const [login, price] of BIDDERS) {
    const page = pages[login] ?? await open(browser, login, 1280);
    step = `${login}: obtaining the documents`;
    await go(page, `/tenders/${tender}`, 'the tender page');
    await page.click('#obtain');
    await page.waitForFunction(() => document.getElementById('obtain-result')?.textContent.trim() !== '');
    await look(page, 'the tender page after obtaining', [['code', 'reference numbers']]);
    await homeShows(page, TITLE, `/tenders/${tender}/bid`, 'its bid to seal');
    await go(page, `/tenders/${tender}`, 'the tender page');
    step = `${login}: asking for its bond sub-account`;
    await follow(page, '#bond-link', `${BASE}/tenders/${tender}/bond`);
    await Promise.all([page.waitForNavigation(), page.click('#get-sub-account')]);
    await look(page, 'its bond page', [['code', 'account numbers']]);
    await payAtTheBank(page, '20000', 'its bid bond');
    await bondShows(page, tender, 'bid', 'received');
    await look(page, 'its bond page with the bond received', [['code', 'account numbers and transaction ids']]);

    step = `${login}: sealing its bid`;
    await go(page, `/tenders/${tender}`, 'the tender page');
    await follow(page, '#bid-link', `${BASE}/tenders/${tender}/bid`);
    await page.fill('#price', price);
    await page.fill('#duration_days', '240');
    await page.fill('#quality', '合格');
    await page.setInputFiles('#attachments', [{ name: '技术标.txt', mimeType: 'text/plain', buffer: Buffer.from(`${login} 的施工组织设计`) }]);
    await page.click('#seal-submit');
    await page.waitForSelector('#bid-status.alert.success, #bid-status.alert.error', { timeout: 60_000 });
    if (await page.locator('#bid-status.alert.error').count()) throw new Error(`refused: ${await page.textContent('#bid-status')}`);
    await page.locator('#my-bids-body tr[data-state="submitted"]').first().waitFor();
    await look(page, 'the bid page with its receipt', [['code', 'hashes'], ['#receipt-text', 'the receipt as signed'], ['.hash', 'hashes']]);
    log(`${login} bid ${price}`);
  }
}

async function act(page, selector, what) {
  step = `${page.who}: ${what}`;
  await page.evaluate(() => { document.getElementById('op-status').className = ''; });
  await page.click(selector);
  await page.waitForSelector('#op-status.alert.success, #op-status.alert.error');
  if (await page.locator('#op-status.alert.error').count()) throw new Error(`${what} was refused: ${await page.textContent('#op-status')}`);
}

async function opening(browser, tender) {
  const { agent: host, supervisor, tenderer1: t1, tenderer2: t2 } = pages;
  await go(t1, `/tenders/${tender}`, 'the tender page');
  const deadline = Date.parse(await t1.getAttribute('#bid-deadline', 'datetime'));
  await clockTo(deadline - 30 * MINUTE, 'the lobby');
  if (await hallNow() >= deadline) throw new Error('the clock passed the deadline before the lobby');
  const pub = await open(browser, 'public', PHONE, null);
  for (const p of [host, supervisor, t1, pub]) {
    await go(p, `/tenders/${tender}/opening`, 'the opening hall');
    await p.waitForSelector('#op-conn[data-state="open"]');
    await p.waitForSelector('#op-phase[data-phase="lobby"]');
  }
  for (const p of [host, supervisor, t1]) {
    await act(p, '#op-signin', 'signing in to the opening');
    await p.waitForSelector('#op-signed-in:not([hidden])');
  }
  await look(t1, 'the lobby');
  await look(pub, 'the lobby as the public sees it');

  await clockTo(deadline, 'the bid deadline');
  step = 'everyone: the box closes with three bids';
  for (const p of [host, pub]) {
    await p.waitForFunction(() => ['decrypting', 'announcing', 'announced'].includes(document.getElementById('op-phase').dataset.phase));
    await p.waitForFunction(() => document.querySelectorAll('#op-lines tr').length === 3);
  }
  for (const who of ['agent', 'supervisor', 'witness']) {
    const page = pages[who];
    await homeShows(page, TITLE, `/tenders/${tender}/custodian`, 'its share to release');
    await go(page, `/tenders/${tender}/custodian`, 'the custodian page');
    step = `${who}: releasing its share`;
    await page.click('#release');
    await page.waitForSelector('#release-status.alert.success, #release-status.alert.warn, #release-status.alert.error', { timeout: 60_000 });
    if (!(await page.locator('#release-status.alert.success').count())) throw new Error(`release: ${await page.textContent('#release-status')}`);
    await look(page, 'the custodian page after releasing', [['code', 'key fingerprints']]);
    await go(page, `/tenders/${tender}/opening`, 'the opening hall');
  }
  step = 'everyone: every bid is announced';
  for (const p of [host, supervisor, t1, pub]) {
    if (p !== pub && p !== t1) await p.waitForSelector('#op-conn[data-state="open"]');
    await p.waitForSelector('#op-phase[data-phase="announced"]');
    await p.waitForFunction(() => document.querySelectorAll('#op-lines tr[data-status="opened"]').length === 3);
  }
  await look(pub, 'the announced bids');

  step = 'host: opening the confirmation window';
  await host.fill('#op-minutes', '30');
  await act(host, '#op-open-window', 'opening the confirmation window');
  await t1.waitForSelector('#op-phase[data-phase="confirming"]');
  step = 'tenderer1: confirming its line';
  await t1.locator('#op-lines tr.mine button[data-action="confirm"]').click();
  await t1.waitForSelector('#op-lines tr.mine [data-cell="confirmed"][data-confirmed="yes"]');
  step = 'tenderer2: objecting to a line';
  await go(t2, `/tenders/${tender}/opening`, 'the opening hall');
  await t2.waitForSelector('#op-phase[data-phase="confirming"]');
  await t2.selectOption('#op-objection-line', '2');
  await t2.fill('#op-objection-text', OBJECTION);
  await act(t2, '#op-object', 'raising an objection');
  step = 'public: told an objection was raised, never that there is none';
  await pub.reload();
  await pub.waitForSelector('#op-objections-withheld:not([hidden])');
  if (await pub.isVisible('#op-objections-empty')) throw new Error('the public is told there are no objections');
  step = 'host: answering the objection';
  const item = host.locator('#op-objections li[data-answered="no"]');
  await item.locator('textarea').fill(ANSWER);
  await item.locator('button[data-action="answer"]').click();
  await host.waitForSelector('#op-objections li[data-answered="yes"]');
  await look(host, 'the opening with the objection answered');

  await clockTo((await hallNow()) + 60 * MINUTE, 'past the confirmation window');
  await act(host, '#op-conclude', 'concluding');
  for (const p of [host, pub]) {
    step = `${p.who}: the signed record`;
    await p.waitForSelector('#op-phase[data-phase="concluded"]');
    await p.waitForSelector('#op-concluded:not([hidden])');
    await p.waitForFunction((o) => [...document.querySelectorAll('#op-objections li')].some((li) => li.textContent.includes(o)), OBJECTION);
    if (await p.isVisible('#op-objections-empty')) throw new Error(`${p.who} is told there are no objections`);
  }
  await look(pub, 'the concluded opening', [['.hash', 'the record hash']]);
  step = 'public: the printable record';
  await follow(pub, '#op-report-link', `${BASE}/tenders/${tender}/opening/report`);
  if (!(await pub.textContent('#rec-objections')).includes(OBJECTION)) throw new Error('the record lacks the objection');
  await look(pub, 'the opening record', [['code', 'hashes and the signed note\'s constant'], ['#rec-signature', 'the signature as signed'], ['pre', 'the record as signed']]);
}

async function evaluation(browser, tender) {
  const { agent, platform, supervisor } = pages;
  await homeShows(agent, TITLE, `/workspace/tenders/${tender}`, 'the expert draw to request');
  await go(agent, `/workspace/tenders/${tender}#expert-draw`, 'the workspace\'s expert draw');
  step = 'agent: requesting the expert draw';
  for (const c of ['A01', 'A02', 'A03', 'D05']) await agent.check(`#expert-draw-form input[name="specialty"][value="${c}"]`);
  await agent.fill('#expert_reserves', '1');
  await look(agent, 'the expert draw form', [['code', 'specialty codes and reference numbers']]);
  await Promise.all([agent.waitForURL(/\/draws\/[^/]+$/), agent.click('#expert-draw-submit')]).catch(async (e) => {
    throw new Error(`${e.message}; the form says: ${await agent.textContent('#expert-draw-form-error')}`);
  });
  const drawn = await runDraw(agent.url(), [agent, platform, supervisor], agent);
  log(`expert draw: ${drawn.length} selected`);

  step = 'agent: forming the committee';
  await homeShows(agent, TITLE, `/tenders/${tender}/award`, 'the committee to form');
  await go(agent, `/tenders/${tender}/award`, 'the award desk');
  await agent.waitForSelector('#desk-committee button[type="submit"]');
  await agent.click('#desk-committee button[type="submit"]');
  await agent.waitForSelector('#desk-codes');
  const codes = await agent.$$eval('#desk-codes tbody tr td:last-child code', (cs) => cs.map((c) => c.textContent.trim()));
  if (codes.length < 5) throw new Error(`the desk hands ${codes.length} codes`);
  if ((await agent.textContent('.tender-reference')).trim() !== REFERENCE) throw new Error('the award desk does not name the tender\'s reference number');
  await look(agent, 'the award desk with the codes', [['code', 'one-time codes']]);

  const members = [];
  for (const [i, code] of codes.entries()) {
    const member = await open(browser, `member${i + 1}`, i === 0 ? PHONE : 1280, null);
    step = `member ${i + 1}: signing in to the evaluation room`;
    await go(member, '/evaluation', 'the evaluation room');
    await member.fill('#eval-code', code);
    await member.click('#eval-signin-submit');
    await member.waitForSelector('#eval-room:not([hidden])');
    await member.click('#eval-no-conflict');
    await member.waitForSelector('#eval-marks form.eval-bid');
    const lines = await member.$$eval('#eval-marks form.eval-bid', (fs) => fs.map((f) => f.dataset.line));
    if (lines.length !== 3) throw new Error(`the room shows ${lines.length} bids`);
    if (!(await member.locator('#eval-price-computed').innerText()).includes(PRICE)) throw new Error('the room does not say the price is computed');
    for (const line of lines) {
      step = `member ${i + 1}: marking line ${line}`;
      const form = member.locator(`form.eval-bid[data-line="${line}"]`);
      // The same technical score for every bid: the price decides, so the lowest wins.
      await form.locator('input[name="s0"]').fill(String(80 + i));
      const label = await form.locator('button[type="submit"]').textContent();
      await Promise.all([
        member.waitForResponse((r) => r.url().endsWith('/evaluation/scores') && r.request().method() === 'POST'),
        form.locator('button[type="submit"]').click(),
      ]);
      await member.waitForFunction(([l, before]) => document.querySelector(`form.eval-bid[data-line="${l}"] button[type="submit"]`)?.textContent !== before, [line, label]);
    }
    await look(member, 'the evaluation room');
    members.push(member);
  }
  for (const [i, member] of members.entries()) {
    step = `member ${i + 1}: reading and signing the report`;
    await member.click('#eval-read-report');
    await member.waitForSelector('#eval-sign');
    const prices = await member.$$eval('#eval-report td.eval-price-score', (tds) => tds.map((td) => td.textContent));
    if (prices.length !== 3 || prices.filter((p) => p === '100.00').length !== 1) throw new Error(`the report's price scores are ${prices}`);
    await look(member, 'the report', [['#eval-report code', 'the report hash']]);
    await member.click('#eval-sign');
    await member.waitForSelector('#eval-signed');
  }
  step = 'agent: publicising the candidates';
  await go(agent, `/tenders/${tender}/award`, 'the award desk');
  await agent.waitForSelector('.award-lot[data-stage="evaluated"]');
  await agent.click('[id^="desk-publicise-"] button[type="submit"]');
  await agent.waitForSelector('.award-lot[data-stage="publicised"]');
  await look(agent, 'the award desk with the candidates');
}

async function award(browser, tender) {
  const owner = pages.owner;
  await go(owner, `/tenders/${tender}/award`, 'the award desk');
  step = 'owner: reading when the publicity ends';
  await owner.waitForSelector('.award-lot[data-stage="publicised"]');
  const until = await owner.evaluate(() => {
    const m = /(\d{4}-\d\d-\d\d) (\d\d:\d\d)/.exec(document.querySelector('.award-lot')?.innerText ?? '');
    return m ? `${m[1]}T${m[2]}:00+08:00` : null;
  });
  if (!until) throw new Error('the desk does not say when the publicity ends');
  await clockTo(Date.parse(until), 'the end of the publicity');
  await homeShows(owner, TITLE, `/tenders/${tender}/award`, 'the award notice to issue');
  await go(owner, `/tenders/${tender}/award`, 'the award desk');
  step = 'owner: issuing the award notice';
  await owner.waitForSelector('.award-lot[data-stage="publicised"]');
  await owner.click('[id^="desk-notice-"]');
  await owner.waitForSelector('.award-lot[data-stage="awarded"]');
  await look(owner, 'the award desk after the notice');

  for (const [login] of BIDDERS) {
    const page = pages[login];
    step = `${login}: its home says its result`;
    await go(page, '/home', 'its home');
    const result = page.locator(`article.home-tender[data-tender="${tender}"]`);
    await result.locator('.result-line').waitFor();
    await look(page, 'its home with its result', [['code', 'project codes']]);
    step = `${login}: reading its letter`;
    await follow(page, `article.home-tender[data-tender="${tender}"] a[href$="/award/letters"]`, `${BASE}/tenders/${tender}/award/letters`);
    const kinds = await page.$$eval('.letter', (ls) => ls.map((l) => l.dataset.kind));
    const want = login === BIDDERS[0][0] ? 'award_notice' : 'result_notice';
    if (kinds.join() !== want) throw new Error(`${login} has the letters ${kinds}, not ${want}`);
    if ((await page.textContent('.tender-reference')).trim() !== REFERENCE) throw new Error('the letters do not name the tender\'s reference number');
    await look(page, 'its letter', [['.letter-proof', 'the hash and signature']]);
  }

  const winner = pages[BIDDERS[0][0]];
  step = 'winner: its bond page shows the performance bond with its own due date';
  await homeShows(winner, TITLE, `/tenders/${tender}/bond`, 'the performance bond it owes');
  await go(winner, `/tenders/${tender}/bond`, 'its bond page');
  const due = await winner.$eval('#amounts li[data-bond="performance"]', (li) => li.innerText).catch(() => '');
  if (!due) throw new Error('the bond page does not show the performance bond');
  const deadline = await winner.$eval('#amounts li[data-bond="performance"] time', (t) => t.getAttribute('datetime'));
  const bidDeadline = await winner.$eval('#amounts li[data-bond="bid"] time', (t) => t.getAttribute('datetime')).catch(() => null);
  if (deadline === bidDeadline) throw new Error(`the performance bond is due at the bid deadline: ${due}`);
  const amount = (/[\d,]+\.\d\d/.exec(due) ?? [''])[0];
  await look(winner, 'its bond page with the performance bond', [['code', 'account numbers']]);
  await payAtTheBank(winner, amount, 'its performance bond');
  await bondShows(winner, tender, 'performance', 'received');

  step = 'owner: recording the contract';
  await go(owner, `/tenders/${tender}/award`, 'the award desk');
  await owner.waitForSelector('.award-lot[data-stage="awarded"]');
  await owner.setInputFiles('[id^="desk-contract-"] input[type="file"]', { name: '施工合同.pdf', mimeType: 'application/pdf', buffer: Buffer.from('签署的施工合同') });
  await owner.click('[id^="desk-contract-"] button[type="submit"]');
  await owner.waitForSelector('.award-lot[data-stage="contracted"]').catch(async (e) => {
    throw new Error(`${e.message}; the desk says: ${await owner.textContent('#desk-error')}`);
  });
  await look(owner, 'the award desk after the contract', [['.desk-contract-done', 'the contract document\'s hash']]);

  for (const [login] of BIDDERS.slice(1)) {
    const page = pages[login];
    step = `${login}: seeing its bid bond's refund`;
    await go(page, `/tenders/${tender}/bond`, 'its bond page');
    const refunds = await page.$$eval('table.refunds tbody tr[data-state]', (rs) => rs.map((r) => r.innerText));
    if (refunds.length !== 1) throw new Error(`the bond page shows the refunds ${JSON.stringify(refunds)}`);
    await look(page, 'its bond page with the refund', [['code', 'account numbers and instruction ids']]);
  }

  step = 'owner: recording the contract performed';
  await homeShows(owner, TITLE, `/tenders/${tender}/award`, 'the performance to record');
  await go(owner, `/tenders/${tender}/award`, 'the award desk');
  await owner.waitForSelector('.award-lot[data-stage="contracted"]');
  await owner.click('[id^="desk-performed-"]');
  await owner.waitForSelector('.award-lot[data-stage="completed"]');
  await look(owner, 'the award desk after the performance', [['.desk-contract-done', 'the contract document\'s hash']]);

  step = 'winner: its performance bond goes back once the contract is performed';
  await go(winner, `/tenders/${tender}/bond`, 'its bond page');
  const back = await winner.$$eval('table.refunds tbody tr[data-state]', (rs) => rs.length);
  if (back !== 2) throw new Error(`the winner's bond page shows ${back} refunds, not its bid bond's and its performance bond's`);
  await look(winner, 'its bond page with both refunds', [['code', 'account numbers and instruction ids']]);

  step = 'public: the board shows the tender completed';
  const pub = pages.public;
  await go(pub, `/?q=${encodeURIComponent(TITLE)}`, 'the board');
  const row = pub.locator('#notices li, #notices tr', { hasText: TITLE });
  await row.first().waitFor();
  const status = await row.first().locator('.badge').first().getAttribute('class');
  if (!status.includes('completed')) throw new Error(`the board shows ${status}`);
  await look(pub, 'the board');
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const started = Date.now();
try {
  const drawn = await agentDraw(browser);
  const tender = await draft(browser, drawn);
  await custodians(browser, tender);
  await bid(browser, tender);
  await opening(browser, tender);
  await evaluation(browser, tender);
  await award(browser, tender);
  step = 'the end';
  noErrors('the end');
  await pages.owner.screenshot({ path: SCREENSHOT, fullPage: true });
  log(`the whole life took ${Math.round((Date.now() - started) / 1000)} s`);
} catch (e) {
  console.error(`[life ${LANG}] FAILED while ${step}: ${e.stack || e.message}`);
  if (errors.length) console.error(`  and: ${errors.join('\n  ')}`);
  if (lastPage) await lastPage.screenshot({ path: SCREENSHOT, fullPage: true }).catch(() => {});
  await browser.close();
  process.exit(1);
}
await browser.close();
