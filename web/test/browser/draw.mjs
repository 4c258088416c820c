// End-to-end: an owner announces an agent draw from the workspace form, then the owner, the platform
// and the supervisor (the witness) each commit and reveal from their own browser, with randomness made
// by WebCrypto in the page; the draw is conducted, its result shows, and the page re-runs the
// published transcript with draw.js and says it verifies. Uses the system Chromium.
//
// The hall's clock is moved by whoever runs the script, never by waiting: the script prints
// `@@advance <ms>` and waits for a line on stdin before it goes on. At the end it prints
// `@@draw <id>` so the runner can check the same transcript with its own verifier.
//
// Exits 0 on success; on any failure prints the failed step, still saves the screenshot, exits 1.

import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';
import { assertSpeaksChinese } from './zh.mjs';

const BASE = (process.env.BIDHALL_URL || 'http://127.0.0.1:18080').replace(/\/$/, '');
const SCREENSHOT = process.env.BIDHALL_SCREENSHOT || 'bidhall-draw.png';
const PASSWORD = process.env.BIDHALL_PASSWORD || 'bidhall-demo-2026';
const TIMEOUT = 15_000;
const MINUTE = 60_000;

let step = 'starting Chromium';

function log(message) {
  console.log(`[draw] ${message}`);
}

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

/** Asks the runner to move the hall's clock forward and waits until it has. */
async function advance(ms) {
  console.log(`@@advance ${ms}`);
  const { value, done } = await lines.next();
  if (done || value.trim() !== 'ok') throw new Error(`the runner did not move the clock: ${value}`);
}

async function signIn(page, login) {
  await page.goto(`${BASE}/signin`);
  await page.fill('#login', login);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/signin')), page.click('#signin-submit')]);
}

/** Waits for the draw page's status line to say the action was done; fails with its text if not. */
async function expectDone(page, who) {
  const status = page.locator('#draw-status');
  await status.waitFor({ state: 'visible', timeout: TIMEOUT });
  await page.waitForFunction(() => /\b(ok|error)\b/.test(document.getElementById('draw-status').className));
  const cls = await status.getAttribute('class');
  const text = (await status.textContent()).trim();
  if (!cls.includes('ok')) throw new Error(`${who}: ${text}`);
}

/** Waits until the parties table shows `n` ✓ in column `col` (1 committed, 2 revealed). */
async function expectMarks(page, col, n, what) {
  const count = (c) => [...document.querySelectorAll('#d-parties tr')].filter((r) => r.children[c].textContent === '✓').length;
  await page.waitForFunction(([c, want]) => {
    const rows = [...document.querySelectorAll('#d-parties tr')];
    return rows.filter((r) => r.children[c].textContent === '✓').length === want;
  }, [col, n], { timeout: TIMEOUT }).catch(async () => {
    throw new Error(`${await page.evaluate(count, col)} ${what} shown, not ${n}`);
  });
}

async function run(browser, pages) {
  const [owner, platform, supervisor] = pages;

  step = 'the owner signs in and opens the workspace';
  await signIn(owner, 'owner');
  await owner.goto(`${BASE}/workspace`);
  const form = owner.locator('#draw-form');
  await form.waitFor({ timeout: TIMEOUT });

  step = 'checking the default parties: the platform, the owner and the supervisor';
  const checked = await owner.$$eval('#draw-form input[name="party"]:checked', (els) => els.map((e) => e.dataset.role));
  if (checked.join(',') !== 'platform,owner,supervisor') throw new Error(`default parties: ${checked}`);

  step = 'announcing the agent draw from the form';
  await owner.selectOption('#draw_category', 'construction');
  await owner.fill('#draw_purpose', '浑南区第一中学教学楼改造工程 招标代理机构摇号（浏览器测试）');
  await owner.fill('#draw_select', '1');
  await owner.fill('#draw_reserves', '2');
  await Promise.all([owner.waitForURL(/\/draws\/[^/]+$/), owner.click('#draw-submit')]);
  const drawUrl = owner.url();
  const drawId = decodeURIComponent(drawUrl.split('/').pop());
  await owner.waitForFunction(() => document.getElementById('d-phase').dataset.phase === 'committing');
  // The phase is in the served page; the pool's hash comes with the script's first load.
  await owner.waitForFunction(() => /^[0-9a-f]{64}$/.test(document.getElementById('d-pool-hash').textContent), null, { timeout: 10_000 }).catch(() => {});
  const poolHash = await owner.textContent('#d-pool-hash');
  if (!/^[0-9a-f]{64}$/.test(poolHash)) throw new Error(`no pool hash shown: ${poolHash}`);
  const pool = await owner.$$eval('#d-pool li', (els) => els.length);
  log(`draw ${drawId} announced; pool of ${pool}, hash ${poolHash}`);
  step = 'the announced draw speaks Chinese, and the list of draws names it';
  await assertSpeaksChinese(owner, 'the draw page while committing');
  await owner.goto(`${BASE}/draws`);
  await owner.locator(`#draws a[href="/draws/${drawId}"]`).waitFor();
  await assertSpeaksChinese(owner, 'the list of draws');
  await owner.goto(drawUrl);
  await owner.waitForFunction(() => document.getElementById('d-phase').dataset.phase === 'committing');

  step = 'the platform and the supervisor sign in';
  await signIn(platform, 'platform');
  await signIn(supervisor, 'supervisor');

  for (const [who, page] of [['owner', owner], ['platform', platform], ['supervisor', supervisor]]) {
    step = `${who} commits from its own browser`;
    if (page !== owner) await page.goto(drawUrl);
    await page.locator('#d-commit').waitFor({ state: 'visible', timeout: TIMEOUT });
    await page.click('#d-commit');
    await expectDone(page, who);
    const secret = await page.inputValue('#d-secret');
    if (!/^[0-9a-f]{64}$/.test(secret)) throw new Error(`${who}: no 32-byte secret kept in the page: ${secret}`);
  }
  const secrets = await Promise.all(pages.map((p) => p.inputValue('#d-secret')));
  if (new Set(secrets).size !== 3) throw new Error('two browsers made the same randomness');
  step = 'the supervisor sees three commitments';
  await expectMarks(supervisor, 1, 3, 'commitments');
  const named = await supervisor.$$eval('#d-parties tr td:first-child', (tds) => tds.map((td) => td.textContent));
  if (!named.some((n) => n.includes('住房和城乡建设局') && n.includes('行政监督'))) throw new Error(`the witness is not named: ${named}`);
  log('three commitments in');

  step = 'moving the hall past the commit deadline';
  await advance(61 * MINUTE);
  for (const [who, page] of [['supervisor', supervisor], ['platform', platform], ['owner', owner]]) {
    step = `${who} reveals from its own browser`;
    await page.reload();
    await page.locator('#d-reveal').waitFor({ state: 'visible', timeout: TIMEOUT });
    await page.click('#d-reveal');
    await expectDone(page, who);
  }
  step = 'the owner sees three reveals';
  await expectMarks(owner, 2, 3, 'reveals');
  log('three reveals in');

  step = 'moving the hall past the reveal deadline and conducting the draw';
  await advance(61 * MINUTE);
  await owner.reload();
  await owner.waitForFunction(() => ['ready_to_conduct', 'completed'].includes(document.getElementById('d-phase').dataset.phase));
  // The hall also conducts a due draw by itself; whichever comes first, it runs once.
  if (await owner.isVisible('#d-conduct')) await owner.click('#d-conduct');
  await owner.waitForFunction(() => document.getElementById('d-phase').dataset.phase === 'completed', null, { timeout: TIMEOUT });
  await owner.locator('#d-result').waitFor({ state: 'visible', timeout: TIMEOUT });
  const selected = await owner.$$eval('#d-selected li', (els) => els.map((e) => e.textContent));
  const reserves = await owner.$$eval('#d-reserves li', (els) => els.map((e) => e.textContent));
  if (selected.length !== 1 || reserves.length !== 2) throw new Error(`result: ${selected} / ${reserves}`);
  log(`selected ${selected.join(', ')}; reserves ${reserves.join(', ')}`);
  await assertSpeaksChinese(owner, 'the completed draw');

  step = 'the supervisor re-runs the transcript in the browser';
  await supervisor.reload();
  await supervisor.locator('#d-verify').waitFor({ state: 'visible', timeout: TIMEOUT });
  await supervisor.click('#d-verify');
  await supervisor.waitForSelector('#d-verdict.alert.ok', { timeout: TIMEOUT }).catch(async (e) => {
    throw new Error(`verdict: ${await supervisor.textContent('#d-verdict')} (${e.message})`);
  });
  log(`verdict: ${(await supervisor.textContent('#d-verdict')).trim()}`);
  await assertSpeaksChinese(supervisor, 'the re-run draw');
  await owner.click('#d-verify');
  await owner.waitForSelector('#d-verdict.alert.ok', { timeout: TIMEOUT });
  console.log(`@@draw ${drawId}`);
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
  const pages = [];
  for (const who of ['owner', 'platform', 'supervisor']) {
    // One context each: separate cookies and localStorage, as three organisations' own browsers.
    const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    page.on('pageerror', (e) => log(`${who} page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') log(`${who} console error: ${m.text()}`);
    });
    pages.push(page);
  }
  let failed = null;
  try {
    await run(browser, pages);
  } catch (e) {
    failed = e;
  }
  step = failed ? step : 'taking the screenshot';
  try {
    await pages[0].screenshot({ path: SCREENSHOT, fullPage: true });
    log(`screenshot saved to ${SCREENSHOT}`);
  } catch (e) {
    log(`could not save the screenshot: ${e.message}`);
    failed ??= e;
  }
  await browser.close();
  if (failed) {
    console.error(`[draw] FAILED while ${step}: ${failed.message}`);
    process.exit(1);
  }
  log('ok');
  process.exit(0);
}

main().catch((e) => {
  console.error(`[draw] FAILED while ${step}: ${e.message}`);
  process.exit(1);
});
