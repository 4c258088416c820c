// The award desk of one tender (docs/award.md): the host forms the committee and hands out codes
// and publicises each lot's candidates; the owner answers objections, issues each lot's award
// notice and records its contract (hashing the signed document in this browser), and the owner's
// side records it performed; a tenderer objects or declines. Every action is a call to the award
// API, which decides; the page only shows its answer.

import { api, pageData, t } from './api.js';
import { beijingLocal, beijingText, fenToYuan, formatYuan, localToRfc3339, yuanToFen } from './format.js';

const { tender_id: id, role, host, owner, manages, now } = pageData();
const desk = document.getElementById('desk');
const errorBox = document.getElementById('desk-error');
const url = (path) => `/api/tenders/${encodeURIComponent(id)}/${path}`;
const lotQuery = (lot) => (lot ? `?lot_id=${encodeURIComponent(lot)}` : '');
// The hall's time when the page was made, moved on by the time spent on the page since.
const loadedAt = Date.now();
const hallNow = () => (Date.parse(now) || loadedAt) + (Date.now() - loadedAt);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') node.textContent = v;
    else if (v !== false && v !== null && v !== undefined) node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) node.append(c);
  return node;
}

async function call(method, path, body) {
  errorBox.hidden = true;
  const res = await api(method, url(path), body);
  if (!res.ok) {
    errorBox.textContent = res.error.message;
    errorBox.hidden = false;
    return null;
  }
  return res.data ?? {};
}

function codesTable(members) {
  return el('div', { class: 'table-wrap' }, el('table', { class: 'responsive', id: 'desk-codes' },
    el('caption', { text: t('desk_codes_once') }),
    el('tbody', {}, ...members.map((m) => el('tr', {},
      el('td', { text: m.seat }), el('td', { text: m.name }), el('td', {}, el('code', { text: m.code })))))));
}

function form(idName, fields, label, submit) {
  const f = el('form', { class: 'stack', id: idName });
  for (const [name, text, attrs] of fields) {
    const input = el(attrs.tag || 'input', { id: `${idName}-${name}`, name, ...attrs, tag: null, options: null });
    for (const [v, label] of attrs.options || []) input.append(el('option', { value: v, text: label }));
    f.append(el('div', { class: 'field' }, el('label', { for: `${idName}-${name}`, text }), input));
  }
  f.append(el('div', { class: 'actions' }, el('button', { type: 'submit', text: label })));
  f.addEventListener('submit', async (event) => {
    event.preventDefault();
    await submit(f);
  });
  return f;
}

const value = (f, name) => f.elements.namedItem(name).value.trim();

async function sha256Hex(file) {
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function candidates(lot) {
  if (!lot.candidates.length) return [];
  const rows = lot.candidates.map((c) => el('tr', {},
    el('td', { 'data-label': t('award_rank'), text: c.rank }),
    el('td', { 'data-label': t('award_tenderer'), text: `${c.org_name}${c.declined ? ` (${t('award_declined')})` : ''}` }),
    el('td', { 'data-label': t('award_price'), class: 'num', text: formatYuan(c.price_fen) }),
    el('td', { 'data-label': t('award_score'), class: 'num', text: c.score ?? '—' })));
  return [el('div', { class: 'table-wrap' }, el('table', { class: 'responsive' },
    el('caption', { text: t('award_candidates') }), el('tbody', {}, ...rows)))];
}

/** One lot's section: its stage, candidates, notice and contract, and what the viewer may do. */
function lotSection(a, lot, n) {
  const key = `lot${n}`;
  const q = lotQuery(lot.lot_id);
  const withLot = (body) => ({ ...body, lot_id: lot.lot_id });
  const parts = [el('h2', { text: `${lot.name || t('award_lot')} · ${t(`award_stage_${lot.stage}`)}` })];
  if (lot.my_result) parts.push(el('p', { class: 'alert info my-result', 'data-result': lot.my_result, text: t(`award_my_${lot.my_result}`) }));
  if (lot.failure) parts.push(el('p', { class: 'alert info', text: t(`award_failed_${lot.failure.rule}`) }));
  if (lot.publicity) parts.push(el('p', { text: `${t('award_publicity_until')}: ${beijingText(lot.publicity.until)}` }));
  parts.push(...candidates(lot));
  if (host && lot.stage === 'evaluated') {
    const until = beijingLocal(hallNow() + 3 * 86400000 + 3600000);
    parts.push(el('h3', { text: t('desk_publicise') }), form(`desk-publicise-${key}`,
      [['count', t('desk_count'), { type: 'number', min: '1', max: String(Math.min(3, lot.passing ?? 3)), value: String(Math.min(3, lot.passing ?? 3)) }],
        ['until', t('award_publicity_until'), { type: 'datetime-local', value: until }]],
      t('desk_publicise'), async (f) => {
        const body = withLot({ count: Number(value(f, 'count')), until: localToRfc3339(value(f, 'until')) });
        if (await call('POST', 'award/candidates', body)) show();
      }));
  }
  for (const o of (a.objections || []).filter((x) => (x.lot_id ?? '') === lot.lot_id)) {
    const item = el('div', { class: 'objection' }, el('p', { text: `#${o.id} ${o.org_name}: ${o.text}` }));
    if (o.answer) item.append(el('p', { text: `${t('desk_answer')}: ${o.answer}${o.late ? ` (${t('desk_late')})` : ''}` }));
    else if (host || owner) {
      item.append(form(`desk-answer-${o.id}`, [['text', t('desk_answer'), { tag: 'textarea', rows: '2' }]], t('desk_answer'), async (f) => {
        if (await call('POST', `award/objections/${o.id}/answer`, { text: value(f, 'text') })) show();
      }));
    }
    parts.push(item);
  }
  if (owner && lot.stage === 'publicised') {
    const b = el('button', { type: 'button', class: 'desk-notice', id: `desk-notice-${key}`, text: t('desk_issue_notice') });
    b.addEventListener('click', async () => { if (await call('POST', `award/notice${q}`)) show(); });
    parts.push(el('div', { class: 'actions' }, b));
  }
  if (lot.notice) parts.push(el('p', { class: 'desk-notice-done', text: `${t('award_notice')}: ${lot.notice.org_name} · ${formatYuan(lot.notice.price_fen)} · ${t('award_contract_due')} ${beijingText(lot.notice.contract_due)}` }));
  if (owner && lot.stage === 'awarded') {
    parts.push(el('h3', { text: t('desk_contract') }), form(`desk-contract-${key}`,
      [['price', t('desk_contract_price'), { inputmode: 'decimal', value: fenToYuan(lot.notice.price_fen) }],
        ['file', t('desk_contract_file'), { type: 'file', required: true }]],
      t('desk_contract'), async (f) => {
        const file = f.elements.namedItem('file').files[0];
        const price = yuanToFen(value(f, 'price'));
        if (!file || price === null) {
          errorBox.textContent = t(file ? 'desk_bad_price' : 'desk_no_file');
          errorBox.hidden = false;
          return;
        }
        const body = withLot({ price_fen: price, document_sha256: await sha256Hex(file) });
        if (await call('POST', 'award/contract', body)) show();
      }));
  }
  if (lot.contract) parts.push(el('p', { class: 'desk-contract-done breakall', text: `${t('award_contract')}: ${lot.contract.org_name} · ${formatYuan(lot.contract.price_fen)} · ${lot.contract.document_sha256}` }));
  if (manages && lot.stage === 'contracted') {
    const b = el('button', { type: 'button', class: 'desk-performed', id: `desk-performed-${key}`, text: t('desk_performed') });
    b.addEventListener('click', async () => { if (await call('POST', `bonds/performance-completed${q}`)) show(); });
    parts.push(el('p', { class: 'muted', text: t('desk_performed_lead') }), el('div', { class: 'actions' }, b));
  }
  if (owner && !['contracted', 'completed', 'failed'].includes(lot.stage)) {
    parts.push(form(`desk-cancel-${key}`, [['reason', t('desk_terminate_reason'), { tag: 'textarea', rows: '2' }]], t('desk_cancel_lot'), async (f) => {
      if (await call('POST', 'award/termination', withLot({ reason: value(f, 'reason') }))) show();
    }));
  }
  if (lot.failure?.rule === 'terminated') parts.push(el('p', { class: 'muted', text: lot.failure.message }));
  if (role === 'tenderer' && lot.stage === 'publicised') {
    parts.push(el('h3', { text: t('desk_object') }), form(`desk-object-${key}`, [['text', t('desk_object'), { tag: 'textarea', rows: '3' }]],
      t('desk_object'), async (f) => { if (await call('POST', 'award/objections', withLot({ text: value(f, 'text') }))) show(); }));
  }
  const mine = lot.candidates.some((c) => !c.declined && c.org_id === pageData().org_id);
  if (role === 'tenderer' && mine && ['publicised', 'awarded'].includes(lot.stage)) {
    parts.push(form(`desk-decline-${key}`, [['text', t('desk_decline_reason'), {}]], t('desk_decline'), async (f) => {
      if (await call('POST', 'award/decline', withLot({ text: value(f, 'text') }))) show();
    }));
  }
  return el('section', { class: 'panel award-lot', id: `desk-${key}`, 'data-lot': lot.lot_id, 'data-stage': lot.stage }, ...parts);
}

async function show(extra = []) {
  const a = await call('GET', 'award');
  if (!a) return;
  const parts = [el('p', { id: 'desk-stage', 'data-stage': a.stage, text: `${t('award_stage')}: ${t(`award_stage_${a.stage}`)}` }), ...extra];
  // One committee for every lot, or — where the documents say so — one per lot, each formed
  // from an expert draw of its own (docs/award.md §1).
  const perLot = a.committee_per_lot && (a.committee_lots || []).length > 0;
  if (host && (perLot || (!a.committee_per_lot && a.stage === 'not_started'))) {
    const fields = [['reps', t('desk_reps'), { tag: 'textarea', rows: '2' }]];
    if (perLot) fields.unshift(['lot', t('desk_committee_lot'), { tag: 'select', options: a.committee_lots.map((l) => [l.lot_id, l.name]) }]);
    parts.push(el('h2', { text: t('desk_form_committee') }));
    if (perLot) parts.push(el('p', { class: 'muted', id: 'desk-committee-per-lot', text: t('desk_committee_per_lot') }));
    parts.push(form('desk-committee', fields, t('desk_form_committee'), async (f) => {
      const reps = value(f, 'reps').split('\n').map((s) => s.trim()).filter(Boolean);
      const body = { owner_representatives: reps };
      if (perLot) body.lot_id = value(f, 'lot');
      const r = await call('POST', 'evaluation/committee', body);
      if (r) show([codesTable(r.members)]);
    }));
  }
  if (host && (a.committees || []).some((c) => ['committee_formed', 'evaluating'].includes(c.stage))) {
    const b = el('button', { type: 'button', id: 'desk-codes-button', text: t('desk_issue_codes') });
    b.addEventListener('click', async () => {
      const r = await call('POST', 'evaluation/codes', {});
      if (r) show([codesTable(r.members)]);
    });
    parts.push(el('p', { text: `${t('desk_progress')}: ${a.committee.declared}/${a.committee.members} · ${a.committee.signed}/${a.committee.members}` }), b);
  }
  // 条例52: the committee's written questions about this tenderer's bids, to answer here.
  if (role === 'tenderer' && (a.clarifications || []).length) {
    parts.push(el('h2', { text: t('desk_clarifications') }));
    for (const c of a.clarifications) {
      const item = el('div', { class: 'clarification', 'data-id': c.id }, el('p', { text: `${t('eval_seat')} ${c.seat}：${c.text}` }));
      if (c.answer) item.append(el('p', { text: `${t('eval_clarify_answer')}：${c.answer}` }));
      else {
        item.append(form(`desk-clarify-${c.id}`, [['text', t('eval_clarify_answer'), { tag: 'textarea', rows: '3' }]], t('desk_clarify_send'), async (f) => {
          if (await call('POST', `award/clarifications/${c.id}/answer`, { text: value(f, 'text') })) show();
        }));
      }
      parts.push(item);
    }
  }
  (a.lots || []).forEach((lot, i) => parts.push(lotSection(a, lot, i + 1)));
  const contracted = (a.lots || []).some((l) => ['contracted', 'completed'].includes(l.stage));
  if (owner && a.stage !== 'failed' && !contracted) {
    parts.push(el('h2', { text: t('desk_terminate') }), form('desk-terminate', [['reason', t('desk_terminate_reason'), { tag: 'textarea', rows: '2' }]], t('desk_terminate'), async (f) => {
      if (await call('POST', 'award/termination', { reason: value(f, 'reason') })) show();
    }));
  }
  desk.replaceChildren(...parts);
}

show();
