// Pure helpers of the agents' registry pages (三表三制): the 32 bytes an organisation signs to accept
// one of the three rules (src/registry/mod.rs `rule_message`, docs/draw.md "Signed rule
// commitments"), and the registration body read from the form's values. No DOM, no network, so
// node --test can check them.

import { localToRfc3339, yuanToFen } from './format.js';

const utf8 = new TextEncoder();
const DOMAIN = 'bidhall-agent-rule/1';

function hexToBytes(hex) {
  const s = String(hex || '');
  if (!/^([0-9a-f]{2})*$/i.test(s)) throw new RangeError('not hex');
  return Uint8Array.from(s.match(/../g) || [], (b) => parseInt(b, 16));
}

/** lp(x) = u32be(len x) ‖ x, for each part, concatenated. */
export function lengthPrefixed(parts) {
  const total = parts.reduce((n, p) => n + 4 + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    new DataView(out.buffer).setUint32(at, p.length);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

/**
 * SHA-256(lp("bidhall-agent-rule/1") ‖ lp(org id) ‖ lp(rule id) ‖ lp(SHA-256(rule text)) ‖
 * lp(signer's name)), as a Uint8Array of 32 bytes. `textSha256` is the hex the hall publishes.
 */
export async function ruleMessage(orgId, rule, textSha256, signedBy) {
  const parts = [utf8.encode(DOMAIN), utf8.encode(orgId), utf8.encode(rule), hexToBytes(textSha256), utf8.encode(signedBy)];
  return new Uint8Array(await crypto.subtle.digest('SHA-256', lengthPrefixed(parts)));
}

/**
 * The registration as the API takes it (without the commitments' key and signatures), from the
 * form's values: `{ body, errors }`, each error `{field, id}` naming the input and the message.
 */
export function readAgentForms(v) {
  const errors = [];
  const need = (value, field) => {
    const s = String(value ?? '').trim();
    if (!s) errors.push({ field, id: 'js_registry_required' });
    return s;
  };
  const capital = yuanToFen(v.capital);
  if (capital === null) errors.push({ field: 'organisation.registered_capital_fen', id: 'js_registry_bad_amount' });
  const staff = (v.staff || [])
    .map((s) => ({ name: String(s.name || '').trim(), title: String(s.title || '').trim(), certificate: String(s.certificate || '').trim() }))
    .filter((s) => s.name || s.title || s.certificate);
  staff.forEach((s, i) => { if (!s.name) errors.push({ field: `staff[${i}].name`, id: 'js_registry_required' }); });
  if (!staff.length) errors.push({ field: 'staff', id: 'js_registry_no_staff' });
  const accepted = v.accepted || {};
  for (const rule of v.rules || []) {
    if (!accepted[rule.rule]) errors.push({ field: 'commitments', id: 'js_registry_accept_all' });
  }
  const signedBy = need(v.signedBy, 'signed_by');
  const body = {
    organisation: {
      name: need(v.orgName, 'organisation.name'),
      credit_code: need(v.creditCode, 'organisation.credit_code'),
      address: need(v.address, 'organisation.address'),
      phone: need(v.phone, 'organisation.phone'),
      registered_capital_fen: capital ?? 0,
    },
    legal_representative: {
      name: need(v.legalName, 'legal_representative.name'),
      id_number: need(v.legalId, 'legal_representative.id_number'),
      phone: need(v.legalPhone, 'legal_representative.phone'),
    },
    staff,
    commitments: (v.rules || []).map((r) => ({ rule: r.rule, signed_by: signedBy, text_sha256: r.text_sha256 })),
  };
  // One message per field is enough: the first of each.
  const seen = new Set();
  return { body, errors: errors.filter((e) => !seen.has(e.field) && seen.add(e.field)) };
}

/** A period typed as two Beijing datetime-local values: `{ from, to, errors }`. */
export function readPeriod(fromLocal, toLocal, fromField, toField) {
  const errors = [];
  const from = localToRfc3339(fromLocal);
  const to = localToRfc3339(toLocal);
  if (!from) errors.push({ field: fromField, id: 'js_registry_bad_time' });
  if (!to) errors.push({ field: toField, id: 'js_registry_bad_time' });
  if (from && to && Date.parse(to) <= Date.parse(from)) errors.push({ field: toField, id: 'js_registry_empty_period' });
  return { from, to, errors };
}
