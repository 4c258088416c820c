// A draw's public page: polls the draw's state, lets a named party commit and reveal with 32 bytes
// made by this browser (crypto.getRandomValues, kept in localStorage until revealed), and re-runs
// the published transcript here with draw.js, never trusting the server's verdict. Names and
// reasons only ever reach the page through textContent.

import { api, t, pageData } from './api.js';
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

function render(view) {
  const d = view.draw;
  names = new Map((d.pool?.candidates ?? []).map((c) => [c.id, c.name]));
  const label = (id) => (names.has(id) ? `${names.get(id)} (${id})` : id);
  $('d-phase').textContent = view.phase;
  $('d-counts').textContent = `${d.select_count} (${d.reserve_count})`;
  $('d-deadlines').textContent = `${d.commit_deadline} / ${d.reveal_deadline}`;
  $('d-rule').textContent = d.missed_reveal_rule;
  $('d-beacon').textContent = d.beacon
    ? `${d.beacon.source} #${d.beacon.round} @ ${d.beacon.deadline}${d.beacon_value ? ` = ${d.beacon_value}` : ''}`
    : '—';
  $('d-pool-hash').textContent = d.pool?.hash ?? '—';
  fill($('d-pool'), (d.pool?.candidates ?? []).map((c) => `${c.name} (${c.id})`));
  fill($('d-excluded'), (d.pool?.excluded ?? []).map((e) => `${e.name} (${e.id}): ${e.reasons.map((r) => r.code).join(', ')}`));

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
    fill($('d-replacements'), tr.replacements.map((r) => `${label(r.replaced)} → ${label(r.replacement)} (${r.reason})`));
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
