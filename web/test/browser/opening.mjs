// The live opening in Chromium, end to end: the supervisor, the host (the agent) and a tenderer each
// in their own browser context, plus an anonymous member of the public, watch one opening on
// /tenders/{id}/opening. The Rust test that starts this script owns the hall's clock and the other
// custodians: when the script needs the clock to reach the deadline, the custodians to release or
// the confirmation window to end, it prints `@@ <step>` and waits for `ok` on stdin. Nothing here
// sleeps to reach a time.
//
//   BIDHALL_URL=… BIDHALL_TENDER=… BIDHALL_SCREENSHOT=opening.png node web/test/browser/opening.mjs
//   (BIDHALL_SCREENSHOT_REPORT=report.png also saves the printable record)
//
// Exits 0 on success; on any failure prints the failed step, still saves the screenshot, exits 1.

import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';
import { assertSpeaksChinese } from './zh.mjs';

const BASE = (process.env.BIDHALL_URL || 'http://127.0.0.1:18082').replace(/\/$/, '');
const TENDER = process.env.BIDHALL_TENDER;
const SCREENSHOT = process.env.BIDHALL_SCREENSHOT || 'bidhall-opening.png';
const PASSWORD = process.env.BIDHALL_PASSWORD || 'bidhall-demo-2026';
const TIMEOUT = 20_000;
const OBJECTION = '第1行报价<img src=x onerror="window.__pwned=1">读错了？';

let step = 'starting';
let lastPage = null;

function log(message) {
  console.log(`[opening] ${message}`);
}

const stdin = createInterface({ input: process.stdin });
const replies = [];
const waiting = [];
stdin.on('line', (line) => {
  const w = waiting.shift();
  if (w) w(line);
  else replies.push(line);
});

/** Asks the Rust side to make `what` happen (the clock, the custodians) and waits until it has. */
async function ask(what) {
  step = `waiting for the hall: ${what}`;
  console.log(`@@ ${what}`);
  const line = replies.length ? replies.shift() : await new Promise((resolve) => waiting.push(resolve));
  if (!line.startsWith('ok')) throw new Error(`the hall could not ${what}: ${line}`);
  log(`hall: ${what} done`);
}

async function newPage(browser, login) {
  const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  lastPage = page;
  const who = login ?? 'public';
  page.on('pageerror', (e) => log(`${who}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') log(`${who}: console error: ${m.text()}`);
  });
  page.who = who;
  if (login) {
    step = `signing in as ${login}`;
    await page.goto(`${BASE}/signin`);
    await page.fill('#login', login);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/signin')), page.click('#signin-submit')]);
  }
  return page;
}

async function openHall(page) {
  step = `${page.who}: opening the hall`;
  await page.goto(`${BASE}/tenders/${TENDER}/opening`);
  await page.waitForSelector('#op-conn[data-state="open"]');
}

async function waitPhase(page, phase) {
  step = `${page.who}: waiting for the phase ${phase}`;
  await page.waitForSelector(`#op-phase[data-phase="${phase}"]`);
}

async function everyPage(pages, what) {
  await Promise.all(pages.map(what));
}

/**
 * The page's running record shows each event it may see exactly once, in order, and exactly the
 * events the API lists for the same viewer.
 */
async function checkEventLog(page) {
  step = `${page.who}: checking the event log against the API`;
  const shown = await page.$$eval('#op-events li', (items) => items.map((li) => Number(li.dataset.seq)));
  const api = await page.evaluate(async (tender) => {
    const r = await fetch(`/api/tenders/${tender}/opening/events?after=0`, { credentials: 'same-origin' });
    return (await r.json()).events.map((e) => e.seq);
  }, TENDER);
  if (new Set(shown).size !== shown.length) throw new Error(`${page.who}: an event shows twice: ${shown}`);
  for (let i = 1; i < shown.length; i++) if (shown[i] <= shown[i - 1]) throw new Error(`${page.who}: events out of order: ${shown}`);
  if (shown.join(',') !== api.join(',')) throw new Error(`${page.who}: the page shows ${shown}, the API lists ${api}`);
  return shown;
}

async function act(page, selector, what) {
  step = `${page.who}: ${what}`;
  await page.evaluate(() => { document.getElementById('op-status').className = ''; });
  await page.click(selector);
  await page.waitForSelector('#op-status.alert.success, #op-status.alert.error');
  const text = (await page.textContent('#op-status')).trim();
  if (await page.locator('#op-status.alert.error').count()) throw new Error(`${what} was refused: ${text}`);
}

async function main() {
  if (!TENDER) throw new Error('BIDHALL_TENDER is not set');
  step = 'starting Chromium';
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  let failed = null;
  let host = null;
  try {
    const supervisor = await newPage(browser, 'supervisor');
    host = await newPage(browser, 'agent');
    const tenderer = await newPage(browser, 'tenderer1');
    const pub = await newPage(browser, null);
    const all = [supervisor, host, tenderer, pub];

    step = 'tenderer1: the tender page links to the hall';
    await tenderer.goto(`${BASE}/tenders/${TENDER}`);
    await Promise.all([tenderer.waitForURL(`${BASE}/tenders/${TENDER}/opening`), tenderer.click('#opening-link')]);
    await tenderer.waitForSelector('#op-conn[data-state="open"]');
    // The public's socket goes through a route, so the test can drop it mid-opening and see what
    // the page asks for when it reconnects.
    const sockets = [];
    await pub.routeWebSocket(/\/opening\/ws/, (ws) => {
      const server = ws.connectToServer();
      sockets.push({ ws, server, after: Number(new URL(ws.url()).searchParams.get('after')) });
    });
    for (const p of [supervisor, host, pub]) await openHall(p);
    await everyPage(all, (p) => waitPhase(p, 'lobby'));

    step = 'checking who may do what';
    if (!(await host.isVisible('#op-host')) || (await host.isVisible('#op-supervisor'))) throw new Error('the host does not see (only) the host controls');
    if (!(await supervisor.isVisible('#op-supervisor')) || (await supervisor.isVisible('#op-host'))) throw new Error('the supervisor does not see (only) its controls');
    if (!(await tenderer.isVisible('#op-tenderer')) || (await tenderer.isVisible('#op-host'))) throw new Error('the tenderer does not see (only) its controls');
    if (await pub.isVisible('#op-mine')) throw new Error('the public sees controls');
    if (!(await host.isVisible('#op-custodian-link')) || !(await supervisor.isVisible('#op-custodian-link'))) throw new Error('a custodian has no link to the custodian page');
    if (await tenderer.isVisible('#op-custodian-link')) throw new Error('a tenderer is offered the custodian page');

    for (const p of [supervisor, host, tenderer]) {
      await act(p, '#op-signin', 'signing in to the opening');
      await p.waitForSelector('#op-signed-in:not([hidden])');
    }
    step = 'everyone sees the host and the supervisor signed in';
    await everyPage(all, (p) => p.waitForSelector('#op-participants li[data-role="supervisor"]').then(() => p.waitForSelector('#op-participants li[data-role="host"]')));
    // A tenderer's sign-in before the deadline says that it bid (法22): itself alone sees it.
    await tenderer.waitForSelector('#op-participants li[data-role="tenderer"]');
    for (const p of [pub, host, supervisor]) {
      if (await p.locator('#op-participants li[data-role="tenderer"]').count()) throw new Error(`${p.who} sees a tenderer sign in before the box closes`);
    }

    await ask('deadline');
    step = 'the host and the supervisor are told who signed in when the box closes';
    await supervisor.waitForSelector('#op-participants li[data-role="tenderer"]');
    await host.waitForSelector('#op-participants li[data-role="tenderer"]');
    if (await pub.locator('#op-participants li[data-role="tenderer"]').count()) throw new Error('the public sees a tenderer sign in');
    await everyPage(all, async (p) => {
      step = `${p.who}: the box closes and three bids are listed by commitment`;
      await p.waitForFunction(() => ['decrypting', 'announcing', 'announced'].includes(document.getElementById('op-phase').dataset.phase));
      await p.waitForFunction(() => document.querySelectorAll('#op-lines tr').length === 3);
    });
    if ((await pub.textContent('#op-count')).trim() !== '3') throw new Error('the count is not 3');
    await pub.waitForSelector('#op-custodians li[data-index="1"][data-released="yes"]');

    await ask('release');
    await everyPage(all, async (p) => {
      step = `${p.who}: every bid is announced live`;
      await waitPhase(p, 'announced');
      await p.waitForFunction(() => document.querySelectorAll('#op-lines tr[data-status="opened"]').length === 2
        && document.querySelectorAll('#op-lines tr[data-status="failed"]').length === 1);
    });
    step = 'the public\'s connection drops and comes back by itself';
    const shownBefore = Number(await pub.evaluate(() => document.body.dataset.lastSeq));
    const dropped = sockets.length;
    sockets.at(-1).ws.close({ code: 4000, reason: 'dropped by the test' });
    sockets.at(-1).server.close();
    for (const until = Date.now() + TIMEOUT; sockets.length === dropped;) {
      if (Date.now() > until) throw new Error('the page did not reconnect');
      await pub.waitForTimeout(50);
    }
    await pub.waitForFunction(() => document.getElementById('op-conn').dataset.state === 'open');
    if (sockets.length !== dropped + 1) throw new Error(`expected one reconnect, saw ${sockets.length - dropped}`);
    if (sockets.at(-1).after !== shownBefore) throw new Error(`the page reconnected after=${sockets.at(-1).after}, having shown ${shownBefore}`);
    log(`public: reconnected with after=${shownBefore}`);
    await checkEventLog(pub);

    step = 'checking the announced table';
    const first = (await pub.textContent('#op-lines tr[data-n="1"] [data-cell="price"]')).trim();
    if (!/^¥[\d,]+\.\d\d$/.test(first)) throw new Error(`the price is not in yuan: ${first}`);
    const bond = await pub.getAttribute('#op-lines tr[data-n="1"] [data-cell="bond"]', 'data-bond');
    if (!['received', 'missing', 'not_required'].includes(bond)) throw new Error(`no bond mark: ${bond}`);
    const failedLine = (await pub.textContent('#op-lines tr[data-status="failed"] [data-cell="quality"]')).trim();
    if (!failedLine.includes('无法开启') || !failedLine.includes('责任方')) throw new Error(`the failed bid shows no reason or fault: ${failedLine}`);
    log(`public: the unreadable bid reads: ${failedLine}`);
    const mine = await tenderer.locator('#op-lines tr.mine').count();
    if (mine !== 1) throw new Error(`the tenderer's own line is marked ${mine} times`);

    step = 'the supervisor suspends the opening';
    await supervisor.fill('#op-reason', '视频连线中断');
    await act(supervisor, '#op-suspend', 'suspending');
    await everyPage(all, async (p) => {
      await p.waitForSelector('#op-suspended:not([hidden])');
      if (!(await p.textContent('#op-suspended-reason')).includes('视频连线中断')) throw new Error(`${p.who}: the banner has no reason`);
    });
    if (!(await host.isDisabled('#op-open-window'))) throw new Error('the host may open the window while suspended');
    await supervisor.fill('#op-reason', '连线已恢复');
    await act(supervisor, '#op-resume', 'resuming');
    await everyPage(all, (p) => p.waitForSelector('#op-suspended', { state: 'hidden' }));

    step = 'the host opens the confirmation window';
    await host.fill('#op-minutes', '15');
    await act(host, '#op-open-window', 'opening the confirmation window');
    await everyPage(all, (p) => waitPhase(p, 'confirming'));

    step = 'tenderer1 reloads in the middle of the opening';
    await tenderer.reload();
    await tenderer.waitForSelector('#op-conn[data-state="open"]');
    await waitPhase(tenderer, 'confirming');
    const before = await checkEventLog(tenderer);
    log(`tenderer1 after reload shows events ${before.join(',')}`);

    step = 'tenderer1 confirms its line';
    const button = tenderer.locator('#op-lines tr.mine button[data-action="confirm"]');
    await button.click();
    await tenderer.waitForSelector('#op-lines tr.mine [data-cell="confirmed"][data-confirmed="yes"]');
    await host.waitForSelector('#op-lines [data-confirmed="yes"]');
    if (await pub.locator('#op-lines [data-confirmed="yes"]').count()) throw new Error('the public sees a confirmation');

    step = 'tenderer1 raises an objection';
    await tenderer.selectOption('#op-objection-line', '1');
    await tenderer.fill('#op-objection-text', OBJECTION);
    await act(tenderer, '#op-object', 'raising an objection');
    for (const p of [tenderer, host, supervisor]) {
      step = `${p.who}: the objection shows as text`;
      const item = p.locator('#op-objections li[data-answered="no"]');
      await item.waitFor();
      const text = (await item.locator('[data-part="text"]').textContent()).trim();
      if (text !== OBJECTION) throw new Error(`${p.who}: the objection reads ${text}`);
      if (await p.locator('#op-objections img').count()) throw new Error(`${p.who}: the objection's markup became an element`);
    }
    if (await pub.locator('#op-objections li').count()) throw new Error('the public sees a tenderer\'s objection');

    step = 'the public is told an objection was raised, never that there is none';
    await pub.reload();
    await pub.waitForSelector('#op-objections-withheld:not([hidden])');
    if (!(await pub.textContent('#op-objections-withheld')).includes('1')) throw new Error(`the public is told: ${await pub.textContent('#op-objections-withheld')}`);
    if (await pub.isVisible('#op-objections-empty')) throw new Error('the public is told there are no objections');
    if (await pub.locator('#op-objections li').count()) throw new Error('the public sees a tenderer\'s objection after reloading');

    step = 'the host cannot conclude with an objection unanswered';
    await host.evaluate(() => { document.getElementById('op-status').className = ''; });
    await host.click('#op-conclude');
    await host.waitForSelector('#op-status.alert.error');
    log(`host: concluding early refused: ${(await host.textContent('#op-status')).trim()}`);

    step = 'the host answers the objection';
    const hostItem = host.locator('#op-objections li[data-answered="no"]');
    await hostItem.locator('textarea').fill('经核对，第1行报价宣读无误。');
    await hostItem.locator('button[data-action="answer"]').click();
    await everyPage([tenderer, host, supervisor], (p) => p.waitForSelector('#op-objections li[data-answered="yes"]'));

    await ask('window_end');
    await act(host, '#op-conclude', 'concluding');
    await everyPage(all, async (p) => {
      step = `${p.who}: the conclusion shows`;
      await waitPhase(p, 'concluded');
      await p.waitForSelector('#op-concluded:not([hidden])');
      const sha = (await p.textContent('#op-record-sha')).trim();
      if (!/^[0-9a-f]{64}$/.test(sha)) throw new Error(`${p.who}: record sha ${sha}`);
    });
    step = 'public: the concluded hall shows the objection and its answer, as the signed record does';
    await pub.waitForFunction((o) => [...document.querySelectorAll('#op-objections li')].some((li) => li.textContent.includes(o)), OBJECTION);
    if (await pub.isVisible('#op-objections-withheld')) throw new Error('the public is still told objections are withheld');
    // A failed bid's reason is the envelope's own English (its words are still to come).
    const notYet = [['#op-lines [data-cell="quality"] .alert-text', 'a failed bid\'s reason'], ['#op-events [data-kind="bid_announced"] .detail', 'the same reason in the running record']];
    for (const p of all) await assertSpeaksChinese(p, `${p.who}'s concluded opening hall`, notYet);
    const shas = await Promise.all(all.map((p) => p.textContent('#op-record-sha')));
    if (new Set(shas).size !== 1) throw new Error(`the pages disagree on the record: ${shas}`);
    for (const p of all) await checkEventLog(p);
    if (await tenderer.evaluate(() => window.__pwned)) throw new Error('an objection ran script');

    step = 'the host screenshot';
    await host.screenshot({ path: SCREENSHOT, fullPage: true });
    log(`screenshot saved to ${SCREENSHOT}`);

    step = 'the public opens the printable record';
    await Promise.all([pub.waitForURL(`${BASE}/tenders/${TENDER}/opening/report`), pub.click('#op-report-link')]);
    const recordSha = (await pub.textContent('#rec-sha256')).trim();
    if (recordSha !== shas[0].trim()) throw new Error(`the record page shows ${recordSha}`);
    const signature = await pub.textContent('#rec-signature');
    if (!signature.includes('bidhall opening record') || !signature.includes(recordSha)) throw new Error(`unexpected signature: ${signature}`);
    if ((await pub.locator('#rec-lines tbody tr').count()) !== 3) throw new Error('the record does not list three lines');
    if (!(await pub.textContent('#rec-objections')).includes(OBJECTION)) throw new Error('the record lacks the objection');
    await pub.emulateMedia({ media: 'print' });
    if (await pub.isVisible('.site-header')) throw new Error('the print stylesheet keeps the site header');
    if (process.env.BIDHALL_SCREENSHOT_REPORT) {
      await pub.screenshot({ path: process.env.BIDHALL_SCREENSHOT_REPORT, fullPage: true });
      log(`record screenshot saved to ${process.env.BIDHALL_SCREENSHOT_REPORT}`);
    }
    lastPage = null;
  } catch (e) {
    failed = e;
  }
  const failedStep = step;
  if (failed && (lastPage || host)) {
    try {
      await (host ?? lastPage).screenshot({ path: SCREENSHOT, fullPage: true });
      log(`screenshot saved to ${SCREENSHOT}`);
    } catch (e) {
      log(`could not save the screenshot: ${e.message}`);
    }
  }
  await browser.close();
  stdin.close();
  if (failed) {
    console.error(`[opening] FAILED while ${failedStep}: ${failed.message}`);
    process.exit(1);
  }
  log('ok');
  process.exit(0);
}

main().catch((e) => {
  console.error(`[opening] FAILED while ${step}: ${e.message}`);
  process.exit(1);
});
