// The tenderer's bid page: obtains the documents if needed, makes sure this browser holds a
// registered signing key, checks that every custodian key is registered, seals the bid in the
// browser as a version 2 envelope — bid.json (the announced fields) and the attachments archive
// under separate keys (sealbox.js, 64 KiB at a time, attachments read lazily from their File objects)
// and uploads the envelope; then shows the hall's receipt beside the page's own SHA-256 of what it
// sealed. Lists and withdraws the tenderer's own bids. Data only ever reaches the page as text.

import { api, pageData, t } from './api.js';
import { busy, clearFieldErrors, showApiError, showLocalErrors } from './fields.js';
import { beijingText, formatYuan } from './format.js';
import { attachmentNames, buildBid, custodianKeys, missingCustodians, parseReceipt, Sha256 } from './bidbox.js';
import { ensureSigningKey } from './keystore.js';
import { bodyLength, chunkCount, sealEnvelopeV2, tarArchive, tarLength } from '../sealbox.js';

const $ = (id) => document.getElementById(id);
const data = pageData();
const tenderId = data.tender_id;
const lotNames = new Map((data.lots || []).map((l, i) => [l.id, `${i + 1}. ${l.name}`]));
const form = $('bid-form');
const status = $('bid-status');
const progress = $('bid-progress');
/** Sealed pieces are gathered into Blobs of this size, so the browser may keep them on disk. */
const BLOB_BATCH = 16 * 1024 * 1024;
let obtained = Boolean(data.obtained);
let receiptUrl = null;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') node.textContent = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else node[k] = v;
  }
  for (const c of children) if (c != null) node.append(c);
  return node;
}

function setStatus(node, kind, text) {
  node.className = kind ? `alert ${kind}` : '';
  node.textContent = text;
  node.hidden = !text;
}

/** Marks a step `working`, `done` or `failed`, with a note. */
function step(id, state, note = '') {
  const li = $(id);
  li.dataset.state = state;
  const label = { working: t('js_step_working'), done: t('js_step_done'), failed: t('js_step_failed'), skipped: '' }[state] ?? '';
  li.querySelector('[data-state]').textContent = [label, note].filter(Boolean).join(' — ');
}

function resetSteps() {
  for (const id of ['step-obtain', 'step-key', 'step-custodians', 'step-seal', 'step-upload']) {
    const li = $(id);
    delete li.dataset.state;
    li.querySelector('[data-state]').textContent = '';
  }
}

/** An API error as one line: its message, and which custodians are missing when it says so. */
function errorText(error) {
  const missing = error?.details?.missing;
  return Array.isArray(missing) && missing.length ? `${error.message} (${t('js_missing_custodians')} ${missing.join(', ')})` : error?.message || String(error);
}

class Stop extends Error {}

function fail(stepId, text) {
  step(stepId, 'failed', text);
  setStatus(status, 'error', text);
  throw new Stop(text);
}

async function obtainDocuments() {
  if (obtained) {
    step('step-obtain', 'done', t('js_already_obtained'));
    return;
  }
  step('step-obtain', 'working');
  const res = await api('POST', `/api/tenders/${encodeURIComponent(tenderId)}/obtain`);
  if (!res.ok) fail('step-obtain', res.error.message);
  obtained = true;
  step('step-obtain', 'done', `${t('js_obtained')} ${beijingText(res.data?.obtained_at)}`);
}

async function signingKey() {
  step('step-key', 'working');
  let res;
  try {
    res = await ensureSigningKey(data.org_id, `${t('js_browser_key_label')} ${new Date().toISOString().slice(0, 10)}`);
  } catch (e) {
    fail('step-key', `${t('js_key_store_failed')} ${e.message}`);
  }
  if (!res.ok) fail('step-key', res.error.message);
  const note = `${res.created ? t('js_key_created') : t('js_key_in_browser')} ${res.key.fingerprint.slice(0, 16)}…`;
  step('step-key', 'done', note);
  return res.key;
}

async function custodians() {
  step('step-custodians', 'working');
  const res = await api('GET', `/api/tenders/${encodeURIComponent(tenderId)}/custodians`);
  if (!res.ok) fail('step-custodians', res.error.message);
  const missing = missingCustodians(res.data);
  if (missing.length) fail('step-custodians', `${t('js_custodians_incomplete')} ${missing.join(', ')}`);
  let keys;
  try {
    keys = custodianKeys(res.data);
  } catch (e) {
    fail('step-custodians', e.message);
  }
  step('step-custodians', 'done', `${keys.length} / k = ${data.k}`);
  return keys;
}

/** Seals into a Blob; returns it with the page's own SHA-256 of every sealed byte. */
async function seal(lotId, bid, files, keys, signer) {
  step('step-seal', 'working');
  const names = attachmentNames(files.map((f) => f.name));
  // bid.json is the announced segment (its key is published after the opening); the attachments
  // are the documents segment, which only the entitled ever read.
  const entries = files.map((f, i) => ({ name: names[i], data: f }));
  const documentsLength = tarLength(entries.map((e) => e.data.size));
  const documents = tarArchive(entries, { documents: true });
  const total = chunkCount(bid.bytes.length) + chunkCount(documentsLength);
  const hash = new Sha256();
  const blobs = [];
  let batch = [];
  let batchSize = 0;
  let done = -1; // the first piece is the header
  progress.max = total;
  progress.value = 0;
  progress.hidden = false;
  let summary;
  try {
    summary = await sealEnvelopeV2({
      tenderId, lotId, tendererId: data.org_id, custodians: keys, k: data.k, signingKey: signer.privateKey,
      announced: bid.bytes, documents, documentsLength,
      onChunk: (bytes) => {
        hash.update(bytes);
        batch.push(bytes);
        batchSize += bytes.length;
        if (batchSize >= BLOB_BATCH) {
          blobs.push(new Blob(batch));
          batch = [];
          batchSize = 0;
        }
        done += 1;
        progress.value = Math.max(0, done);
      },
    });
  } catch (e) {
    progress.hidden = true;
    fail('step-seal', `${t('js_seal_failed')} ${e.message}`);
  }
  blobs.push(new Blob(batch));
  const envelope = new Blob(blobs, { type: 'application/octet-stream' });
  if (envelope.size !== summary.envelopeLength
    || summary.bodyLength !== bodyLength(bid.bytes.length) + bodyLength(documentsLength)) {
    fail('step-seal', t('js_seal_failed'));
  }
  step('step-seal', 'done', `${envelope.size} B`);
  return { envelope, sha256: hash.hex() };
}

function showReceipt(r, ownSha) {
  const box = $('receipt');
  box.hidden = false;
  $('receipt-text').textContent = r.receipt;
  $('receipt-sha').textContent = r.envelope_sha256;
  $('receipt-index').textContent = String(r.log_index);
  const match = $('receipt-match');
  const note = parseReceipt(r.receipt);
  if (ownSha) {
    const same = ownSha === r.envelope_sha256 && (!note || note.sha256 === ownSha);
    $('receipt-own-sha').textContent = ownSha;
    match.className = same ? 'alert success' : 'alert error';
    match.dataset.match = same ? 'yes' : 'no';
    match.textContent = same ? t('js_sha_match') : t('js_sha_mismatch');
  } else {
    $('receipt-own-sha').textContent = '—';
    match.className = 'alert info';
    match.dataset.match = 'n/a';
    match.textContent = r.action === 'withdrawn' ? t('js_withdrawn') : '';
  }
  const text = [
    r.receipt.trimEnd(),
    '',
    `action: ${r.action}`,
    `envelope_sha256: ${r.envelope_sha256}`,
    ownSha ? `sealed_sha256 (this browser): ${ownSha}` : null,
    `size: ${r.size}`,
    `received_at: ${r.received_at}`,
    `log_index: ${r.log_index}`,
    `commitment: ${r.commitment}`,
    `salt: ${r.salt}`,
    '',
  ].filter((l) => l !== null).join('\n');
  if (receiptUrl) URL.revokeObjectURL(receiptUrl);
  receiptUrl = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const link = $('receipt-download');
  link.href = receiptUrl;
  link.download = `bid-receipt-${r.action}-${r.log_index}.txt`;
  box.scrollIntoView({ block: 'nearest' });
}

async function submit() {
  clearFieldErrors(form);
  setStatus(status, '', '');
  resetSteps();
  const bid = buildBid({
    price: form.elements.namedItem('price').value,
    durationDays: form.elements.namedItem('duration_days').value,
    quality: form.elements.namedItem('quality').value,
    remarks: form.elements.namedItem('remarks').value,
  });
  if (bid.errors) {
    showLocalErrors(form, status, bid.errors, t);
    status.className = 'alert error';
    return;
  }
  const lotId = form.elements.namedItem('lot').value;
  const files = [...$('attachments').files];
  try {
    await obtainDocuments();
    const signer = await signingKey();
    const keys = await custodians();
    const { envelope, sha256 } = await seal(lotId, bid, files, keys, signer);
    step('step-upload', 'working');
    setStatus(status, 'info', t('js_uploading'));
    const res = await api('POST', `/api/tenders/${encodeURIComponent(tenderId)}/lots/${encodeURIComponent(lotId)}/bid`, undefined, { raw: envelope });
    progress.hidden = true;
    if (!res.ok) {
      showApiError(form, null, res.error);
      fail('step-upload', errorText(res.error));
    }
    step('step-upload', 'done', `${t('js_log_index')} ${res.data.log_index}`);
    setStatus(status, 'success', `${t('js_bid_submitted')} ${formatYuan(Number(bid.bid.price_fen))}`);
    showReceipt(res.data, sha256);
    await loadMine();
  } catch (e) {
    if (!(e instanceof Stop)) setStatus(status, 'error', e.message || String(e));
  }
}

// ---- my bids ---------------------------------------------------------------------------------

async function withdraw(bid, button) {
  if (!window.confirm(t('js_confirm_withdraw'))) return;
  const res = await busy(button, () => api('DELETE', `/api/tenders/${encodeURIComponent(tenderId)}/lots/${encodeURIComponent(bid.lot_id)}/bid`));
  const box = $('my-bids-status');
  if (!res.ok) {
    setStatus(box, 'error', res.error.message);
    return;
  }
  showReceipt(res.data, null);
  await loadMine();
  setStatus(box, 'success', t('js_withdrawn'));
}

async function loadMine() {
  const body = $('my-bids-body');
  const box = $('my-bids-status');
  const res = await api('GET', `/api/tenders/${encodeURIComponent(tenderId)}/bids/mine`);
  if (!res.ok) {
    setStatus(box, 'error', res.error.message);
    return;
  }
  const bids = Array.isArray(res.data) ? res.data : [];
  setStatus(box, bids.length ? '' : 'info', bids.length ? '' : t('js_no_bids'));
  body.replaceChildren(...bids.map((b) => {
    const actions = el('td', { dataset: { label: t('actions') } });
    if (b.state === 'submitted' && data.bidding_open) {
      const button = el('button', { type: 'button', className: 'secondary', text: t('js_withdraw'), dataset: { action: 'withdraw', lot: b.lot_id } });
      button.addEventListener('click', () => withdraw(b, button));
      actions.append(button);
    }
    return el('tr', { dataset: { bid: b.id, state: b.state } },
      el('td', { text: lotNames.get(b.lot_id) ?? b.lot_id }),
      el('td', {}, el('span', { className: `badge bid-${b.state}`, text: t(`js_bid_state_${b.state}`) })),
      el('td', { text: beijingText(b.received_at) }),
      el('td', { className: 'num', text: String(b.size) }),
      el('td', {}, el('code', { className: 'hash', text: b.envelope_sha256 })),
      el('td', { className: 'num', text: b.log_index >= 0 ? String(b.log_index) : '—' }),
      actions);
  }));
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  busy($('seal-submit'), submit);
});
$('my-bids-refresh').addEventListener('click', (event) => busy(event.currentTarget, loadMine));
if (obtained) step('step-obtain', 'done', t('js_already_obtained'));
loadMine();
