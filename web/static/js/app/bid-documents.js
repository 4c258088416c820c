// The bid documents page: lists the opening's bids from the public record; "check" fetches the
// sealed envelope and verifies its announced line in this browser (announced.js); "read" asks the
// API for the documents — with the committee member's token when this tab holds one for this
// tender, else the session cookie — and lists the files to save. The API decides who may read.

import { api, pageData, t } from './api.js';
import { formatYuan } from './format.js';
import { verifyAnnouncedLine } from './announced.js';
import { readTar } from '../sealbox.js';

const data = pageData();
const tenderId = data.tender_id;
const base = `/api/tenders/${encodeURIComponent(tenderId)}/opening`;
const status = document.getElementById('docs-status');
const urls = [];

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

function setStatus(kind, text) {
  status.className = kind ? `alert ${kind}` : '';
  status.textContent = text;
  status.hidden = !text;
}

/** The committee member's token, if this tab signed in to this tender's evaluation room. */
function memberToken() {
  try {
    const s = JSON.parse(sessionStorage.getItem('bidhall-member') || 'null');
    return s?.tender_id === tenderId ? s.token : null;
  } catch {
    return null;
  }
}

async function check(line, cell, button) {
  button.disabled = true;
  cell.dataset.state = 'working';
  try {
    const resp = await fetch(`${base}/envelopes/${encodeURIComponent(line.bid_id)}`);
    if (!resp.ok) throw new Error(`${resp.status}`);
    const verdict = await verifyAnnouncedLine(new Uint8Array(await resp.arrayBuffer()), line);
    cell.dataset.state = verdict.ok ? verdict.kind : 'mismatch';
    cell.textContent = !verdict.ok ? `${t('docs_mismatch')} ${verdict.reason}`
      : verdict.kind === 'verified' ? t('docs_verified')
        : verdict.kind === 'sha_only' ? t('docs_v1_sha_only') : t('docs_not_opened');
  } catch (e) {
    cell.dataset.state = 'mismatch';
    cell.textContent = `${t('docs_mismatch')} ${e.message}`;
  } finally {
    button.disabled = false;
  }
}

async function read(line, cell, button) {
  button.disabled = true;
  const headers = {};
  const token = memberToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let resp;
  try {
    resp = await fetch(`${base}/documents/${encodeURIComponent(line.bid_id)}`, { headers, credentials: 'same-origin' });
  } catch {
    resp = null;
  } finally {
    button.disabled = false;
  }
  if (!resp || !resp.ok) {
    let message = resp ? String(resp.status) : t('js_network_error');
    try {
      message = (await resp.json()).error.message;
    } catch { /* keep the status */ }
    cell.dataset.state = resp?.status === 401 ? 'sign-in' : 'refused';
    cell.replaceChildren(el('span', { text: resp?.status === 401 ? t('docs_sign_in') : `${t('docs_refused')} ${message}` }));
    return;
  }
  const bytes = new Uint8Array(await resp.arrayBuffer());
  let files;
  try {
    files = readTar(bytes, { documents: Number(resp.headers.get('x-bidhall-envelope-version')) === 2 });
  } catch (e) {
    cell.dataset.state = 'refused';
    cell.textContent = e.message;
    return;
  }
  const list = el('ul', { className: 'files' });
  for (const f of files) {
    const url = URL.createObjectURL(new Blob([f.data], { type: 'application/octet-stream' }));
    urls.push(url);
    const name = f.name.split('/').pop();
    list.append(el('li', {}, el('a', { href: url, download: name, text: f.name }), ` (${f.data.length} B)`));
  }
  cell.dataset.state = 'read';
  cell.replaceChildren(el('span', { text: files.length ? `${files.length} ${t('docs_files')}` : t('docs_no_files') }), list);
}

async function load() {
  const res = await api('GET', `${base}/record`);
  if (!res.ok) {
    setStatus('error', res.error.message);
    return;
  }
  const body = document.getElementById('docs-body');
  body.replaceChildren(...res.data.map((line) => {
    const price = line.outcome?.bid?.price_fen;
    const verifyCell = el('span', { dataset: { verify: line.bid_id } });
    const verifyButton = el('button', { type: 'button', className: 'secondary', text: t('docs_verify_button'), dataset: { action: 'verify' } });
    verifyButton.addEventListener('click', () => check(line, verifyCell, verifyButton));
    const docsCell = el('div', { dataset: { documents: line.bid_id } });
    const readButton = el('button', { type: 'button', className: 'secondary', text: t('docs_read_button'), dataset: { action: 'read' } });
    readButton.addEventListener('click', () => read(line, docsCell, readButton));
    return el('tr', { id: `bid-${line.bid_id}`, dataset: { bid: line.bid_id, org: line.org_id } },
      el('td', {}, el('code', { text: line.org_id })),
      el('td', { className: 'num', text: price != null ? formatYuan(Number(price)) : (line.outcome?.status ?? t('docs_not_opened')) }),
      el('td', { className: 'num', text: `v${line.version}` }),
      el('td', {}, verifyButton, ' ', verifyCell),
      el('td', {}, readButton, docsCell));
  }));
  // The evaluation room links to one bid's row (`#bid-…`), which exists only now.
  let target = null;
  try {
    target = window.location.hash ? document.getElementById(decodeURIComponent(window.location.hash.slice(1))) : null;
  } catch { /* a hash that is not ours */ }
  if (target) {
    target.classList.add('targeted');
    target.scrollIntoView({ block: 'center' });
  }
}

// A committee member came from the evaluation room in this tab: the way back to it.
if (memberToken()) {
  status.before(el('p', {}, el('a', { href: '/evaluation', id: 'docs-back-to-room', text: t('docs_back_to_room') })));
}

window.addEventListener('pagehide', () => urls.forEach((u) => URL.revokeObjectURL(u)));
load();
