// The opening hall of one tender (docs/opening.md): reads who the viewer is from the opening's
// state, then follows the hall's events over a websocket that reconnects by itself and folds them
// (../opening.js) into the page — countdown, phase, participants, the bid table in announcement
// order, custodians, objections, banners — and offers the viewer's own actions. Every action goes
// through the JSON API; the page only shows what the events say. Text from the hall reaches the
// page through textContent only.

import { api, pageData, t } from './api.js';
import { beijingText, formatYuan } from './format.js';
import { busy } from './fields.js';
import {
  FINAL_PHASES, OpeningStream, emptyState, faultOf, foldEvents, formatCountdown, remainingMs, socketUrl, tableRows,
} from '../opening.js';

const $ = (id) => document.getElementById(id);
const { tender_id: tenderId, custodian: holdsKey, lots: lotNames = {} } = pageData();
const base = `/api/tenders/${encodeURIComponent(tenderId)}/opening`;

let viewer = { role: 'public' };
let state = emptyState({ deadline: $('op-deadline').getAttribute('datetime') });
// What the API's state said of objections: those this viewer may see (every one, once the
// opening concluded and the record printed them) and how many were raised in all.
let told = { objections: [], raised: 0 };
let clockOffset = 0; // the hall's clock minus this browser's, when the hall says what time it is
let stream = null;

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

/** A translated label for a code, or the code itself when the page has no words for it. */
function label(prefix, code) {
  if (code == null || code === '') return '—';
  const id = `${prefix}${code}`;
  const text = t(id);
  return text === id ? String(code) : text;
}

/** The technical reason a bid could not be opened is the bid box's own English words (they are
 * in the signed record as written); a Chinese page says who is at fault instead. */
function englishOnly(reason) {
  return document.documentElement.lang === 'en' && reason ? ` ${reason}` : '';
}

/** A lot's name as the tender lists it, or its id. */
function lotName(id) {
  return lotNames[id] ?? id;
}

function faultLabel(fault) {
  const f = faultOf(fault);
  if (!f) return '—';
  return `${label('js_opening_fault_', f.code)}${f.index == null ? '' : ` #${f.index}`}`;
}

function status(text, kind = 'info') {
  const s = $('op-status');
  s.textContent = text;
  s.className = text ? `alert ${kind}` : '';
  s.hidden = !text;
}

// ---- who is watching ---------------------------------------------------------------------------

/** The viewer's roles in this opening: `host`, `supervisor`, `tenderer`, `custodian`, `public`. */
function roles() {
  const set = new Set();
  if (viewer.role) set.add(viewer.role);
  for (const r of viewer.roles ?? []) set.add(r);
  if (holdsKey || viewer.custodian != null || (viewer.custodians ?? []).length) set.add('custodian');
  return set;
}

/** The role the viewer signs in as, if it signs in at all. */
function signInRole() {
  const r = roles();
  return ['host', 'supervisor', 'tenderer'].find((x) => r.has(x)) ?? null;
}

function signedIn() {
  const role = signInRole();
  return role != null && state.participants.some((p) => p.org_id === viewer.org_id && p.role === role);
}

// ---- drawing the view --------------------------------------------------------------------------

function renderBanners() {
  $('op-suspended').hidden = !state.suspended;
  $('op-suspended-reason').textContent = state.suspended ? `${t('js_opening_reason')}${state.suspended.reason}` : '';
  $('op-failed').hidden = !state.failure;
  if (state.failure) {
    const f = state.failure;
    $('op-failed-text').textContent = `${label('js_opening_rule_', f.rule)} ${t('js_opening_count')} ${f.count}`;
  }
  const thin = state.not_opened ?? [];
  $('op-not-opened').hidden = thin.length === 0;
  $('op-not-opened-text').textContent = thin
    .map((l) => `${lotName(l.lot_id)}（${t('js_opening_count')} ${l.count}）`)
    .join('；');
  $('op-concluded').hidden = !state.concluded;
  $('op-record-sha').textContent = state.concluded?.record_sha256 ?? '—';
}

function renderOverview() {
  const phase = state.suspended ? 'suspended' : state.phase;
  const badge = $('op-phase');
  badge.dataset.phase = phase;
  badge.textContent = label('js_opening_phase_', phase);
  if (state.deadline) {
    $('op-deadline').setAttribute('datetime', state.deadline);
    $('op-deadline').textContent = beijingText(state.deadline);
  }
  $('op-count').textContent = state.count == null ? '—' : String(state.count);
  const w = state.confirmation;
  $('op-window').textContent = w ? `${beijingText(w.until)} (${w.minutes} ${t('js_opening_minutes')})` : '—';
  tick();
}

/** The countdown: to the deadline before it, to the window's end while confirming. */
function tick() {
  const now = Date.now() + clockOffset;
  let target = null;
  let labelId = 'js_opening_until_deadline';
  if (['scheduled', 'lobby'].includes(state.phase)) target = state.deadline;
  else if (state.phase === 'confirming' && state.confirmation) {
    target = state.confirmation.until;
    labelId = 'js_opening_until_window_end';
  }
  const ms = target ? remainingMs(target, now) : null;
  $('op-countdown-label').textContent = t(labelId);
  $('op-countdown').textContent = ms == null ? '—' : formatCountdown(ms);
}

function renderParticipants() {
  $('op-participants').replaceChildren(...state.participants.map((p) => el('li', { dataset: { org: p.org_id ?? '', role: p.role } },
    el('span', { className: 'badge', text: label('js_opening_role_', p.role) }), ` ${p.org_name ?? p.org_id ?? ''} `,
    el('time', { className: 'muted', dateTime: p.at ?? '', text: beijingText(p.at) }))));
}

const rowNodes = new Map();

function lineRow(n) {
  let row = rowNodes.get(n);
  if (row) return row;
  row = el('tr', { dataset: { n: String(n) } });
  for (const cell of ['n', 'tenderer', 'price', 'duration', 'quality', 'bond', 'progress', 'confirmed']) {
    const td = el('td', { dataset: { cell } });
    if (['n', 'price', 'duration'].includes(cell)) td.className = 'num';
    td.dataset.label = document.querySelector(`#op-table thead th:nth-child(${row.children.length + 1})`)?.textContent ?? '';
    row.append(td);
  }
  rowNodes.set(n, row);
  return row;
}

function renderLines() {
  const rows = tableRows(state);
  const mine = (line) => line && viewer.org_id && line.org_id === viewer.org_id;
  const body = $('op-lines');
  const nodes = rows.map((r) => {
    const row = lineRow(r.n);
    const cell = (name) => row.querySelector(`[data-cell="${name}"]`);
    const line = r.line;
    row.dataset.status = line?.status ?? 'sealed';
    row.classList.toggle('mine', Boolean(mine(line)));
    cell('n').textContent = String(r.n);
    if (!line || line.status == null) {
      cell('tenderer').replaceChildren(el('code', { className: 'hash', title: r.commitment ?? '', text: r.commitment ? `${r.commitment.slice(0, 16)}…` : '—' }));
      for (const c of ['price', 'duration', 'quality']) cell(c).textContent = '—';
    } else {
      cell('tenderer').textContent = line.org_name ?? line.org_id ?? '';
      if (line.status === 'opened') {
        cell('price').textContent = line.price_fen == null ? '—' : formatYuan(line.price_fen);
        cell('duration').textContent = line.duration_days == null ? '—' : `${line.duration_days} ${t('js_opening_days')}`;
        cell('quality').textContent = line.quality ?? '—';
      } else {
        cell('price').textContent = '';
        cell('duration').textContent = '';
        cell('quality').replaceChildren(el('span', { className: 'alert-text', text: `${t('js_opening_not_opened')}${englishOnly(line.reason)}` }),
          el('br'), el('small', { text: `${t('js_opening_fault')} ${faultLabel(line.fault)}` }));
      }
    }
    cell('bond').textContent = label('js_opening_bond_', r.bond);
    cell('bond').dataset.bond = r.bond ?? '';
    cell('progress').textContent = r.progress ? `${r.progress.released}/${r.progress.needed}` : '—';
    const confirmedCell = cell('confirmed');
    if (line?.confirmed) {
      confirmedCell.replaceChildren(el('span', { className: 'badge status-published', text: `✓ ${t('js_opening_confirmed')}` }));
      confirmedCell.dataset.confirmed = 'yes';
    } else if (mine(line) && state.phase === 'confirming' && !state.suspended) {
      confirmedCell.dataset.confirmed = 'no';
      if (!confirmedCell.querySelector('button')) {
        const b = el('button', { type: 'button', text: t('js_opening_confirm_line'), dataset: { action: 'confirm', n: String(r.n) } });
        b.addEventListener('click', () => act(b, `lines/${r.n}/confirm`, {}));
        confirmedCell.replaceChildren(b);
      }
    } else {
      confirmedCell.dataset.confirmed = 'no';
      confirmedCell.textContent = '—';
    }
    return row;
  });
  body.replaceChildren(...nodes);
  $('op-lines-empty').hidden = nodes.length > 0;

  // the objection form offers the opening as a whole and every announced line
  const select = $('op-objection-line');
  const chosen = select.value;
  const announced = rows.filter((r) => r.line?.status);
  if (select.options.length !== announced.length + 1) {
    select.replaceChildren(el('option', { value: '', text: t('js_opening_whole') }),
      ...announced.map((r) => el('option', { value: String(r.n), text: `${r.n} · ${r.line.org_name ?? ''}` })));
    select.value = chosen;
  }
}

function renderCustodians() {
  $('op-k').textContent = state.k == null ? '' : `k = ${state.k}`;
  $('op-custodians').replaceChildren(...state.custodians.map((c) => el('li', { dataset: { index: String(c.index), released: c.released ? 'yes' : 'no' } },
    `#${c.index} ${label('custodian_', c.kind)}${c.org_name && c.kind !== 'time_release' ? `: ${c.org_name}` : ''} — `,
    el('strong', { text: c.released ? `✓ ${t('js_opening_released')}` : t('js_opening_not_released') }))));
  const until = $('op-release-until');
  until.hidden = !state.release_until;
  until.textContent = state.release_until ? `${t('js_opening_release_until')} ${beijingText(state.release_until)}` : '';
  const missing = $('op-missing');
  missing.hidden = !state.missing;
  if (state.missing) {
    const who = state.missing.custodians.map((c) => `#${c.index} ${c.org_name ?? t('custodian_time_release')}`).join('、');
    missing.textContent = `${t('js_opening_missing')} ${who}; ${t('js_opening_waiting')} ${state.missing.waiting.join(', ')}`;
  }
}

const objectionNodes = new Map();

function objectionItem(o) {
  let item = objectionNodes.get(o.id);
  if (item) return item;
  item = el('li', { dataset: { id: o.id } },
    el('p', { className: 'meta', dataset: { part: 'head' } }),
    el('p', { className: 'prose', dataset: { part: 'text' } }),
    el('p', { className: 'prose answer', dataset: { part: 'answer' }, hidden: true }));
  const form = el('div', { className: 'row', dataset: { part: 'answer-form' }, hidden: true });
  const input = el('textarea', { rows: 2, maxLength: 2000, dataset: { field: 'answer' } });
  input.setAttribute('aria-label', t('js_opening_answer'));
  const button = el('button', { type: 'button', text: t('js_opening_answer'), dataset: { action: 'answer' } });
  button.addEventListener('click', async () => {
    const r = await act(button, `objections/${encodeURIComponent(o.id)}/answer`, { text: input.value });
    if (r.ok) input.value = '';
  });
  form.append(el('div', { className: 'field grow' }, input), el('div', { className: 'actions' }, button));
  item.append(form);
  objectionNodes.set(o.id, item);
  return item;
}

/** The objections this viewer may see: the API's, updated by the events the viewer is sent. */
function visibleObjections() {
  const byId = new Map(told.objections.map((o) => [o.id, o]));
  for (const o of state.objections) byId.set(o.id, o);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

function renderObjections() {
  const host = roles().has('host');
  const shown = visibleObjections();
  const withheld = Math.max(0, told.raised - shown.length);
  const nodes = shown.map((o) => {
    const item = objectionItem(o);
    const part = (p) => item.querySelector(`[data-part="${p}"]`);
    item.dataset.answered = o.answer == null ? 'no' : 'yes';
    part('head').textContent = `${o.org_name ?? ''} · ${o.n == null ? t('js_opening_whole') : `${t('js_opening_line')} ${o.n}`} · ${beijingText(o.raised_at)}`;
    part('text').textContent = o.text ?? '';
    part('answer').hidden = o.answer == null;
    part('answer').textContent = o.answer == null ? '' : `${t('js_opening_answered')} ${o.answer}`;
    part('answer-form').hidden = !(host && o.answer == null && !state.concluded);
    return item;
  });
  $('op-objections').replaceChildren(...nodes);
  $('op-objections-withheld').hidden = withheld === 0;
  $('op-objections-withheld').textContent = t('js_opening_objections_withheld').replace('{n}', String(withheld));
  $('op-objections-empty').hidden = nodes.length > 0 || withheld > 0;
}

/** Reads the objections from the API's state again: the count, and every one once concluded. */
async function refreshObjections() {
  const r = await api('GET', base);
  if (!r.ok) return;
  told = { objections: r.data?.objections ?? [], raised: r.data?.objections_raised ?? 0 };
  scheduleRender();
}

function renderControls() {
  const r = roles();
  const final = FINAL_PHASES.has(state.phase);
  const suspended = Boolean(state.suspended);
  const role = signInRole();
  const showMine = role != null || r.has('custodian');
  $('op-mine').hidden = !showMine;
  $('op-viewer').textContent = [...r].filter((x) => x !== 'public').map((x) => label('js_opening_role_', x)).join(' · ');
  const done = signedIn();
  $('op-signin').hidden = role == null || done || final;
  $('op-signin').disabled = state.phase === 'scheduled' || suspended;
  $('op-signed-in').hidden = !done;
  $('op-custodian-link').hidden = !r.has('custodian');

  $('op-host').hidden = !r.has('host') || final;
  $('op-open-window').disabled = state.phase !== 'announced' || suspended;
  $('op-conclude').disabled = state.phase !== 'confirming' || suspended;

  $('op-supervisor').hidden = !r.has('supervisor') || final;
  $('op-suspend').hidden = suspended;
  $('op-resume').hidden = !suspended;

  $('op-tenderer').hidden = !r.has('tenderer') || final;
  $('op-object').disabled = state.phase !== 'confirming' || suspended;
}

const eventNodes = new Map();

function logEvent(e) {
  if (eventNodes.has(e.seq)) return;
  const item = el('li', { value: e.seq, dataset: { seq: String(e.seq), kind: e.kind } },
    el('time', { className: 'muted', dateTime: e.at ?? '', text: beijingText(e.at) }), ' ',
    el('span', { text: label('js_opening_ev_', e.kind) }));
  const detail = eventDetail(e);
  if (detail) item.append(' — ', el('span', { className: 'detail', text: detail }));
  eventNodes.set(e.seq, item);
  $('op-events').append(item);
}

/** One line of what an event says, for the hall's running record. */
function eventDetail(e) {
  const b = e.body ?? {};
  switch (e.kind) {
    case 'signed_in': return `${b.org_name ?? ''} (${label('js_opening_role_', b.role)})`;
    case 'box_closed': return `${t('js_opening_count')} ${b.count}`;
    case 'sign_ins_disclosed': return (b.participants ?? []).map((p) => p.org_name ?? '').join('、');
    case 'opening_failed': return label('js_opening_rule_', b.rule);
    case 'lots_not_opened': return (b.lots ?? []).map((l) => `${lotName(l.lot_id)}（${l.count}）`).join('、');
    // The time-release custodian is the hall itself: named by its kind, in the page's language.
    case 'shares_released': return `#${b.custodian} ${state.custodians?.find((c) => c.index === b.custodian)?.kind === 'time_release' ? t('custodian_time_release') : (b.by ?? '')}`.trimEnd();
    case 'bid_announced': return `${b.n} · ${b.org_name ?? ''}${b.status === 'opened' && b.price_fen != null ? ` · ${formatYuan(b.price_fen)}` : ` · ${t('js_opening_not_opened')}${englishOnly(b.reason)}`}`;
    case 'confirmation_opened': return `${b.minutes} ${t('js_opening_minutes')}`;
    case 'line_confirmed': return `${b.n} · ${b.org_name ?? ''}`;
    case 'objection_raised': return `${b.org_name ?? ''}: ${b.text ?? ''}`;
    case 'objection_answered': return b.answer ?? '';
    case 'suspended':
    case 'resumed': return b.reason ?? '';
    default: return '';
  }
}

let pending = false;

function render() {
  pending = false;
  document.body.dataset.lastSeq = String(state.last_seq);
  document.body.dataset.phase = state.phase;
  renderBanners();
  renderOverview();
  renderParticipants();
  renderLines();
  renderCustodians();
  renderObjections();
  renderControls();
}

/** Many events arrive at once from a backlog: draw once per frame, not once per event. */
function scheduleRender() {
  if (pending) return;
  pending = true;
  setTimeout(render, 0);
}

// ---- actions -----------------------------------------------------------------------------------

async function act(button, path, body) {
  const r = await busy(button, () => api('POST', `${base}/${path}`, body));
  status(r.ok ? t('js_opening_done') : r.error.message, r.ok ? 'success' : 'error');
  render();
  return r;
}

$('op-signin').addEventListener('click', (e) => act(e.currentTarget, 'sign-in', {}));
$('op-open-window').addEventListener('click', (e) => act(e.currentTarget, 'confirmation-window', { minutes: Number($('op-minutes').value) }));
$('op-conclude').addEventListener('click', (e) => act(e.currentTarget, 'conclude', {}));
$('op-suspend').addEventListener('click', (e) => act(e.currentTarget, 'suspend', { reason: $('op-reason').value }));
$('op-resume').addEventListener('click', async (e) => {
  const r = await act(e.currentTarget, 'resume', { reason: $('op-reason').value });
  if (r.ok) $('op-reason').value = '';
});
$('op-object').addEventListener('click', async (e) => {
  const line = $('op-objection-line').value;
  const r = await act(e.currentTarget, 'objections', { line: line === '' ? null : Number(line), text: $('op-objection-text').value });
  if (r.ok) $('op-objection-text').value = '';
});

// ---- start -------------------------------------------------------------------------------------

function connection(s) {
  const c = $('op-conn');
  c.dataset.state = s;
  c.textContent = label('js_opening_conn_', s);
}

const snapshot = await api('GET', base);
if (snapshot.ok) {
  const d = snapshot.data ?? {};
  viewer = d.viewer ?? viewer;
  told = { objections: d.objections ?? [], raised: d.objections_raised ?? 0 };
  state = emptyState({ deadline: d.deadline ?? state.deadline, lobby_from: d.lobby_from ?? null });
  if (d.phase) state.phase = d.phase === 'suspended' ? state.phase : d.phase;
  if (d.failure) state.failure = d.failure;
  if (d.not_opened) state.not_opened = d.not_opened;
  const hallNow = Date.parse(d.now ?? '');
  if (!Number.isNaN(hallNow)) clockOffset = hallNow - Date.now();
} else {
  status(snapshot.error.message, 'error');
}
render();
setInterval(tick, 1000);
// Objections are raised while confirming, and others' are not sent to this viewer: ask how many.
setInterval(() => {
  if (state.phase === 'confirming') refreshObjections();
}, 15_000);

stream = new OpeningStream({
  connect: (after) => new WebSocket(socketUrl(location.origin, tenderId, after)),
  onEvent: (e) => {
    state = foldEvents(state, e);
    logEvent(e);
    scheduleRender();
    // nothing follows a conclusion or a failure: let the socket go
    if (e.kind === 'concluded' || e.kind === 'opening_failed') queueMicrotask(() => stream.close());
    // the record, now signed, prints every objection: show them as it does
    if (e.kind === 'concluded') refreshObjections();
  },
  onStatus: connection,
});
stream.start();
