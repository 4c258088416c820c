// A draw's public page: polls the draw's state, lets a named party commit and reveal with 32 bytes
// made by this browser (crypto.getRandomValues, kept in localStorage until revealed), and re-runs
// the published transcript here with draw.js, never trusting the server's verdict. Names and
// reasons only ever reach the page through textContent. An expert draw's pool is sealed until the
// result is determined: the page shows positions (第 n 号) and commitments, and names once opened.

import { api, t, pageData } from './api.js';
import { beijingText } from './format.js';
import { bytesToHex, commitment, hexToBytes, verifyTranscript } from '../draw.js';

const $ = (id) => document.getElementById(id);
const { draw: drawId, org, parties: partyNames = {} } = pageData();
const secretKey = `bidhall.draw.${drawId}.${org}`;

function el(tag, text) {
  const node = document.createElement(tag);
  if (text != null) node.textContent = text;
  return node;
}

function fill(list, items) {
  list.replaceChildren(...items.map((i) => el('li', i)));
}

function status(text, kind = 'info') {
  const s = $('draw-status');
  s.textContent = text;
  s.className = `alert ${kind}`;
  s.hidden = !text;
}

let names = new Map();

/** Beijing time for an RFC 3339 instant, as the pages show times (and as the server rendered it). */
const beijing = (rfc) => (rfc ? beijingText(rfc) : '—');

const position = (n) => t('js_draw_position').replace('{n}', n);

function render(view) {
  const d = view.draw;
  const sealed = d.pool?.sealed ?? null;
  const candidates = d.pool?.candidates ?? [];
  // A sealed pool's result names positions "1" … "N"; once opened, position k is candidates[k - 1].
  names = sealed
    ? new Map(candidates.map((c, k) => [String(k + 1), `${position(k + 1)} · ${c.name} (${c.id})`]))
    : new Map(candidates.map((c) => [c.id, `${c.name} (${c.id})`]));
  const label = (h) => names.get(h) ?? (sealed ? position(h) : h);
  $('d-phase').textContent = t(`js_draw_phase_${view.phase}`);
  $('d-phase').dataset.phase = view.phase;
  $('d-counts').textContent = `${d.select_count} (${d.reserve_count})`;
  $('d-deadlines').textContent = `${beijing(d.commit_deadline)} / ${beijing(d.reveal_deadline)} (${t('js_draw_beijing')})`;
  $('d-rule').textContent = t(`js_draw_rule_${d.missed_reveal_rule}`);
  $('d-beacon').textContent = d.beacon
    ? `${d.beacon.source} #${d.beacon.round} @ ${beijing(d.beacon.deadline)}${d.beacon_value ? ` = ${d.beacon_value}` : ''}`
    : '—';
  $('d-pool-hash').textContent = d.pool?.hash ?? '—';
  fill($('d-pool'), sealed && candidates.length === 0
    ? sealed.map((c, k) => `${position(k + 1)} · ${t('js_draw_commitment')} ${c}`)
    : candidates.map((c, k) => label(sealed ? String(k + 1) : c.id)));
  const reasons = (e) => e.reasons.map((r) => t(`js_draw_excluded_${r.code}`)).join('、');
  fill($('d-excluded'), (d.pool?.excluded ?? []).map((e) => (e.id
    ? `${e.name} (${e.id}): ${reasons(e)}`
    : `${t('js_draw_name_withheld')}: ${reasons(e)}`)));

  const committed = new Set(view.commitments.map((c) => c.party));
  const revealed = new Set(view.reveals.map((c) => c.party));
  $('d-parties').replaceChildren(...d.parties.map((p) => {
    const row = el('tr');
    const who = partyNames[p];
    const name = el('td', who ? `${who.name} · ${t(`role_${who.role}`)}` : p);
    name.title = p;
    row.append(name, el('td', committed.has(p) ? '✓' : '—'), el('td', revealed.has(p) ? '✓' : '—'));
    return row;
  }));

  const isParty = org && d.parties.includes(org);
  $('mine').hidden = !(isParty || org === d.requested_by);
  $('d-commit').hidden = !(isParty && view.phase === 'committing' && !committed.has(org));
  $('d-reveal').hidden = !(isParty && view.phase === 'revealing' && committed.has(org) && !revealed.has(org));
  $('d-conduct').hidden = view.phase !== 'ready_to_conduct';
  if (!$('d-secret').value) $('d-secret').value = localStorage.getItem(secretKey) ?? '';

  const tr = d.transcript;
  $('d-failed').hidden = d.state !== 'failed';
  $('d-result').hidden = !tr?.result;
  $('d-verify-actions').hidden = !tr;
  if (tr?.result) {
    fill($('d-selected'), tr.result.selected.map(label));
    fill($('d-reserves'), tr.result.reserves.map(label));
    fill($('d-replacements'), tr.replacements.map((r) => `${label(r.replaced)} → ${label(r.replacement)} (${t(`js_draw_reason_${r.reason}`)})`));
  }
  $('d-transcript').href = `/api/draws/${encodeURIComponent(drawId)}/transcript`;
}

async function refresh() {
  const r = await api('GET', `/api/draws/${encodeURIComponent(drawId)}`);
  if (r.ok) render(r.data);
  else status(r.error.message, 'error');
  return r;
}

async function act(action, body) {
  const r = await api('POST', `/api/draws/${encodeURIComponent(drawId)}/${action}`, body);
  status(r.ok ? t('draw_done') : r.error.message, r.ok ? 'ok' : 'error');
  await refresh();
  return r;
}

$('d-commit').addEventListener('click', async () => {
  const r = crypto.getRandomValues(new Uint8Array(32));
  const hex = bytesToHex(r);
  localStorage.setItem(secretKey, hex);
  $('d-secret').value = hex;
  const c = await commitment(drawId, org, r);
  await act('commit', { commitment: bytesToHex(c) });
});

$('d-reveal').addEventListener('click', async () => {
  const hex = $('d-secret').value.trim().toLowerCase();
  try {
    hexToBytes(hex, 'r');
  } catch (e) {
    status(e.message, 'error');
    return;
  }
  const r = await act('reveal', { r: hex });
  if (r.ok) localStorage.removeItem(secretKey);
});

$('d-conduct').addEventListener('click', () => act('conduct', {}));

$('d-verify').addEventListener('click', async () => {
  const verdict = $('d-verdict');
  const resp = await fetch(`/api/draws/${encodeURIComponent(drawId)}/transcript`);
  const outcome = await verifyTranscript(await resp.text());
  verdict.hidden = false;
  verdict.className = outcome.ok ? 'alert ok' : 'alert error';
  verdict.textContent = outcome.ok ? t('draw_verified') : `${t('draw_verify_failed')} ${outcome.step}: ${outcome.message}`;
});

await refresh();
setInterval(refresh, 5000);
