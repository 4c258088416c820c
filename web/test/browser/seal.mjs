// End-to-end through the sealed bid box: the demo agent publishes a fresh tender through the API;
// in the browser the agent, the supervisor and the witness each register their custodian key on
// /tenders/{id}/custodian (each in its own browser context, so each key lives in its own
// IndexedDB); then tenderer1 seals a bid with an attachment on /tenders/{id}/bid and gets the
// hall's receipt, whose SHA-256 matches the page's own. The opening needs the deadline to pass,
// which a real clock does not allow here; the Rust tests cover it. Uses the system Chromium.
//
//   BIDHALL_URL=http://127.0.0.1:18082 BIDHALL_SCREENSHOT=seal.png node web/test/browser/seal.mjs
//   (BIDHALL_SCREENSHOT_CUSTODIAN=custodian.png also saves the agent's custodian page)
//
// Exits 0 on success; on any failure prints the failed step, still saves the screenshot, exits 1.

import { chromium } from 'playwright-core';
import * as sealbox from '../../static/js/sealbox.js';
import { leafHash, nodeHash, keyId, bytesToBase64 } from '../../static/js/app/auditlog.js';

const BASE = (process.env.BIDHALL_URL || 'http://127.0.0.1:18082').replace(/\/$/, '');
const SCREENSHOT = process.env.BIDHALL_SCREENSHOT || 'bidhall-seal.png';
const PASSWORD = process.env.BIDHALL_PASSWORD || 'bidhall-demo-2026';
const TIMEOUT = 20_000;
const DAY = 24 * 3600 * 1000;

let step = 'starting';
let lastPage = null;
let screenshotTaken = false;

function log(message) {
  console.log(`[seal] ${message}`);
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
    title: `浏览器密封投标测试 ${now.toString(36)}`,
    description: '浏览器端到端测试：密封投标箱。',
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
  step = 'drafting the tender';
  const draft = await call('POST', '/api/tenders', token, { project_id: project.id, spec });
  step = 'publishing the tender';
  await call('POST', `/api/tenders/${draft.id}/publish`, token, { version: draft.version });
  log(`published tender ${draft.id}`);
  return draft.id;
}

async function newPage(browser, login) {
  const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', viewport: { width: 1280, height: 900 }, acceptDownloads: true });
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

async function registerCustodian(browser, tender, login, index, { backup = false, keepOpen = false } = {}) {
  const page = await newPage(browser, login);
  step = `${login}: opening the custodian page`;
  await page.goto(`${BASE}/tenders/${tender}/custodian`);
  const row = page.locator(`#custodians-body tr[data-index="${index}"]`);
  if ((await row.getAttribute('data-mine')) !== 'true') throw new Error(`custodian ${index} is not marked as ${login}'s`);
  step = `${login}: generating custodian key ${index}`;
  const button = row.locator('button[data-action="generate"]');
  await button.waitFor();
  let download = null;
  if (backup) {
    await page.fill('#backup-passphrase', 'correct horse battery staple');
    [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), button.click()]);
  } else {
    await button.click();
  }
  step = `${login}: waiting for custodian key ${index} to be registered`;
  await page.waitForSelector('#custodian-status.alert.success, #custodian-status.alert.error', { timeout: 60_000 });
  const text = (await page.textContent('#custodian-status')).trim();
  if (await page.locator('#custodian-status.alert.error').count()) throw new Error(`registration refused: ${text}`);
  await row.locator('[data-cell="registered"][data-registered="yes"]').waitFor();
  await row.locator('.badge', { hasText: '密钥在本浏览器中' }).waitFor();
  const signing = await page.getAttribute('#signing-key-status', 'data-state');
  if (signing !== 'registered') throw new Error(`the signing key is ${signing}`);
  if (download) {
    const name = download.suggestedFilename();
    if (!name.startsWith('custodian-key-backup-')) throw new Error(`unexpected backup file ${name}`);
    log(`${login}: backup downloaded as ${name}`);
  }
  log(`${login}: custodian key ${index} registered (${text})`);
  if (keepOpen) return page;
  await page.context().close();
  return null;
}

/**
 * A log of the rehearsal's closing: its list part (index 0) and box_closed (index 1) under a
 * checkpoint signed with a fresh Ed25519 key; the routes the page reads them from.
 */
async function rehearsalLog(tender, listed) {
  const utf8 = new TextEncoder();
  const part = utf8.encode(JSON.stringify({ type: 'box_closed_envelopes', tender, payload: { part: 1, parts: 1, envelopes: [listed] } }));
  const closing = utf8.encode(JSON.stringify({ type: 'box_closed', tender, payload: { bids: 1, envelope_lists: [0] } }));
  const [l0, l1] = [await leafHash(part), await leafHash(closing)];
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign']);
  const pub = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const name = 'rehearsal.bidhall/log';
  const id = await keyId(name, 1, pub);
  const body = `${name}\n2\n${bytesToBase64(await nodeHash(l0, l1))}\n`;
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, pair.privateKey, utf8.encode(body)));
  const idBytes = new Uint8Array(4);
  new DataView(idBytes.buffer).setUint32(0, id);
  const checkpoint = `${body}\n— ${name} ${bytesToBase64(new Uint8Array([...idBytes, ...sig]))}\n`;
  const receipt = (index, entry, proof) => ({ index, entry_b64: bytesToBase64(entry), tree_size: 2, inclusion: [bytesToBase64(proof)], checkpoint });
  return {
    key: `${name}+${id.toString(16).padStart(8, '0')}+${bytesToBase64(new Uint8Array([1, ...pub]))}`,
    entries: [{ index: 1, kind: 'box_closed', tender }],
    receipts: { 0: receipt(0, part, l1), 1: receipt(1, closing, l0) },
  };
}

/**
 * The release step, rehearsed before the deadline: the hall would refuse it until then, so the
 * opening calls are answered here with the header of an envelope sealed in Node to the tender's
 * registered keys, and the log calls with a closing that lists it. The page checks the header
 * against that list, its signature and the tender, opens its share with the key in its IndexedDB,
 * and what it posts must match the header's commitment.
 */
async function rehearseRelease(page, tender, index) {
  lastPage = page;
  step = 'sealing a rehearsal envelope in Node to the registered keys';
  const listed = await call('GET', `/api/tenders/${tender}/custodians`);
  const keys = listed.map((c) => new Uint8Array(Buffer.from(c.public_key, 'base64')));
  const signer = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const signerPublic = Buffer.from(await crypto.subtle.exportKey('raw', signer.publicKey)).toString('base64');
  const bid = new TextEncoder().encode('{"price_fen":"100","duration_days":1}');
  let headerBytes = null;
  await sealbox.sealEnvelope({
    tenderId: tender, lotId: 'rehearsal', tendererId: 'rehearsal', custodians: keys, k: 3, signingKey: signer.privateKey,
    payload: sealbox.tarArchive([{ name: sealbox.BID_JSON, data: bid }]),
    onChunk: (bytes) => { headerBytes ??= bytes; },
  });
  const header = await sealbox.parseHeader(headerBytes);
  const headerSha = Buffer.from(await crypto.subtle.digest('SHA-256', headerBytes)).toString('hex');
  const logStub = await rehearsalLog(tender, {
    n: 1, bid_id: 'rehearsal-bid', lot_id: 'rehearsal', commitment: '0'.repeat(64), envelope_sha256: '0'.repeat(64), header_sha256: headerSha,
  });
  await page.route((url) => url.pathname.startsWith('/api/log/'), async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/api/log/key') await route.fulfill({ body: `${logStub.key}\n`, contentType: 'text/plain' });
    else if (url.pathname === '/api/log/entries') await route.fulfill({ json: logStub.entries });
    else await route.fulfill({ json: logStub.receipts[url.pathname.split('/').pop()] });
  });
  const path = `${BASE}/api/tenders/${tender}/opening/shares/${index}`;
  let posted = null;
  await page.route(path, async (route) => {
    if (route.request().method() === 'GET') {
      await route.fulfill({
        json: [{
          bid_id: 'rehearsal-bid', lot_id: 'rehearsal', header: Buffer.from(headerBytes).toString('base64'),
          tenderer_id: 'rehearsal', tenderer_keys: [signerPublic],
        }],
      });
    } else {
      posted = route.request().postDataJSON();
      await route.fulfill({ json: { accepted: posted.length } });
    }
  });
  step = 'agent: releasing the share in the browser';
  await page.evaluate(() => { document.getElementById('release').disabled = false; });
  await page.click('#release');
  await page.waitForSelector('#release-status.alert.success, #release-status.alert.warn', { timeout: 30_000 });
  const result = (await page.textContent('#release-results')).trim();
  if (!posted || posted.length !== 1 || posted[0].bid_id !== 'rehearsal-bid') throw new Error(`nothing released: ${result}`);
  const raw = Buffer.from(posted[0].share, 'base64');
  if (raw.length !== 65 || raw[0] !== index) throw new Error(`the released share is not index ‖ share ‖ salt: ${raw.length} bytes`);
  await sealbox.checkReleasedShare(header, index, { index: raw[0], share: new Uint8Array(raw.subarray(1, 33)), salt: new Uint8Array(raw.subarray(33)) });
  log(`agent: released share ${index} matches its commitment (${result})`);
  if (process.env.BIDHALL_SCREENSHOT_CUSTODIAN) {
    await page.screenshot({ path: process.env.BIDHALL_SCREENSHOT_CUSTODIAN, fullPage: true });
    log(`custodian page screenshot saved to ${process.env.BIDHALL_SCREENSHOT_CUSTODIAN}`);
  }
  await page.context().close();
}

async function submitBid(browser, tender) {
  const page = await newPage(browser, 'tenderer1');
  step = 'tenderer1: the tender page links to the bid page';
  await page.goto(`${BASE}/tenders/${tender}`);
  await Promise.all([page.waitForURL(`${BASE}/tenders/${tender}/bid`), page.click('#bid-link')]);
  step = 'tenderer1: filling the bid form';
  await page.fill('#price', '998,800.50');
  await page.fill('#duration_days', '180');
  await page.fill('#quality', '合格，争创优质工程');
  await page.fill('#remarks', '接受招标文件合同条款\n投标有效期 90 日');
  const attachment = Buffer.alloc(200_000, 0x61); // > 3 chunks of 64 KiB
  await page.setInputFiles('#attachments', [
    { name: '技术标.txt', mimeType: 'text/plain', buffer: attachment },
    { name: 'a/b\\报价.txt', mimeType: 'text/plain', buffer: Buffer.from('报价说明 <b>不是标记</b>\n') },
  ]);
  step = 'tenderer1: sealing and submitting';
  await page.click('#seal-submit');
  await page.waitForSelector('#bid-status.alert.success, #bid-status.alert.error', { timeout: 60_000 });
  const text = (await page.textContent('#bid-status')).trim();
  if (await page.locator('#bid-status.alert.error').count()) {
    const steps = (await page.textContent('#steps')).replace(/\s+/g, ' ');
    throw new Error(`the bid was refused: ${text}; steps: ${steps}`);
  }
  log(`tenderer1: ${text}`);
  step = 'tenderer1: checking the receipt';
  await page.waitForSelector('#receipt:not([hidden])');
  const match = await page.getAttribute('#receipt-match', 'data-match');
  const hall = (await page.textContent('#receipt-sha')).trim();
  const own = (await page.textContent('#receipt-own-sha')).trim();
  if (match !== 'yes' || hall !== own || !/^[0-9a-f]{64}$/.test(hall)) throw new Error(`receipt hash mismatch: hall ${hall}, page ${own}`);
  const note = await page.textContent('#receipt-text');
  if (!note.startsWith('bidhall-bid-receipt/1\nsubmitted\n') || !note.includes(hall)) throw new Error(`unexpected receipt: ${note}`);
  const href = await page.getAttribute('#receipt-download', 'href');
  if (!href.startsWith('blob:')) throw new Error('the receipt is not offered as a download');
  log(`tenderer1: receipt for envelope ${hall.slice(0, 16)}…, log index ${(await page.textContent('#receipt-index')).trim()}`);
  step = 'tenderer1: the bid is listed under "our bids"';
  const row = page.locator('#my-bids-body tr[data-state="submitted"]');
  await row.first().waitFor();
  if ((await row.count()) !== 1) throw new Error('expected exactly one counted bid');
  if (!(await row.first().textContent()).includes(hall)) throw new Error('the listed bid is not the receipted one');
  await row.first().locator('button[data-action="withdraw"]').waitFor();
  step = 'taking the screenshot of the receipt';
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  log(`screenshot saved to ${SCREENSHOT}`);
  screenshotTaken = true;

  step = 'tenderer1: withdrawing the bid';
  page.once('dialog', (d) => d.accept());
  await row.first().locator('button[data-action="withdraw"]').click();
  await page.waitForSelector('#my-bids-status.alert.success');
  await page.locator('#my-bids-body tr[data-state="withdrawn"]').first().waitFor();
  if (await page.locator('#my-bids-body tr[data-state="submitted"]').count()) throw new Error('the withdrawn bid still counts');
  const withdrawn = await page.textContent('#receipt-text');
  if (!withdrawn.startsWith('bidhall-bid-receipt/1\nwithdrawn\n')) throw new Error(`unexpected withdrawal receipt: ${withdrawn}`);
  log('tenderer1: bid withdrawn, with a signed receipt');
  return page;
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
    step = 'checking that bidding waits for the custodians';
    const listed = await call('GET', `/api/tenders/${tender}/custodians`);
    if (listed.length !== 4 || listed[0].registered_by !== 'time-release' || listed.slice(1).some((c) => c.public_key)) {
      throw new Error(`unexpected custodians before registration: ${JSON.stringify(listed)}`);
    }
    const agentPage = await registerCustodian(browser, tender, 'agent', 2, { backup: true, keepOpen: true });
    await registerCustodian(browser, tender, 'supervisor', 3);
    await registerCustodian(browser, tender, 'witness', 4);
    await submitBid(browser, tender);
    await rehearseRelease(agentPage, tender, 2);
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
    console.error(`[seal] FAILED while ${failedStep}: ${failed.message}`);
    process.exit(1);
  }
  log('ok');
}

main().catch((e) => {
  console.error(`[seal] FAILED while ${step}: ${e.message}`);
  process.exit(1);
});
