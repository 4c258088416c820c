// The evaluation room for committee members (docs/award.md §2–§4): sign in with the one-time code,
// declare (回避声明), mark each bid, read the report and sign its hash. The member token lives in
// this tab's sessionStorage only and goes to the API as a bearer token; the page decides nothing.

import { localize, t } from './api.js';
import { formatYuan } from './format.js';

const KEY = 'bidhall-member';
const signinBox = document.getElementById('eval-signin');
const form = document.getElementById('eval-signin-form');
const signinError = document.getElementById('eval-signin-error');
const room = document.getElementById('eval-room');

function session() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || 'null');
  } catch {
    return null;
  }
}

async function call(method, url, body) {
  const s = session();
  const headers = { Accept: 'application/json' };
  if (s?.token) headers.Authorization = `Bearer ${s.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let resp;
  try {
    resp = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    return { ok: false, error: { code: 'network', message: t('js_network_error') } };
  }
  let data = null;
  try {
    data = JSON.parse(await resp.text());
  } catch {
    data = null;
  }
  if (resp.ok) return { ok: true, data };
  const error = data?.error ?? { code: `http_${resp.status}`, message: String(resp.status), details: {} };
  error.message = localize(error, t, document.documentElement.lang);
  return { ok: false, status: resp.status, error };
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') node.textContent = v;
    else if (v !== false && v !== null && v !== undefined) node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) node.append(c);
  return node;
}

function alertBox(message) {
  return el('p', { class: 'alert error', role: 'alert', text: message });
}

function base(s) {
  return `/api/tenders/${encodeURIComponent(s.tender_id)}/evaluation`;
}

async function act(method, path, body) {
  const s = session();
  const res = await call(method, `${base(s)}${path}`, body);
  if (!res.ok && res.status === 401) {
    sessionStorage.removeItem(KEY);
    return show();
  }
  if (!res.ok) {
    room.prepend(alertBox(res.error.message));
    return null;
  }
  return res.data;
}

function declaration(view) {
  const box = el('section', { id: 'eval-declaration' }, el('h2', { text: t('eval_declaration') }));
  if (view.declared) {
    box.append(el('p', { text: view.declared === 'no_conflict' ? t('eval_declared_none') : t('eval_declared_conflict') }));
    return box;
  }
  const names = view.bids.map((b) => b.org_name).join('、');
  box.append(el('p', { text: `${t('eval_tenderers')}: ${names}` }));
  const none = el('button', { type: 'button', id: 'eval-no-conflict', text: t('eval_declare_none') });
  const conflict = el('button', { type: 'button', class: 'secondary', id: 'eval-conflict', text: t('eval_declare_conflict') });
  none.addEventListener('click', async () => { if (await act('POST', '/declaration', { conflict: false })) show(); });
  conflict.addEventListener('click', async () => { if (await act('POST', '/declaration', { conflict: true })) show(); });
  box.append(el('div', { class: 'actions' }, none, conflict));
  return box;
}

/** The lot's name as the tender gives it. */
function lotName(view, lotId) {
  return view.lots?.find((l) => l.lot_id === lotId)?.name || t('award_lot');
}

/** What was read out for a bid at the opening: lot, price, duration, quality, bond. */
function announced(view, bid) {
  const facts = [[t('award_lot'), lotName(view, bid.lot_id)], [t('eval_price'), formatYuan(bid.price_fen)]];
  if (bid.duration_days !== null && bid.duration_days !== undefined && bid.duration_days !== '') facts.push([t('eval_duration'), `${bid.duration_days} ${t('eval_days')}`]);
  if (bid.quality) facts.push([t('eval_quality'), bid.quality]);
  if (bid.bond) facts.push([t('eval_bond'), t(`js_opening_bond_${bid.bond}`)]);
  return el('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
}

function marks(view) {
  const all = view.method?.kind === 'comprehensive_scoring' ? view.method.criteria : [];
  // The price criterion is computed by the hall from the passing prices (docs/award.md §3).
  const criteria = all.filter((c) => !c.price);
  const priced = all.find((c) => c.price);
  const box = el('section', { id: 'eval-marks' }, el('h2', { text: t('eval_marks') }));
  if (priced) box.append(el('p', { class: 'muted', id: 'eval-price-computed', text: `${priced.name} (${priced.weight}%): ${t('eval_price_computed')}` }));
  const mine = new Map(view.my_marks.map((m) => [m.line, m]));
  const docs = `/tenders/${encodeURIComponent(view.tender_id)}/documents`;
  for (const bid of view.bids.filter((b) => b.evaluated !== false)) {
    const m = mine.get(bid.line);
    const f = el('form', { class: 'stack eval-bid', 'data-line': bid.line, 'data-lot': bid.lot_id });
    f.append(el('h3', { text: `#${bid.line} ${bid.org_name}` }), announced(view, bid));
    if (bid.bid_id) f.append(el('p', {}, el('a', { href: `${docs}#bid-${encodeURIComponent(bid.bid_id)}`, class: 'eval-bid-documents', text: t('eval_read_documents') })));
    const ok = el('input', { type: 'checkbox', name: 'compliant', id: `eval-ok-${bid.line}`, checked: m ? m.compliant : true });
    f.append(el('div', { class: 'field' }, ok, el('label', { for: `eval-ok-${bid.line}`, text: t('eval_compliant') })));
    // 条例51: a rejection names its ground and the member's reason.
    const ground = el('select', { name: 'ground', id: `eval-ground-${bid.line}` },
      el('option', { value: '', text: t('eval_choose_ground') }),
      ...(view.rejection_grounds || []).map((g) => el('option', { value: g, text: t(`eval_ground_${g}`), selected: m?.rejection?.ground === g })));
    const reason = el('textarea', { name: 'reason', id: `eval-reason-${bid.line}`, rows: '2', maxlength: '500' });
    reason.value = m?.rejection?.reason ?? '';
    const rejection = el('div', { class: 'stack eval-rejection', hidden: ok.checked },
      el('div', { class: 'field' }, el('label', { for: ground.id, text: t('eval_ground') }), ground),
      el('div', { class: 'field' }, el('label', { for: reason.id, text: t('eval_reason') }), reason));
    ok.addEventListener('change', () => { rejection.hidden = ok.checked; });
    f.append(rejection);
    // The price criterion is shown where a member would score it, but as the hall's to compute.
    if (priced) f.append(el('p', { class: 'muted eval-price-line', text: `${priced.name} (${priced.weight}%)：${t('eval_price_by_hall')}` }));
    criteria.forEach((c, i) => {
      const id = `eval-s-${bid.line}-${i}`;
      const input = el('input', { type: 'number', min: '0', max: '100', step: '1', required: true, id, name: `s${i}`, value: m ? m.scores[i] : '' });
      f.append(el('div', { class: 'field' }, el('label', { for: id, text: `${c.name} (${c.weight}%)` }), input));
    });
    f.append(el('div', { class: 'actions' }, el('button', { type: 'submit', text: m ? t('eval_update') : t('eval_save') })));
    f.addEventListener('submit', async (event) => {
      event.preventDefault();
      const scores = criteria.map((_, i) => Number(f.elements.namedItem(`s${i}`).value));
      const body = { line: bid.line, compliant: ok.checked, scores };
      if (!ok.checked) Object.assign(body, { ground: ground.value || null, reason: reason.value });
      if (await act('POST', '/scores', body)) show();
    });
    box.append(f, clarifications(view, bid));
  }
  return box;
}

/** The committee's written questions to this bid's tenderer and its answers (条例52). */
function clarifications(view, bid) {
  const asked = (view.clarifications || []).filter((c) => c.line === bid.line);
  const box = el('div', { class: 'stack eval-clarifications', 'data-line': bid.line },
    ...asked.map((c) => el('p', { class: 'clarification', 'data-id': c.id },
      `${t('eval_seat')} ${c.seat}：${c.text} — ${c.answer ? `${t('eval_clarify_answer')}：${c.answer}` : t('eval_clarify_waiting')}`)));
  const f = el('form', { class: 'stack eval-clarify', 'data-line': bid.line });
  const id = `eval-clarify-${bid.line}`;
  f.append(el('div', { class: 'field' }, el('label', { for: id, text: t('eval_clarify') }),
    el('textarea', { id, name: 'text', rows: '2', maxlength: '2000' })),
  el('div', { class: 'actions' }, el('button', { type: 'submit', class: 'secondary', text: t('eval_clarify_send') })));
  f.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (await act('POST', '/clarifications', { line: bid.line, text: f.elements.namedItem('text').value })) show();
  });
  box.append(f);
  return box;
}

function reportSection(view) {
  const box = el('section', { id: 'eval-report' }, el('h2', { text: t('eval_report') }));
  const read = el('button', { type: 'button', id: 'eval-read-report', text: t('eval_read_report') });
  read.addEventListener('click', async () => {
    const r = await act('GET', '/draft-report');
    if (!r) return;
    r.view = view;
    // A price criterion's computed scores are part of what the members sign (docs/award.md §3).
    const priced = (r.report.method?.criteria || []).some((c) => c.price);
    const points = (centi) => (centi == null ? '—' : (centi / 100).toFixed(2));
    const heads = ['award_lot', 'eval_rank', 'eval_tenderer', 'eval_price', ...(priced ? ['eval_price_score'] : []), 'eval_score', 'eval_tie'];
    const rows = r.report.ranking.map((x) => el('tr', { 'data-line': x.line }, ...[
      lotName(r.view, x.lot_id), x.rank ?? t('eval_not_passed'), x.org_name, formatYuan(x.price_fen),
      ...(priced ? [points(x.price_score_centi)] : []), points(x.score_centi), x.tie_broken_by ? t(`eval_tie_${x.tie_broken_by}`) : '',
    ].map((v, i) => el('td', { 'data-label': t(heads[i]), class: heads[i] === 'eval_price_score' ? 'eval-price-score' : null, text: v }))));
    const table = el('table', { class: 'responsive' },
      el('thead', {}, el('tr', {}, ...heads.map((k) => el('th', { scope: 'col', text: t(k) })))),
      el('tbody', {}, ...rows));
    const sign = el('button', { type: 'button', id: 'eval-sign', text: t('eval_sign') });
    sign.addEventListener('click', async () => { if (await act('POST', '/sign', { report_sha256: r.report_sha256 })) show(); });
    box.replaceChildren(el('h2', { text: t('eval_report') }), el('div', { class: 'table-wrap' }, table),
      el('p', { class: 'breakall' }, el('code', { text: r.report_sha256 })), el('div', { class: 'actions' }, sign));
  });
  box.append(read);
  return box;
}

async function show() {
  const s = session();
  if (!s) {
    signinBox.hidden = false;
    room.hidden = true;
    return;
  }
  const res = await call('GET', base(s));
  if (!res.ok) {
    sessionStorage.removeItem(KEY);
    signinBox.hidden = false;
    room.hidden = true;
    signinError.textContent = res.error.message;
    signinError.hidden = false;
    return;
  }
  const view = res.data;
  signinBox.hidden = true;
  room.hidden = false;
  const me = view.committee.find((c) => c.seat === view.seat);
  const head = el('header', {}, el('h1', { text: view.title }),
    el('p', { text: `${t('eval_seat')} ${view.seat} · ${view.name} · ${t('eval_stage')}: ${t(`award_stage_${view.stage}`)}` }));
  // Where each lot has its own committee, the lot this one evaluates (docs/award.md §2).
  if (view.lot_id) {
    const lot = (view.lots || []).find((l) => l.lot_id === view.lot_id);
    head.append(el('p', { id: 'eval-lot', text: `${t('eval_committee_lot')}${lot?.name ?? ''}` }));
  }
  // The bid documents are read on their own page, in this tab (it holds the member's token).
  head.append(el('p', {}, el('a', { id: 'eval-documents', href: `/tenders/${encodeURIComponent(s.tender_id)}/documents`, text: t('docs_read_button') })));
  const parts = [head, declaration(view)];
  if (view.declared === 'no_conflict' && !me?.signed && ['committee_formed', 'evaluating'].includes(view.stage)) {
    parts.push(marks(view), reportSection(view));
  }
  if (me?.signed) parts.push(el('p', { class: 'alert info', id: 'eval-signed', text: t('eval_signed') }));
  const progress = el('ul', {}, ...view.committee.map((c) => el('li', {
    text: `${c.seat} ${c.name}: ${c.active ? '' : t('eval_recused')} ${c.declared ? '✓' : '…'} ${c.scored}/${view.bids.filter((b) => b.evaluated !== false).length} ${c.signed ? t('eval_signed_short') : ''}`,
  })));
  parts.push(el('section', {}, el('h2', { text: t('eval_committee') }), progress));
  room.replaceChildren(...parts);
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  signinError.hidden = true;
  const code = form.elements.namedItem('code').value.trim();
  const res = await call('POST', '/api/evaluation/sign-in', { code });
  if (!res.ok) {
    signinError.textContent = res.error.message;
    signinError.hidden = false;
    return;
  }
  sessionStorage.setItem(KEY, JSON.stringify({ token: res.data.token, tender_id: res.data.tender_id }));
  form.reset();
  show();
});

show();
