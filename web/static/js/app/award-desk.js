// The award desk of one tender (docs/award.md): the host forms the committee and hands out codes,
// publicises the candidates; the owner answers objections, issues the award notice and records the
// contract (hashing the signed document in this browser); a tenderer objects or declines. Every
// action is a call to the award API, which decides; the page only shows its answer.

import { api, pageData, t } from './api.js';
import { beijingText, formatYuan, localToRfc3339, rfc3339ToLocal } from './format.js';

const { tender_id: id, role, host, owner } = pageData();
const desk = document.getElementById('desk');
const errorBox = document.getElementById('desk-error');
const url = (path) => `/api/tenders/${encodeURIComponent(id)}/${path}`;

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
  return el('table', { class: 'responsive', id: 'desk-codes' },
    el('caption', { text: t('desk_codes_once') }),
    el('tbody', {}, ...members.map((m) => el('tr', {},
      el('td', { text: m.seat }), el('td', { text: m.name }), el('td', {}, el('code', { text: m.code }))))));
}

function form(idName, fields, label, submit) {
  const f = el('form', { class: 'stack', id: idName });
  for (const [name, text, attrs] of fields) {
    const input = el(attrs.tag || 'input', { id: `${idName}-${name}`, name, ...attrs, tag: null });
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

function candidates(a) {
  if (!a.candidates.length) return [];
  const rows = a.candidates.map((c) => el('tr', {},
    el('td', { text: c.rank }), el('td', { text: `${c.org_name}${c.declined ? ` (${t('award_declined')})` : ''}` }),
    el('td', { class: 'num', text: formatYuan(c.price_fen) }), el('td', { class: 'num', text: c.score ?? '—' })));
  return [el('h2', { text: t('award_candidates') }), el('table', { class: 'responsive' }, el('tbody', {}, ...rows))];
}

async function show(extra = []) {
  const a = await call('GET', 'award');
  if (!a) return;
  const parts = [el('p', { id: 'desk-stage', 'data-stage': a.stage, text: `${t('award_stage')}: ${t(`award_stage_${a.stage}`)}` }), ...extra];
  if (a.publicity) parts.push(el('p', { text: `${t('award_publicity_until')}: ${beijingText(a.publicity.until)}` }));
  parts.push(...candidates(a));
  if (host && a.stage === 'not_started') {
    parts.push(el('h2', { text: t('desk_form_committee') }), form('desk-committee',
      [['reps', t('desk_reps'), { tag: 'textarea', rows: '2' }]], t('desk_form_committee'), async (f) => {
        const reps = value(f, 'reps').split('\n').map((s) => s.trim()).filter(Boolean);
        const r = await call('POST', 'evaluation/committee', { owner_representatives: reps });
        if (r) show([codesTable(r.members)]);
      }));
  }
  if (host && ['committee_formed', 'evaluating'].includes(a.stage)) {
    const b = el('button', { type: 'button', id: 'desk-codes-button', text: t('desk_issue_codes') });
    b.addEventListener('click', async () => {
      const r = await call('POST', 'evaluation/codes', {});
      if (r) show([codesTable(r.members)]);
    });
    parts.push(el('p', { text: `${t('desk_progress')}: ${a.committee.declared}/${a.committee.members} · ${a.committee.signed}/${a.committee.members}` }), b);
  }
  if (host && a.stage === 'evaluated') {
    const until = rfc3339ToLocal(new Date(Date.now() + 3 * 86400000 + 3600000).toISOString());
    parts.push(el('h2', { text: t('desk_publicise') }), form('desk-publicise',
      [['count', t('desk_count'), { type: 'number', min: '1', max: '3', value: '3' }],
        ['until', t('award_publicity_until'), { type: 'datetime-local', value: until }]],
      t('desk_publicise'), async (f) => {
        if (await call('POST', 'award/candidates', { count: Number(value(f, 'count')), until: localToRfc3339(value(f, 'until')) })) show();
      }));
  }
  for (const o of a.objections || []) {
    const item = el('div', { class: 'objection' }, el('p', { text: `#${o.id} ${o.org_name}: ${o.text}` }));
    if (o.answer) item.append(el('p', { text: `${t('desk_answer')}: ${o.answer}${o.late ? ` (${t('desk_late')})` : ''}` }));
    else if (host || owner) {
      item.append(form(`desk-answer-${o.id}`, [['text', t('desk_answer'), { tag: 'textarea', rows: '2' }]], t('desk_answer'), async (f) => {
        if (await call('POST', `award/objections/${o.id}/answer`, { text: value(f, 'text') })) show();
      }));
    }
    parts.push(item);
  }
  if (owner && a.stage === 'publicised') {
    const b = el('button', { type: 'button', id: 'desk-notice', text: t('desk_issue_notice') });
    b.addEventListener('click', async () => { if (await call('POST', 'award/notice', {})) show(); });
    parts.push(el('div', { class: 'actions' }, b));
  }
  if (a.notice) parts.push(el('p', { text: `${t('award_notice')}: ${a.notice.org_name} · ${formatYuan(a.notice.price_fen)} · ${t('award_contract_due')} ${beijingText(a.notice.contract_due)}` }));
  if (owner && a.stage === 'awarded') {
    parts.push(el('h2', { text: t('desk_contract') }), form('desk-contract',
      [['price', t('desk_contract_price'), { type: 'number', min: '1', value: String(a.notice.price_fen) }],
        ['file', t('desk_contract_file'), { type: 'file' }]],
      t('desk_contract'), async (f) => {
        const file = f.elements.namedItem('file').files[0];
        if (!file) return;
        const body = { price_fen: Number(value(f, 'price')), document_sha256: await sha256Hex(file) };
        if (await call('POST', 'award/contract', body)) show();
      }));
  }
  if (a.contract) parts.push(el('p', { id: 'desk-contract-done', text: `${t('award_contract')}: ${a.contract.org_name} · ${formatYuan(a.contract.price_fen)} · ${a.contract.document_sha256}` }));
  if (role === 'tenderer' && a.stage === 'publicised') {
    parts.push(el('h2', { text: t('desk_object') }), form('desk-object', [['text', t('desk_object'), { tag: 'textarea', rows: '3' }]],
      t('desk_object'), async (f) => { if (await call('POST', 'award/objections', { text: value(f, 'text') })) show(); }));
  }
  if (role === 'tenderer' && ['publicised', 'awarded'].includes(a.stage)) {
    parts.push(form('desk-decline', [['text', t('desk_decline_reason'), {}]], t('desk_decline'), async (f) => {
      if (await call('POST', 'award/decline', { text: value(f, 'text') })) show();
    }));
  }
  desk.replaceChildren(...parts);
}

show();
