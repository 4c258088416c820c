import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec, specToValues } from '../../static/js/app/spec.js';
import { fenToYuan, rfc3339ToLocal } from '../../static/js/app/format.js';

const values = (extra) => ({
  title: '浑南区第一中学教学楼改造工程施工',
  description: '',
  category: 'construction',
  region: '沈阳市',
  qualification: '',
  evaluation_kind: 'lowest_evaluated_price',
  criteria: '',
  docs_from: '2026-12-10T09:00',
  docs_to: '2026-12-17T17:00',
  clarification_deadline: '2026-12-20T17:00',
  bid_deadline: '2027-01-05T09:30',
  supervisor_org_id: 'sup',
  k: '3',
  lots: [{ name: '一标段', estimate: '1000000', bond: '20000' }],
  custodians: [{ kind: 'time_release', org: '' }, { kind: 'agent', org: '' }, { kind: 'supervisor', org: 'sup' }],
  ...extra,
});

test('the performance bond and the tie rule reach the spec and come back to the form', () => {
  const { spec, errors } = buildSpec(values({ tie_break: 'earlier_submission', performance_bond_percent: '5' }));
  assert.deepEqual(errors, []);
  assert.equal(spec.performance_bond_percent, 5);
  assert.equal(spec.tie_break, 'earlier_submission');
  // saving a draft and opening it again keeps both (the form used to drop them)
  const again = specToValues(spec, rfc3339ToLocal, fenToYuan);
  assert.equal(again.performance_bond_percent, '5');
  assert.equal(again.tie_break, 'earlier_submission');
  assert.equal(buildSpec({ ...values(), ...again, lots: values().lots, custodians: values().custodians }).spec.performance_bond_percent, 5);
});

test('an empty or zero performance bond requires none, and more than 10 percent is refused (条例58)', () => {
  for (const none of ['', '0', ' ']) {
    const { spec } = buildSpec(values({ performance_bond_percent: none }));
    assert.equal(spec.performance_bond_percent, undefined, `'${none}'`);
  }
  for (const bad of ['11', '-1', '2.5', 'ten']) {
    const { spec, errors } = buildSpec(values({ performance_bond_percent: bad }));
    assert.equal(spec, null, bad);
    assert.deepEqual(errors, [{ field: 'performance_bond_percent', id: 'js_bad_percent' }], bad);
  }
});
