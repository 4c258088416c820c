// The tender form's rows (lots, custodians), its defaults and reading it back into values for
// `buildSpec`. Rows are renumbered on every change so each input keeps a stable id, name and
// data-field (`lot-0-estimate`, `lots[0].estimate_fen`).

import { fenToYuan, rfc3339ToLocal, defaultSchedule } from './format.js';
import { defaultCustodians, specToValues } from './spec.js';

const LOT_FIELDS = { name: 'name', estimate: 'estimate_fen', bond: 'bid_bond_fen' };
const CUSTODIAN_FIELDS = { kind: 'kind', org: 'org_id' };

function renumber(container, prefix, path, fields) {
  [...container.children].forEach((row, i) => {
    for (const [key, apiName] of Object.entries(fields)) {
      const input = row.querySelector(`[data-name="${key}"]`);
      const label = row.querySelector(`[data-for="${key}"]`);
      input.id = `${prefix}-${i}-${key}`;
      input.name = `${path}[${i}].${apiName}`;
      input.dataset.field = `${path}[${i}].${apiName}`;
      if (label) label.htmlFor = input.id;
    }
  });
}

function option(value, text) {
  const o = document.createElement('option');
  o.value = value;
  o.textContent = text;
  return o;
}

/**
 * Wires the form; `spec` (from the API) fills it for editing, otherwise lawful defaults do, counted
 * from `now`, the hall's time when the page was made (RFC 3339), never the browser's clock.
 */
export function initTenderForm(form, { orgs, spec, now }) {
  const lots = form.querySelector('#lots');
  const custodians = form.querySelector('#custodians');
  const lotTemplate = document.getElementById('lot-row-template');
  const custodianTemplate = document.getElementById('custodian-row-template');
  const supervisor = form.querySelector('#supervisor_org_id');

  const orgsFor = (kind) => (kind === 'supervisor' ? orgs.supervisor : kind === 'witness' ? orgs.witness : null) || null;

  function fillOrgs(row, selected) {
    const kind = row.querySelector('[data-name="kind"]').value;
    const select = row.querySelector('[data-name="org"]');
    const list = orgsFor(kind);
    select.replaceChildren();
    if (!list) {
      select.append(option('', '—'));
      select.disabled = true;
      return;
    }
    select.disabled = false;
    for (const o of list) select.append(option(o.id, o.name));
    if (selected && list.some((o) => o.id === selected)) select.value = selected;
  }

  function addLot(v = {}) {
    const row = lotTemplate.content.firstElementChild.cloneNode(true);
    if (v.id) row.dataset.lotId = v.id;
    row.querySelector('[data-name="name"]').value = v.name ?? '';
    row.querySelector('[data-name="estimate"]').value = v.estimate ?? '';
    row.querySelector('[data-name="bond"]').value = v.bond ?? '';
    lots.append(row);
    renumber(lots, 'lot', 'lots', LOT_FIELDS);
    return row;
  }

  function addCustodian(v = { kind: 'witness', org: '' }) {
    const row = custodianTemplate.content.firstElementChild.cloneNode(true);
    const kind = row.querySelector('[data-name="kind"]');
    kind.value = v.kind;
    fillOrgs(row, v.org);
    kind.addEventListener('change', () => fillOrgs(row));
    custodians.append(row);
    renumber(custodians, 'custodian', 'custodians.members', CUSTODIAN_FIELDS);
    return row;
  }

  form.addEventListener('click', (event) => {
    const remove = event.target.closest('[data-remove]');
    if (!remove) return;
    const row = remove.closest('[data-row]');
    const container = row.parentElement;
    if (container.children.length <= 1) return;
    row.remove();
    if (container === lots) renumber(lots, 'lot', 'lots', LOT_FIELDS);
    else renumber(custodians, 'custodian', 'custodians.members', CUSTODIAN_FIELDS);
  });
  form.querySelector('#add-lot').addEventListener('click', () => addLot().querySelector('input').focus());
  form.querySelector('#add-custodian').addEventListener('click', () => addCustodian().querySelector('select').focus());

  const criteriaField = form.querySelector('#criteria-field');
  const kind = form.querySelector('#evaluation_kind');
  const toggleCriteria = () => { criteriaField.hidden = kind.value !== 'comprehensive_scoring'; };
  kind.addEventListener('change', toggleCriteria);
  // The price rule's parameters show for the method that uses them.
  const priceMethod = form.querySelector('#price_method');
  const togglePrice = () => {
    for (const field of form.querySelectorAll('[data-price]')) {
      const wanted = field.dataset.price;
      field.hidden = !priceMethod.value || (wanted !== 'any' && wanted !== priceMethod.value);
    }
  };
  priceMethod.addEventListener('change', togglePrice);

  const values = spec
    ? specToValues(spec, rfc3339ToLocal, fenToYuan)
    : {
        ...defaultSchedule(Date.parse(now)),
        category: 'construction',
        evaluation_kind: 'lowest_evaluated_price',
        tie_break: 'lower_price',
        performance_bond_percent: '',
        k: '3',
        supervisor_org_id: supervisor.value,
        lots: [{}],
        custodians: defaultCustodians(supervisor.value, orgs.witness?.[0]?.id),
      };
  for (const name of ['title', 'description', 'region', 'qualification', 'criteria', 'price_method', 'price_criterion', 'price_k_percent', 'price_deduct_above', 'price_deduct_below', 'docs_from', 'docs_to', 'clarification_deadline', 'bid_deadline', 'tie_break', 'performance_bond_percent']) {
    const input = form.querySelector(`#${name}`) || form.querySelector(`[name="${name}"]`);
    if (input && values[name] !== undefined) input.value = values[name];
  }
  form.querySelector('#tender_category').value = values.category;
  form.querySelector('#tender_region').value = values.region ?? '';
  kind.value = values.evaluation_kind;
  if (values.supervisor_org_id) supervisor.value = values.supervisor_org_id;
  form.querySelector('#custodian_k').value = values.k;
  form.querySelector('#committee_per_lot').checked = values.committee_per_lot === true;
  lots.replaceChildren();
  values.lots.forEach(addLot);
  custodians.replaceChildren();
  values.custodians.forEach(addCustodian);
  toggleCriteria();
  togglePrice();
}

/** The form's values, as `buildSpec` takes them. */
export function readTenderForm(form) {
  const val = (sel) => form.querySelector(sel)?.value ?? '';
  return {
    title: val('#title'),
    description: val('#description'),
    category: val('#tender_category'),
    region: val('#tender_region'),
    qualification: val('#qualification'),
    evaluation_kind: val('#evaluation_kind'),
    criteria: val('#criteria'),
    price_method: val('#price_method'),
    price_criterion: val('#price_criterion'),
    price_k_percent: val('#price_k_percent'),
    price_deduct_above: val('#price_deduct_above'),
    price_deduct_below: val('#price_deduct_below'),
    docs_from: val('#docs_from'),
    docs_to: val('#docs_to'),
    clarification_deadline: val('#clarification_deadline'),
    bid_deadline: val('#bid_deadline'),
    supervisor_org_id: val('#supervisor_org_id'),
    k: val('#custodian_k'),
    tie_break: val('#tie_break'),
    performance_bond_percent: val('#performance_bond_percent'),
    committee_per_lot: form.querySelector('#committee_per_lot')?.checked === true,
    lots: [...form.querySelectorAll('#lots [data-row="lot"]')].map((row) => ({
      id: row.dataset.lotId || undefined,
      name: row.querySelector('[data-name="name"]').value,
      estimate: row.querySelector('[data-name="estimate"]').value,
      bond: row.querySelector('[data-name="bond"]').value,
    })),
    custodians: [...form.querySelectorAll('#custodians [data-row="custodian"]')].map((row) => ({
      kind: row.querySelector('[data-name="kind"]').value,
      org: row.querySelector('[data-name="org"]').value,
    })),
  };
}
