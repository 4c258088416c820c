// A custodian's page for one tender: shows the custodian set and which keys are registered; for
// each index this organisation holds, makes the key pair in this browser (private key
// non-extractable, kept in IndexedDB, an optional passphrase backup downloaded first), signs its
// registration with the organisation's browser signing key and registers it. After the deadline it
// checks every header against the closing list proven from the hall's log, the tenderer's
// signature and the tender, and only then opens this custodian's shares here and releases them;
// a header that fails releases nothing, with the code and the party at fault (docs/bid-box.md).

import { api, pageData, t } from './api.js';
import { busy } from './fields.js';
import { bytesToBase64, bytesToHex, base64ToBytes, custodianKeyMessage, encodeReleasedShare } from './bidbox.js';
import { ensureSigningKey, loadCustodianKey, saveCustodianKey, sign, signingKeyState } from './keystore.js';
import {
  CUSTODIAN_REFUSALS, checkBeforeRelease, fingerprint, generateCustodianKey, isCustodianKeyFile, restoreCustodianKey, toHex,
  verifyClosing,
} from '../sealbox.js';

const $ = (id) => document.getElementById(id);
const data = pageData();
const tenderId = data.tender_id;
const held = new Set(data.held || []);
const base = `/api/tenders/${encodeURIComponent(tenderId)}`;
const status = $('custodian-status');

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

function errorText(error) {
  return error?.message || String(error);
}

function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// ---- the signing key ---------------------------------------------------------------------------

async function showSigningKey() {
  const box = $('signing-key-status');
  const button = $('signing-key-create');
  let s;
  try {
    s = await signingKeyState(data.org_id);
  } catch (e) {
    box.textContent = `${t('js_key_store_failed')} ${e.message}`;
    return;
  }
  box.dataset.state = s.registered ? 'registered' : s.stored ? 'stored' : 'none';
  box.textContent = s.registered
    ? `${t('js_signing_key_ready')} ${s.fingerprint.slice(0, 16)}…`
    : s.stored ? t('js_signing_key_unregistered') : t('js_signing_key_none');
  button.hidden = s.registered;
}

async function signingKey() {
  const res = await ensureSigningKey(data.org_id, `${t('js_browser_key_label')} ${new Date().toISOString().slice(0, 10)}`);
  await showSigningKey();
  if (!res.ok) throw new Error(errorText(res.error));
  return res.key;
}

// ---- custodian keys ----------------------------------------------------------------------------

async function register(index, key) {
  const signer = await signingKey();
  const publicKey = bytesToBase64(key.publicKey);
  const signature = await sign(signer.privateKey, custodianKeyMessage(tenderId, index, publicKey));
  const res = await api('POST', `${base}/custodians/${index}/key`, { public_key: publicKey, signature });
  if (!res.ok) throw new Error(errorText(res.error));
  return res.data;
}

async function generate(index) {
  const passphrase = $('backup-passphrase').value;
  const key = await generateCustodianKey({ backupPassphrase: passphrase || null });
  // The backup leaves first: once the key is registered, bids are sealed to it.
  if (key.backup) download(`custodian-key-backup-${tenderId}-${index}.json`, key.backup);
  await saveCustodianKey(tenderId, index, key);
  $('backup-passphrase').value = '';
  await register(index, key);
  return t('js_custodian_registered');
}

async function restore(index, registeredFingerprint) {
  const file = $('restore-file').files[0];
  const passphrase = $('restore-passphrase').value;
  const text = file ? await file.text() : '';
  // A key file (the command line's, the demo's) opens without a passphrase; a backup needs one.
  if (!file || (!passphrase && !isCustodianKeyFile(text))) throw new Error(t('js_restore_needs_file'));
  const key = await restoreCustodianKey(text, passphrase);
  if (bytesToHex(key.fingerprint) !== registeredFingerprint) throw new Error(t('js_restore_other_key'));
  await saveCustodianKey(tenderId, index, key);
  $('restore-passphrase').value = '';
  return t('js_restored');
}

function actionButton(text, action, index, work) {
  const button = el('button', { type: 'button', text, dataset: { action, index: String(index) } });
  button.addEventListener('click', async () => {
    setStatus(status, 'info', t('js_working'));
    try {
      const done = await busy(button, work);
      setStatus(status, 'success', done);
    } catch (e) {
      setStatus(status, 'error', e.message || String(e));
    }
    await loadCustodians();
  });
  return button;
}

async function fillRow(row, c) {
  const index = c.index;
  const fp = row.querySelector('[data-cell="fingerprint"]');
  fp.textContent = c.fingerprint ? `${c.fingerprint.slice(0, 16)}…` : '—';
  fp.title = c.fingerprint || '';
  const registered = row.querySelector('[data-cell="registered"]');
  registered.dataset.registered = c.public_key ? 'yes' : 'no';
  registered.textContent = c.public_key ? t('js_registered') : t('js_not_registered');
  const actions = row.querySelector('[data-cell="actions"]');
  actions.replaceChildren();
  if (!held.has(index)) return;
  const local = await loadCustodianKey(tenderId, index).catch(() => null);
  const registeredHere = local && c.fingerprint && local.fingerprint === c.fingerprint;
  row.dataset.local = local ? (registeredHere || !c.public_key ? 'yes' : 'other') : 'no';
  if (!c.public_key && !local) {
    actions.append(actionButton(t('js_generate_key'), 'generate', index, () => generate(index)));
  } else if (!c.public_key) {
    actions.append(actionButton(t('js_register_key'), 'register', index, async () => {
      await register(index, local);
      return t('js_custodian_registered');
    }));
  } else if (registeredHere) {
    actions.append(el('span', { className: 'badge status-published', text: t('js_key_here') }));
  } else {
    actions.append(
      el('span', { className: 'badge status-draft', text: local ? t('js_key_other_here') : t('js_key_not_here') }),
      ' ',
      actionButton(t('js_restore_key'), 'restore', index, () => restore(index, c.fingerprint)),
    );
  }
}

async function loadCustodians() {
  const res = await api('GET', `${base}/custodians`);
  if (!res.ok) {
    setStatus(status, 'error', errorText(res.error));
    return;
  }
  for (const c of res.data) {
    const row = document.querySelector(`#custodians-body tr[data-index="${Number(c.index)}"]`);
    if (row) await fillRow(row, c);
  }
  const missing = res.data.filter((c) => !c.public_key).length;
  $('custodians-table').dataset.complete = missing === 0 ? 'yes' : 'no';
}

// ---- releasing shares ----------------------------------------------------------------------------

function resultLine(kind, text) {
  return el('li', { className: kind, text });
}

const PARTY_ZH = { hall: '平台（运营方）', tenderer: '投标人', custodian: '本保管人' };

/** A refusal in plain Chinese with its code and the party at fault; the English detail as a tooltip. */
function refusalLine(prefix, e) {
  const known = CUSTODIAN_REFUSALS[e?.code];
  const party = e?.fault?.party ? `；责任方：${PARTY_ZH[e.fault.party] ?? e.fault.party}` : '';
  const why = known ? known.zh : (e?.message || String(e));
  const line = resultLine('field-error', `${prefix}：未释放。${why}（${e?.code ?? 'error'}）${party}`);
  line.dataset.code = e?.code ?? 'error';
  if (e?.fault?.party) line.dataset.fault = e.fault.party;
  line.title = e?.message || '';
  return line;
}

class Refusal extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
    this.fault = CUSTODIAN_REFUSALS[code]?.party ? { party: CUSTODIAN_REFUSALS[code].party } : null;
  }
}

async function getOrRefuse(url) {
  const res = await api('GET', url);
  if (!res.ok) throw new Refusal('log_unavailable', `${url}: ${errorText(res.error)}`);
  return res.data;
}

/** The tender's closing list, proven from the hall's log (docs/bid-box.md, "The closing list"). */
async function closingList() {
  const keyResp = await fetch('/api/log/key', { credentials: 'same-origin' }).catch(() => null);
  if (!keyResp?.ok) throw new Refusal('log_unavailable', 'GET /api/log/key failed');
  const verifierKey = (await keyResp.text()).trim();
  let closingIndex = null;
  for (let after = -1; closingIndex === null;) {
    const page = await getOrRefuse(`/api/log/entries?tender=${encodeURIComponent(tenderId)}&after=${after}&limit=1000`);
    const found = page.find((e) => e.kind === 'box_closed');
    if (found) closingIndex = found.index;
    else if (page.length === 1000) after = page[page.length - 1].index;
    else throw new Refusal('box_not_closed', `the log has no closing of tender ${tenderId} yet`);
  }
  const closing = await getOrRefuse(`/api/log/receipts/${closingIndex}`);
  let lists = [];
  try {
    lists = JSON.parse(new TextDecoder().decode(base64ToBytes(closing.entry_b64))).payload.envelope_lists;
  } catch { /* verifyClosing says why */ }
  const parts = [];
  for (const i of Array.isArray(lists) ? lists : []) parts.push(await getOrRefuse(`/api/log/receipts/${Number(i)}`));
  return verifyClosing({ tenderId, verifierKey, closing, parts });
}

async function releaseIndex(index, list) {
  const key = await loadCustodianKey(tenderId, index);
  if (!key) {
    list.append(resultLine('field-error', `#${index}: ${t('js_key_not_here')}`));
    return 0;
  }
  const res = await api('GET', `${base}/opening/shares/${index}`);
  if (!res.ok) {
    list.append(resultLine('field-error', `#${index}: ${errorText(res.error)}`));
    return 0;
  }
  let counted;
  let tender;
  try {
    const [spec, custodians] = [await getOrRefuse(base), await getOrRefuse(`${base}/custodians`)];
    const keys = custodians.map((c) => base64ToBytes(c.public_key || ''));
    const mine = custodians[index - 1];
    if (!mine?.fingerprint || toHex(await fingerprint(key.publicKey)) !== mine.fingerprint) {
      throw new Refusal('wrong_custodian_key', `the key in this browser is not the one registered for custodian ${index}`);
    }
    tender = { tenderId, k: spec.spec.custodians.k, custodians: keys, index, custodianKey: key };
    counted = await closingList();
  } catch (e) {
    list.append(refusalLine(`#${index}`, e));
    return 0;
  }
  const shares = [];
  for (const item of res.data) {
    try {
      const bytes = base64ToBytes(item.header);
      if (!bytes) throw new Refusal('bad_header', t('js_bad_header'));
      const released = await checkBeforeRelease({
        ...tender,
        counted,
        item: {
          bid_id: item.bid_id,
          header: bytes,
          tenderer_id: item.tenderer_id,
          tenderer_keys: (item.tenderer_keys || []).map(base64ToBytes).filter(Boolean),
        },
      });
      shares.push({ bid_id: item.bid_id, share: encodeReleasedShare(released) });
      released.share.fill(0);
      released.salt.fill(0);
    } catch (e) {
      list.append(refusalLine(`#${index} · ${item.bid_id}`, e));
    }
  }
  for (const listed of counted.values()) {
    if (!res.data.some((item) => item.bid_id === listed.bid_id)) {
      list.append(refusalLine(`#${index} · ${listed.bid_id}`, new Refusal('not_served', `bid ${listed.bid_id} was not served`)));
    }
  }
  if (shares.length === 0) {
    list.append(resultLine('', `#${index}: ${t('js_nothing_to_release')} (${res.data.length})`));
    return 0;
  }
  const posted = await api('POST', `${base}/opening/shares/${index}`, shares);
  if (!posted.ok) {
    const bid = posted.error.details?.bid_id ? ` (${posted.error.details.bid_id})` : '';
    list.append(resultLine('field-error', `#${index}: ${errorText(posted.error)}${bid}`));
    return 0;
  }
  list.append(resultLine('', `#${index}: ${t('js_released')} ${posted.data?.accepted ?? shares.length} / ${res.data.length}`));
  return shares.length;
}

async function release() {
  const list = $('release-results');
  const box = $('release-status');
  list.replaceChildren();
  setStatus(box, 'info', t('js_working'));
  let total = 0;
  for (const index of [...held].sort((a, b) => a - b)) total += await releaseIndex(index, list);
  setStatus(box, total > 0 ? 'success' : 'warn', `${t('js_released')} ${total}`);
}

$('signing-key-create').addEventListener('click', async (event) => {
  try {
    await busy(event.currentTarget, signingKey);
    setStatus(status, 'success', t('js_signing_key_ready'));
  } catch (e) {
    setStatus(status, 'error', e.message || String(e));
  }
});
$('release').addEventListener('click', (event) => busy(event.currentTarget, release));
showSigningKey();
loadCustodians();
