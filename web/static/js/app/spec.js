// Building API bodies from form values, as pure functions: the tender spec and an amendment's
// changes. Errors name the body path (matching the inputs' data-field) and a message id; the page
// translates them. The server checks everything again; this only catches typing slips early.

import { localToRfc3339, yuanToFen } from './format.js';

/** "价格 60\n技术 40" → [{name, weight}], or the 0-based line that is not "name weight". */
export function parseCriteria(text) {
  const criteria = [];
  const lines = String(text || '').split('\n').map((l) => l.trim()).filter(Boolean);
  for (let i = 0; i < lines.length; i++) {
    const m = /^(.+?)[\s:：,，]+(\d{1,3})%?$/.exec(lines[i]);
    if (!m) return { criteria: null, badLine: i };
    criteria.push({ name: m[1].trim(), weight: Number(m[2]) });
  }
  return { criteria, badLine: null };
}

/** "2.5" with `decimals` 1 → 25: a non-negative decimal as whole units, or null above `max`. */
export function decimalToUnits(text, decimals, max) {
  const m = new RegExp(`^(\\d{1,3})(?:\\.(\\d{1,${decimals}}))?$`).exec(String(text ?? '').trim());
  if (!m) return null;
  const units = Number(m[1]) * 10 ** decimals + Number((m[2] || '').padEnd(decimals, '0'));
  return units <= max ? units : null;
}

/** 25 with `decimals` 1 → "2.5" (the inverse of `decimalToUnits`, without trailing zeros). */
export function unitsToDecimal(units, decimals) {
  const scale = 10 ** decimals;
  const frac = String(units % scale).padStart(decimals, '0').replace(/0+$/, '');
  return frac ? `${Math.floor(units / scale)}.${frac}` : String(Math.floor(units / scale));
}

/**
 * The price rule (价格分, docs/award.md §3) from the form, set on the criterion it names: K in
 * percent with one decimal (→ permille), deductions in points per 1 % with two (→ hundredths).
 */
function priceRule(v, criteria, errors) {
  const method = v.price_method;
  if (method !== 'lowest_valid' && method !== 'average_discounted') return;
  const name = String(v.price_criterion || '').trim();
  const target = criteria.find((c) => c.name === name);
  if (!target) errors.push({ field: 'evaluation_method.price_criterion', id: 'js_price_criterion_unknown' });
  const deduction = (key, field) => {
    const centi = decimalToUnits(v[key], 2, 10000);
    if (centi === null) errors.push({ field: `evaluation_method.price.${field}`, id: 'js_bad_deduction' });
    return centi;
  };
  let rule = { method, deduct_above_centi: deduction('price_deduct_above', 'deduct_above_centi') };
  if (method === 'average_discounted') {
    const k = decimalToUnits(v.price_k_percent, 1, 100);
    if (k === null) errors.push({ field: 'evaluation_method.price.k_permille', id: 'js_bad_k' });
    rule = { method, k_permille: k, ...rule, deduct_below_centi: deduction('price_deduct_below', 'deduct_below_centi') };
  }
  if (target) target.price = rule;
}

/**
 * The TenderSpec for the values of the tender form:
 * `{title, description, category, region, qualification, evaluation_kind, criteria, price_method,
 *   price_criterion, price_k_percent, price_deduct_above, price_deduct_below, docs_from,
 *   docs_to, clarification_deadline, bid_deadline, supervisor_org_id, k, tie_break,
 *   performance_bond_percent, committee_per_lot (a boolean),
 *   lots: [{id?, name, estimate, bond}], custodians: [{kind, org}]}` (all strings as typed).
 * Returns `{spec, errors: [{field, id}]}`; `spec` is null when there are errors.
 */
export function buildSpec(v) {
  const errors = [];
  const need = (field, value) => {
    if (!String(value ?? '').trim()) errors.push({ field, id: 'js_required' });
  };
  need('title', v.title);
  const schedule = {};
  for (const key of ['docs_from', 'docs_to', 'clarification_deadline', 'bid_deadline']) {
    const t = localToRfc3339(v[key]);
    if (!t) errors.push({ field: `schedule.${key}`, id: 'js_bad_time' });
    schedule[key] = t;
  }
  let evaluation = { kind: 'lowest_evaluated_price' };
  if (v.evaluation_kind === 'comprehensive_scoring') {
    const { criteria } = parseCriteria(v.criteria);
    if (!criteria || criteria.length === 0) {
      errors.push({ field: 'evaluation_method.criteria', id: 'js_bad_criteria' });
    }
    priceRule(v, criteria || [], errors);
    evaluation = { kind: 'comprehensive_scoring', criteria: criteria || [] };
  }
  const lots = (v.lots || []).map((lot, i) => {
    need(`lots[${i}].name`, lot.name);
    const estimate = yuanToFen(lot.estimate);
    const bond = yuanToFen(lot.bond);
    if (estimate === null) errors.push({ field: `lots[${i}].estimate_fen`, id: 'js_bad_money' });
    if (bond === null) errors.push({ field: `lots[${i}].bid_bond_fen`, id: 'js_bad_money' });
    const out = { name: String(lot.name || '').trim(), estimate_fen: estimate, bid_bond_fen: bond };
    return lot.id ? { id: lot.id, ...out } : out;
  });
  const members = (v.custodians || []).map((c, i) => {
    const needsOrg = c.kind === 'supervisor' || c.kind === 'witness';
    if (needsOrg && !c.org) errors.push({ field: `custodians.members[${i}].org_id`, id: 'js_need_org' });
    return needsOrg ? { kind: c.kind, org_id: c.org || null } : { kind: c.kind };
  });
  need('supervisor_org_id', v.supervisor_org_id);
  // The performance bond in whole percent of the contract price, 0 to 10 (条例58); empty: none.
  const percentText = String(v.performance_bond_percent ?? '').trim();
  let percent = null;
  if (percentText) {
    percent = /^\d{1,2}$/.test(percentText) ? Number(percentText) : NaN;
    if (!(percent >= 0 && percent <= 10)) {
      errors.push({ field: 'performance_bond_percent', id: 'js_bad_percent' });
    }
  }
  const k = Number.parseInt(v.k, 10);
  if (!Number.isInteger(k)) errors.push({ field: 'custodians.k', id: 'js_required' });
  const spec = {
    title: String(v.title || '').trim(),
    description: String(v.description || ''),
    category: v.category,
    region: String(v.region || '').trim(),
    qualification: String(v.qualification || ''),
    evaluation_method: evaluation,
    schedule,
    lots,
    custodians: { k, members },
    supervisor_org_id: v.supervisor_org_id,
  };
  // Absent means the lower price first (the default), and absent stays absent.
  if (v.tie_break && v.tie_break !== 'lower_price') spec.tie_break = v.tie_break;
  if (percent) spec.performance_bond_percent = percent;
  // One evaluation committee per lot (docs/award.md §2); absent means one for every lot.
  if (v.committee_per_lot) spec.committee_per_lot = true;
  return { spec: errors.length ? null : spec, errors };
}

/** The form values for a spec as the API returns it (the inverse of `buildSpec`, for editing). */
export function specToValues(spec, toLocal, toYuan) {
  const m = spec.evaluation_method || { kind: 'lowest_evaluated_price' };
  const priced = (m.criteria || []).find((c) => c.price);
  const rule = priced?.price;
  return {
    title: spec.title,
    description: spec.description || '',
    category: spec.category,
    region: spec.region || '',
    qualification: spec.qualification || '',
    evaluation_kind: m.kind,
    criteria: (m.criteria || []).map((c) => `${c.name} ${c.weight}`).join('\n'),
    price_method: rule ? rule.method : '',
    price_criterion: priced ? priced.name : '',
    price_k_percent: rule?.k_permille !== undefined ? unitsToDecimal(rule.k_permille, 1) : '',
    price_deduct_above: rule ? unitsToDecimal(rule.deduct_above_centi, 2) : '',
    price_deduct_below: rule?.deduct_below_centi !== undefined ? unitsToDecimal(rule.deduct_below_centi, 2) : '',
    docs_from: toLocal(spec.schedule.docs_from),
    docs_to: toLocal(spec.schedule.docs_to),
    clarification_deadline: toLocal(spec.schedule.clarification_deadline),
    bid_deadline: toLocal(spec.schedule.bid_deadline),
    supervisor_org_id: spec.supervisor_org_id,
    k: String(spec.custodians.k),
    tie_break: spec.tie_break || 'lower_price',
    performance_bond_percent: spec.performance_bond_percent ? String(spec.performance_bond_percent) : '',
    committee_per_lot: spec.committee_per_lot === true,
    lots: spec.lots.map((l) => ({ id: l.id, name: l.name, estimate: toYuan(l.estimate_fen), bond: toYuan(l.bid_bond_fen) })),
    custodians: spec.custodians.members.map((c) => ({ kind: c.kind, org: c.org_id || '' })),
  };
}

/**
 * An amendment's `changes` from the optional inputs: only what was filled in.
 * `{title, docs_to, clarification_deadline, bid_deadline}` → `{changes, errors}`.
 */
export function buildChanges(v) {
  const changes = {};
  const errors = [];
  if (String(v.title || '').trim()) changes.title = String(v.title).trim();
  for (const key of ['docs_to', 'clarification_deadline', 'bid_deadline']) {
    if (!String(v[key] || '').trim()) continue;
    const t = localToRfc3339(v[key]);
    if (t) changes[key] = t;
    else errors.push({ field: `changes.${key}`, id: 'js_bad_time' });
  }
  return { changes, errors };
}

/** The default bid box: k = 3 of time release, agent, supervisor and witness. */
export function defaultCustodians(supervisorOrg, witnessOrg) {
  return [
    { kind: 'time_release', org: '' },
    { kind: 'agent', org: '' },
    { kind: 'supervisor', org: supervisorOrg || '' },
    { kind: 'witness', org: witnessOrg || '' },
  ];
}
