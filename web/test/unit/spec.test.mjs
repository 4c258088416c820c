import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec, buildChanges, parseCriteria, specToValues, defaultCustodians, decimalToUnits, unitsToDecimal } from '../../static/js/app/spec.js';
import { fenToYuan, rfc3339ToLocal } from '../../static/js/app/format.js';
import { fieldCandidates } from '../../static/js/app/fields.js';

const values = () => ({
  title: ' 道路改造工程 ',
  description: 'desc',
  category: 'construction',
  region: '210100',
  qualification: '',
  evaluation_kind: 'lowest_evaluated_price',
  criteria: '',
  docs_from: '2026-12-01T09:00',
  docs_to: '2026-12-08T09:00',
  clarification_deadline: '2026-12-13T09:00',
  bid_deadline: '2026-12-26T09:30',
  supervisor_org_id: 'sup',
  k: '3',
  lots: [{ name: '一标段', estimate: '1,000,000', bond: '20000' }],
  custodians: defaultCustodians('sup', 'wit'),
});

test('a filled form becomes the API spec', () => {
  const { spec, errors } = buildSpec(values());
  assert.deepEqual(errors, []);
  assert.equal(spec.title, '道路改造工程');
  assert.deepEqual(spec.lots, [{ name: '一标段', estimate_fen: 100000000, bid_bond_fen: 2000000 }]);
  assert.equal(spec.schedule.bid_deadline, '2026-12-26T09:30:00+08:00');
  assert.deepEqual(spec.custodians, {
    k: 3,
    members: [{ kind: 'time_release' }, { kind: 'agent' }, { kind: 'supervisor', org_id: 'sup' }, { kind: 'witness', org_id: 'wit' }],
  });
  assert.deepEqual(spec.evaluation_method, { kind: 'lowest_evaluated_price' });
});

test('slips are named by the field the API would name', () => {
  const v = values();
  v.title = '';
  v.lots[0].bond = '2%';
  v.bid_deadline = '';
  v.custodians[3].org = '';
  const { spec, errors } = buildSpec(v);
  assert.equal(spec, null);
  assert.deepEqual(errors.map((e) => e.field).sort(), [
    'custodians.members[3].org_id', 'lots[0].bid_bond_fen', 'schedule.bid_deadline', 'title',
  ]);
});

test('scoring criteria are "name weight" lines', () => {
  assert.deepEqual(parseCriteria('价格 60\n技术：40%\n'), { criteria: [{ name: '价格', weight: 60 }, { name: '技术', weight: 40 }], badLine: null });
  assert.equal(parseCriteria('价格\n技术 40').badLine, 0);
  const v = values();
  v.evaluation_kind = 'comprehensive_scoring';
  v.criteria = 'Price 60\nTechnical 40';
  assert.equal(buildSpec(v).spec.evaluation_method.criteria.length, 2);
});

test('an API spec fills the form and round-trips, keeping lot ids', () => {
  const { spec } = buildSpec(values());
  spec.lots[0].id = 'lot-1';
  const back = specToValues(spec, rfc3339ToLocal, fenToYuan);
  assert.equal(back.lots[0].estimate, '1000000.00');
  assert.equal(back.docs_from, '2026-12-01T09:00');
  assert.deepEqual(buildSpec(back).spec, spec);
});

test('an amendment sends only what changed', () => {
  assert.deepEqual(buildChanges({ title: '', docs_to: '', clarification_deadline: '', bid_deadline: '2027-01-10T09:30' }), {
    changes: { bid_deadline: '2027-01-10T09:30:00+08:00' },
    errors: [],
  });
  assert.equal(buildChanges({ bid_deadline: 'soon' }).errors[0].field, 'changes.bid_deadline');
});

test('API field paths find the nearest input', () => {
  assert.deepEqual(fieldCandidates('spec.lots[0].bid_bond_fen'), [
    'spec.lots[0].bid_bond_fen', 'spec.lots[0]', 'spec.lots', 'spec', 'lots[0].bid_bond_fen', 'lots[0]', 'lots',
  ]);
  assert.ok(fieldCandidates('changes.bid_deadline').includes('changes.bid_deadline'));
  assert.ok(fieldCandidates('custodians').includes('custodians'));
  assert.deepEqual(fieldCandidates(''), []);
});

test('the performance bond and the tie rule reach the spec and come back to the form', () => {
  const { spec, errors } = buildSpec({ ...values(), tie_break: 'earlier_submission', performance_bond_percent: '5' });
  assert.deepEqual(errors, []);
  assert.equal(spec.performance_bond_percent, 5);
  assert.equal(spec.tie_break, 'earlier_submission');
  // saving a draft and opening it again keeps both (the form used to drop them)
  const again = specToValues(spec, rfc3339ToLocal, fenToYuan);
  assert.equal(again.performance_bond_percent, '5');
  assert.equal(again.tie_break, 'earlier_submission');
  const resaved = buildSpec({ ...values(), ...again, lots: values().lots, custodians: values().custodians });
  assert.equal(resaved.spec.performance_bond_percent, 5);
});

test('one committee per lot reaches the spec only when chosen, and comes back to the form', () => {
  assert.equal(buildSpec(values()).spec.committee_per_lot, undefined, 'absent stays absent');
  const { spec } = buildSpec({ ...values(), committee_per_lot: true });
  assert.equal(spec.committee_per_lot, true);
  assert.equal(specToValues(spec, rfc3339ToLocal, fenToYuan).committee_per_lot, true);
  assert.equal(specToValues(buildSpec(values()).spec, rfc3339ToLocal, fenToYuan).committee_per_lot, false);
});

test('an empty or zero performance bond requires none, and more than 10 percent is refused (条例58)', () => {
  for (const none of ['', '0', ' ']) {
    const { spec } = buildSpec({ ...values(), performance_bond_percent: none });
    assert.equal(spec.performance_bond_percent, undefined, `'${none}'`);
  }
  for (const bad of ['11', '-1', '2.5', 'ten']) {
    const { spec, errors } = buildSpec({ ...values(), performance_bond_percent: bad });
    assert.equal(spec, null, bad);
    assert.deepEqual(errors, [{ field: 'performance_bond_percent', id: 'js_bad_percent' }], bad);
  }
});

test('a price criterion carries its rule in the API units and comes back to the form (价格分)', () => {
  const scoring = { ...values(), evaluation_kind: 'comprehensive_scoring', criteria: '价格 60\n技术 40' };
  const { spec, errors } = buildSpec({
    ...scoring, price_method: 'average_discounted', price_criterion: ' 价格 ', price_k_percent: '3', price_deduct_above: '1', price_deduct_below: '0.5',
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(spec.evaluation_method.criteria, [
    { name: '价格', weight: 60, price: { method: 'average_discounted', k_permille: 30, deduct_above_centi: 100, deduct_below_centi: 50 } },
    { name: '技术', weight: 40 },
  ]);
  const again = specToValues(spec, rfc3339ToLocal, fenToYuan);
  assert.deepEqual(
    [again.price_method, again.price_criterion, again.price_k_percent, again.price_deduct_above, again.price_deduct_below],
    ['average_discounted', '价格', '3', '1', '0.5'],
  );
  assert.deepEqual(buildSpec({ ...scoring, ...again, lots: values().lots, custodians: values().custodians }).spec.evaluation_method, spec.evaluation_method);
  // the lowest valid price needs no K nor a deduction below; none means members score every criterion
  const lowest = buildSpec({ ...scoring, price_method: 'lowest_valid', price_criterion: '价格', price_deduct_above: '2', price_k_percent: 'x' });
  assert.deepEqual(lowest.spec.evaluation_method.criteria[0].price, { method: 'lowest_valid', deduct_above_centi: 200 });
  assert.equal(buildSpec({ ...scoring, price_method: '' }).spec.evaluation_method.criteria.some((c) => 'price' in c), false);
  // slips: an unknown criterion, K over 10 %, a deduction over the whole score
  const bad = buildSpec({ ...scoring, price_method: 'average_discounted', price_criterion: '报价', price_k_percent: '10.5', price_deduct_above: '100.01', price_deduct_below: '' });
  assert.equal(bad.spec, null);
  assert.deepEqual(bad.errors.map((e) => `${e.field} ${e.id}`).sort(), [
    'evaluation_method.price.deduct_above_centi js_bad_deduction',
    'evaluation_method.price.deduct_below_centi js_bad_deduction',
    'evaluation_method.price.k_permille js_bad_k',
    'evaluation_method.price_criterion js_price_criterion_unknown',
  ]);
});

test('decimals become whole units and back', () => {
  assert.equal(decimalToUnits('2.5', 1, 100), 25);
  assert.equal(decimalToUnits('10', 1, 100), 100);
  assert.equal(decimalToUnits('0.05', 2, 10000), 5);
  for (const bad of ['', '-1', '1.234', '1e2', '.5', '10.1']) assert.equal(decimalToUnits(bad, 1, 100), null, bad);
  assert.deepEqual([25, 100, 0, 5].map((u) => unitsToDecimal(u, 1)), ['2.5', '10', '0', '0.5']);
  assert.deepEqual([5, 150, 10000].map((u) => unitsToDecimal(u, 2)), ['0.05', '1.5', '100']);
});
