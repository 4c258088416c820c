// The auditors' page: shows the log's current checkpoint and checks its Ed25519 signature, checks
// that the log only grew since this browser last looked, and lists entries with an inclusion check
// each. Every check runs here, on bytes and proofs from the API, never trusting the server's own
// verdict. Entry text is user text: it only ever reaches the page through textContent.

import { api, t, pageData } from './api.js';
import { beijingText } from './format.js';
import { busy } from './fields.js';
import {
  base64ToBytes, bytesToBase64, bytesToHex, leafHash, parseCheckpoint, parseVerifierKey, proofFromBase64,
  verifyConsistency, verifyInclusion, verifyNoteSignature,
} from './auditlog.js';

const PAGE_SIZE = 100;
const SAVED_KEY = 'bidhall.audit.checkpoint';

const $ = (id) => document.getElementById(id);

const state = {
  checkpoint: null,
  note: '',
  key: null,
  keyText: '',
  /** true: verified; false: refused; null: not checked (no key, no Ed25519). */
  signatureOk: null,
  tender: pageData().tender || null,
  after: -1,
  rows: new Map(),
};

/** An element with text content (never markup) and properties. */
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

/** The message for a ProofError or API error: its translated reason, else its own message. */
function reasonText(e) {
  const id = `js_reason_${e?.reason}`;
  const text = t(id);
  return text === id ? e?.message || String(e) : text;
}

function setStatus(node, kind, text) {
  node.className = kind ? `alert ${kind}` : '';
  node.textContent = text;
  node.hidden = !text;
}

/** GET a text resource; `{ok, text, error}` like api(). */
async function getText(url) {
  let resp;
  try {
    resp = await fetch(url, { headers: { Accept: 'text/plain' }, credentials: 'same-origin' });
  } catch {
    return { ok: false, text: '', error: { message: t('js_network_error') } };
  }
  const text = await resp.text();
  if (resp.ok) return { ok: true, text, error: null };
  let error;
  try {
    error = JSON.parse(text).error;
  } catch {
    error = null;
  }
  return { ok: false, text: '', status: resp.status, error: error ?? { message: `${resp.status} ${resp.statusText}` } };
}

function timeText(unixSeconds) {
  return beijingText(new Date(unixSeconds * 1000).toISOString());
}

// ---- the checkpoint ----------------------------------------------------------------------------

async function loadKey() {
  const res = await getText('/api/log/key');
  if (!res.ok) return;
  state.keyText = res.text.trim();
  $('log-key').textContent = state.keyText;
  try {
    state.key = await parseVerifierKey(state.keyText);
  } catch (e) {
    state.key = null;
    state.keyError = e;
  }
}

function showCheckpoint() {
  const cp = state.checkpoint;
  $('cp-origin').textContent = cp.origin;
  $('cp-size').textContent = String(cp.size);
  $('cp-root-hex').textContent = bytesToHex(cp.root);
  $('cp-root-b64').textContent = bytesToBase64(cp.root);
  $('cp-note').textContent = state.note;
  const list = $('cp-signatures');
  list.replaceChildren();
  for (const s of cp.signatures) {
    const isLog = state.key && s.name === state.key.name && s.keyId === state.key.keyId;
    const who = isLog ? t('js_sig_log') : s.timestamp !== undefined ? t('js_sig_witness') : t('js_sig_other');
    const li = el('li', {}, el('code', { text: s.name }), ` ${who} · ${t('js_key_id')} ${s.keyId.toString(16).padStart(8, '0')}`);
    if (s.timestamp !== undefined) li.append(` · ${t('js_cosigned_at')} ${timeText(s.timestamp)}`);
    if (isLog && state.signatureOk !== null) {
      li.append(' ', el('span', {
        className: `badge ${state.signatureOk ? 'status-published' : 'status-cancelled'}`,
        text: state.signatureOk ? '✓' : '✗',
      }));
    }
    list.append(li);
  }
}

/** Parses and checks a signed checkpoint, shows it and checks consistency with the saved one. */
async function applyCheckpoint(note) {
  let cp;
  try {
    cp = parseCheckpoint(note);
  } catch (e) {
    setStatus($('cp-status'), 'error', reasonText(e));
    return false;
  }
  state.checkpoint = cp;
  state.note = note;
  state.signatureOk = null;
  let status;
  if (!state.key) {
    status = ['warn', `${t('js_sig_not_checked')} ${state.keyError ? reasonText(state.keyError) : ''}`];
  } else {
    try {
      await verifyNoteSignature(cp, state.key);
      state.signatureOk = true;
      status = ['success', t('js_sig_ok')];
    } catch (e) {
      if (e.reason === 'ed25519_unsupported') {
        status = ['warn', t('js_reason_ed25519_unsupported')];
      } else {
        state.signatureOk = false;
        status = ['error', `${t('js_sig_bad')} ${reasonText(e)}`];
      }
    }
  }
  setStatus($('cp-status'), ...status);
  showCheckpoint();
  await checkConsistency();
  return true;
}

async function loadCheckpoint() {
  setStatus($('cp-status'), 'info', t('js_loading'));
  if (!state.key) await loadKey();
  const res = await getText('/log/checkpoint');
  if (!res.ok) {
    setStatus($('cp-status'), res.status === 404 ? 'warn' : 'error', res.status === 404 ? t('js_no_checkpoint') : res.error.message);
    return false;
  }
  return applyCheckpoint(res.text);
}

async function signCheckpoint() {
  const res = await api('POST', '/api/log/checkpoint');
  if (!res.ok) {
    setStatus($('cp-status'), 'error', res.error.message);
    return false;
  }
  return applyCheckpoint(res.data?.note ?? '');
}

// ---- consistency with the checkpoint this browser saw last ---------------------------------------

function readSaved() {
  try {
    const saved = JSON.parse(localStorage.getItem(SAVED_KEY) || 'null');
    return saved && typeof saved.origin === 'string' && Number.isSafeInteger(saved.size) ? saved : null;
  } catch {
    return null;
  }
}

function save(cp) {
  try {
    localStorage.setItem(SAVED_KEY, JSON.stringify({ origin: cp.origin, size: cp.size, root: bytesToBase64(cp.root) }));
  } catch {
    // Private browsing may refuse storage; the check simply starts over next time.
  }
}

async function checkConsistency() {
  const status = $('consistency-status');
  const forget = $('consistency-forget');
  const cp = state.checkpoint;
  forget.hidden = true;
  if (!cp) return;
  if (state.signatureOk === false) {
    setStatus(status, 'error', t('js_consistency_unsigned'));
    return;
  }
  const saved = readSaved();
  if (!saved || saved.origin !== cp.origin) {
    save(cp);
    setStatus(status, 'info', saved ? t('js_consistency_other_log') : t('js_consistency_first'));
    return;
  }
  const fail = (text) => {
    setStatus(status, 'error', `${t('js_consistency_bad')} ${saved.size} → ${cp.size}: ${text}`);
    forget.hidden = false;
  };
  if (saved.size > cp.size) return fail(t('js_consistency_shrank'));
  let proof = [];
  if (saved.size !== cp.size && saved.size > 0) {
    const res = await api('GET', `/api/log/proofs/consistency?from=${saved.size}&to=${cp.size}`);
    if (!res.ok) return fail(res.error.message);
    if (res.data?.from !== saved.size || res.data?.to !== cp.size) return fail(t('js_reason_proof_mismatch'));
    proof = res.data.hashes;
  }
  try {
    await verifyConsistency(saved.size, cp.size, proofFromBase64(proof), base64ToBytes(saved.root), cp.root);
  } catch (e) {
    return fail(reasonText(e));
  }
  save(cp);
  const text = saved.size === cp.size ? t('js_consistency_same') : `${t('js_consistency_ok')} ${saved.size} → ${cp.size}`;
  setStatus(status, 'success', text);
}

// ---- entries -----------------------------------------------------------------------------------

/** The entry as the tree hashes it: JSON parsed from its exact bytes, not the server's copy. */
function entryJson(e) {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(base64ToBytes(e.entry_b64));
    return { value: JSON.parse(text), fromBytes: true };
  } catch {
    return { value: e.entry ?? null, fromBytes: false };
  }
}

function kindText(kind) {
  const id = `js_kind_${kind}`;
  const text = t(id);
  return text === id ? kind : text;
}

function actorText(actor) {
  switch (actor?.kind) {
    case 'user': {
      const role = t(`role_${actor.role}`);
      return `${t('js_actor_user')} · ${role === `role_${actor.role}` ? actor.role : role}`;
    }
    case 'committed':
      return `${t('js_actor_committed')} ${String(actor.commitment ?? '').slice(0, 12)}…`;
    case 'sealed':
      return `${t('js_actor_sealed')} ${String(actor.commitment ?? '').slice(0, 12)}…`;
    case 'system':
      return t('js_actor_system');
    default:
      return actor?.kind ?? '—';
  }
}

/** The table's column headings, as labels for the responsive layout. */
const LABELS = [...document.querySelectorAll('#entries thead th')].map((th) => th.textContent);

function entryRow(e) {
  const { value, fromBytes } = entryJson(e);
  const at = value?.at ?? '';
  const details = el('details', {},
    el('summary', { text: t('js_json') }),
    el('pre', { className: 'prose', text: JSON.stringify(value, null, 2) }));
  if (!fromBytes) details.append(el('p', { className: 'field-error', text: t('js_reason_bad_entry') }));
  const button = el('button', { type: 'button', className: 'secondary', text: t('js_verify') });
  const result = el('span', { className: 'verify-result', role: 'status' });
  const cell = el('td', { dataset: { label: LABELS[4] } }, button, ' ', result);
  const row = el('tr', { dataset: { index: String(e.index) } },
    el('td', { className: 'num', text: String(e.index), dataset: { label: LABELS[0] } }),
    el('td', { dataset: { label: LABELS[1] } }, el('span', { text: kindText(e.kind) }), ' ', el('code', { text: e.kind }), details),
    el('td', { dataset: { label: LABELS[2] } }, el('time', { dateTime: at, text: beijingText(at) })),
    el('td', { text: actorText(value?.actor), dataset: { label: LABELS[3] } }),
    cell);
  const item = { entry: e, cell, button, result, done: false };
  button.addEventListener('click', () => busy(button, () => verifyEntry(item)));
  state.rows.set(e.index, item);
  return row;
}

async function loadEntries() {
  const status = $('entries-status');
  const more = $('more-entries');
  const params = new URLSearchParams({ after: String(state.after), limit: String(PAGE_SIZE) });
  if (state.tender) params.set('tender', state.tender);
  const res = await api('GET', `/api/log/entries?${params}`);
  if (!res.ok) {
    setStatus(status, 'error', res.error.message);
    return;
  }
  const list = Array.isArray(res.data) ? res.data : [];
  $('entries-body').append(...list.map(entryRow));
  if (list.length > 0) state.after = list[list.length - 1].index;
  more.hidden = list.length < PAGE_SIZE;
  $('verify-all').hidden = state.rows.size === 0;
  setStatus(status, state.rows.size ? '' : 'info', state.rows.size ? `${t('js_entry_count')} ${state.rows.size}` : t('js_no_entries'));
}

// ---- inclusion ---------------------------------------------------------------------------------

function showResult(item, ok, text) {
  const { cell, result } = item;
  result.replaceChildren(
    el('span', { className: `badge ${ok ? 'status-published' : 'status-cancelled'}`, text: ok ? t('js_verified') : t('js_not_verified') }),
    ' ',
    el('span', { text }),
  );
  cell.dataset.result = ok ? 'verified' : 'failed';
  item.done = ok;
}

/** Offers to sign a checkpoint that covers the entry, then checks again. */
function offerSigning(item, why) {
  const again = el('button', { type: 'button', className: 'link', text: t('js_sign_and_retry') });
  again.addEventListener('click', () => busy(again, async () => {
    if (await signCheckpoint()) await verifyEntry(item);
    else showResult(item, false, $('cp-status').textContent);
  }));
  item.result.replaceChildren(el('span', { text: why }), ' ', again);
  item.cell.dataset.result = 'pending';
}

async function verifyEntry(item) {
  const cp = state.checkpoint;
  const e = item.entry;
  if (!cp) return offerSigning(item, t('js_no_checkpoint'));
  if (e.index >= cp.size) return offerSigning(item, t('js_not_covered'));
  const res = await api('GET', `/api/log/proofs/inclusion?index=${e.index}&size=${cp.size}`);
  if (!res.ok) return showResult(item, false, res.error.message);
  if (res.data?.index !== e.index || res.data?.size !== cp.size) return showResult(item, false, t('js_reason_proof_mismatch'));
  try {
    const leaf = await leafHash(base64ToBytes(e.entry_b64));
    await verifyInclusion(leaf, e.index, cp.size, proofFromBase64(res.data.hashes), cp.root);
  } catch (err) {
    return showResult(item, false, reasonText(err));
  }
  const caveat = state.signatureOk ? '' : ` ${t('js_unsigned_caveat')}`;
  showResult(item, true, `${t('js_verified_in')} ${cp.size}${caveat}`);
}

async function verifyAll() {
  for (const item of state.rows.values()) {
    if (!item.done) await verifyEntry(item);
  }
}

// ---- wiring ------------------------------------------------------------------------------------

$('cp-refresh').addEventListener('click', (ev) => busy(ev.currentTarget, loadCheckpoint));
$('cp-sign').addEventListener('click', (ev) => busy(ev.currentTarget, signCheckpoint));
$('more-entries').addEventListener('click', (ev) => busy(ev.currentTarget, loadEntries));
$('verify-all').addEventListener('click', (ev) => busy(ev.currentTarget, verifyAll));
$('consistency-forget').addEventListener('click', () => {
  try {
    localStorage.removeItem(SAVED_KEY);
  } catch {
    // Nothing saved to forget.
  }
  checkConsistency();
});

const badId = $('tender')?.getAttribute('aria-invalid') === 'true';
await loadCheckpoint();
if (!badId) await loadEntries();
