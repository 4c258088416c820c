// After the opening, in Chromium: signed out and as a competing tenderer, the announced line of a
// version 2 bid checks out against its envelope in the browser, but its documents can be neither
// fetched (401, 403) nor decrypted from the public envelope with the published key; a committee
// member, signed in with its one-time code in the evaluation room, reads them on the same page.
//
//   BIDHALL_URL=… BIDHALL_TENDER=… BIDHALL_BID=… BIDHALL_MEMBER_CODE=… BIDHALL_SCREENSHOT=documents.png \
//     node web/test/browser/documents.mjs
//
// The Rust test that starts it (tests/hall/bids.rs) has concluded the opening and formed the
// committee. Exits 0 on success; on failure prints the step, saves the screenshot and exits 1.

import { chromium } from 'playwright-core';

const BASE = (process.env.BIDHALL_URL || 'http://127.0.0.1:18084').replace(/\/$/, '');
const TENDER = process.env.BIDHALL_TENDER;
const BID = process.env.BIDHALL_BID;
const CODE = process.env.BIDHALL_MEMBER_CODE;
const SCREENSHOT = process.env.BIDHALL_SCREENSHOT || 'bidhall-documents.png';
const PASSWORD = process.env.BIDHALL_PASSWORD || 'bidhall-demo-2026';
const TIMEOUT = 20_000;

let step = 'starting';
let lastPage = null;
const log = (m) => console.log(`[documents] ${m}`);

async function newPage(browser, login) {
  const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (e) => log(`${login ?? 'public'}: page error: ${e.message}`));
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

/** What anyone outside the entitled can try: the API, and decrypting the public envelope. */
async function cannotObtain(page, who, wantStatus, wantState) {
  step = `${who}: the page`;
  await page.goto(`${BASE}/tenders/${TENDER}/documents`);
  const row = `tr[data-bid="${BID}"]`;
  await page.waitForSelector(row);
  step = `${who}: checking the announced line in the browser`;
  await page.click(`${row} button[data-action="verify"]`);
  await page.waitForSelector(`[data-verify="${BID}"][data-state="verified"]`);
  step = `${who}: asking for the documents`;
  await page.click(`${row} button[data-action="read"]`);
  await page.waitForSelector(`[data-documents="${BID}"][data-state="${wantState}"]`);
  if (await page.locator(`[data-documents="${BID}"] a[download]`).count()) throw new Error(`${who} got a document link`);
  step = `${who}: the API and the public envelope`;
  const tried = await page.evaluate(async ({ tender, bid }) => {
    const sb = await import('/static/js/sealbox.js');
    const api = `/api/tenders/${tender}/opening`;
    const docs = await fetch(`${api}/documents/${bid}`, { credentials: 'same-origin' });
    const record = await (await fetch(`${api}/record`)).json();
    const line = record.find((l) => l.bid_id === bid);
    const envelope = new Uint8Array(await (await fetch(`${api}/envelopes/${bid}`)).arrayBuffer());
    const { header, body } = await sb.readHeader(envelope);
    const key = sb.fromHex(line.announced_key);
    const announced = new TextDecoder().decode(await sb.openAnnounced(header, key, body));
    let documents = 'decrypted';
    try {
      // The only key the public has, used as the content key: refused before any plaintext.
      await sb.openDocuments(header, new sb.ContentKey(key.slice()), body, () => { documents = 'leaked'; });
    } catch (e) {
      if (documents === 'decrypted') documents = e.code;
    }
    // And as the documents key itself: the segment does not authenticate.
    const rest = envelope.subarray(header.headerLength + header.announcedSegmentLength);
    const aes = await crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['decrypt']);
    const iv = new Uint8Array(12);
    iv[11] = rest.length <= 65536 + 16 ? 1 : 0;
    let raw = 'decrypted';
    try {
      await crypto.subtle.decrypt({ name: 'AES-GCM', iv, tagLength: 128 }, aes, rest.subarray(0, Math.min(rest.length, 65536 + 16)));
    } catch {
      raw = 'refused';
    }
    const shares = JSON.stringify(record).includes('"shares"');
    return { status: docs.status, announced, documents, raw, shares, text: new TextDecoder().decode(envelope) };
  }, { tender: TENDER, bid: BID });
  if (tried.status !== wantStatus) throw new Error(`${who}: the documents route answered ${tried.status}, not ${wantStatus}`);
  if (!tried.announced.includes('price_fen')) throw new Error(`${who}: the announced segment did not open`);
  if (tried.documents !== 'key_does_not_match_header') throw new Error(`${who}: documents with the announced key: ${tried.documents}`);
  if (tried.raw !== 'refused') throw new Error(`${who}: the announced key decrypted the documents segment`);
  if (tried.shares) throw new Error(`${who}: the record publishes shares`);
  if (tried.text.includes('confidential method statement')) throw new Error('the envelope holds the documents in the clear');
  log(`${who}: documents ${wantStatus}, announced line verified, documents undecryptable`);
}

let browser;
try {
  if (!TENDER || !BID || !CODE) throw new Error('BIDHALL_TENDER, BIDHALL_BID and BIDHALL_MEMBER_CODE are required');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  await cannotObtain(await newPage(browser), 'the public', 401, 'sign-in');
  await cannotObtain(await newPage(browser, 'tenderer2'), 'a competing tenderer', 403, 'refused');

  step = 'a committee member signs in with its code';
  const member = await newPage(browser);
  await member.goto(`${BASE}/evaluation`);
  await member.fill('#eval-code', CODE);
  await member.click('#eval-signin-submit');
  await member.waitForSelector('#eval-room:not([hidden])');
  step = 'the member reads the documents';
  await member.goto(`${BASE}/tenders/${TENDER}/documents`);
  await member.click(`tr[data-bid="${BID}"] button[data-action="read"]`);
  const link = member.locator(`[data-documents="${BID}"][data-state="read"] a[download]`);
  await link.first().waitFor();
  if ((await link.first().textContent()) !== 'attachments/technical.pdf') throw new Error('the member sees another file');
  const content = await member.evaluate(async (href) => (await (await fetch(href)).text()), await link.first().getAttribute('href'));
  if (!content.includes('confidential method statement')) throw new Error('the member did not get the proposal');
  await member.click(`tr[data-bid="${BID}"] button[data-action="verify"]`);
  await member.waitForSelector(`[data-verify="${BID}"][data-state="verified"]`);
  await member.screenshot({ path: SCREENSHOT, fullPage: true });
  log('a committee member read the technical proposal');
  await browser.close();
  process.exit(0);
} catch (e) {
  console.error(`[documents] FAILED at ${step}: ${e.stack || e}`);
  if (lastPage) await lastPage.screenshot({ path: SCREENSHOT, fullPage: true }).catch(() => {});
  if (browser) await browser.close().catch(() => {});
  process.exit(1);
}
