// Tests of web/static/js/app/registry-forms.js: the message an agent signs to accept a rule is
// byte for byte the hall's (the same vector is checked against `registry::rule_message` in
// src/web/registry.rs), and the forms are read with every missing piece named.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lengthPrefixed, readAgentForms, readPeriod, ruleMessage } from '../../static/js/app/registry-forms.js';

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const ORG = '0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e6f';
const CONDUCT_SHA256 = 'bcb1ea3ed2ec1d9bb9dd8c0847e9db76042fc755933d5eaab8a438f20ca58e06';

test('a rule acceptance signs SHA-256 of the length-prefixed parts, as the hall does', async () => {
  assert.equal(hex(lengthPrefixed([Uint8Array.of(7), new Uint8Array(0)])), '000000010700000000');
  const m = await ruleMessage(ORG, 'code_of_conduct', CONDUCT_SHA256, '张法人');
  assert.equal(hex(m), 'baa9b696af1949e09e4b87e2cbdb30791f80ca1fd7b30740e90d4b0ff0cfdc0f');
  const other = await ruleMessage(ORG, 'code_of_conduct', CONDUCT_SHA256, '李四');
  assert.notEqual(hex(other), hex(m), 'the signer is part of the message');
});

const rules = [
  { rule: 'entry_service_commitment', text_sha256: 'aa' },
  { rule: 'code_of_conduct', text_sha256: CONDUCT_SHA256 },
  { rule: 'conduct_supervision', text_sha256: 'cc' },
];

const filled = {
  orgName: '辽宁正信招标代理有限公司', creditCode: '91210100MA0Y00000X', address: '沈阳市', phone: '024-1',
  capital: '5,000,000', legalName: '张法人', legalId: '210102198001010011', legalPhone: '139',
  staff: [{ name: '李代理', title: '项目负责人', certificate: 'ZB-1' }, { name: '', title: '', certificate: '' }],
  accepted: { entry_service_commitment: true, code_of_conduct: true, conduct_supervision: true },
  rules, signedBy: '张法人',
};

test('complete forms become the API body, amounts in fen and blank staff rows dropped', () => {
  const { body, errors } = readAgentForms(filled);
  assert.deepEqual(errors, []);
  assert.equal(body.organisation.registered_capital_fen, 500_000_000);
  assert.equal(body.staff.length, 1);
  assert.deepEqual(body.commitments.map((c) => [c.rule, c.signed_by]), rules.map((r) => [r.rule, '张法人']));
});

test('each missing piece is named at its field', () => {
  const { errors } = readAgentForms({
    ...filled, address: ' ', capital: '12.345', staff: [{ name: '', title: '经理', certificate: '' }],
    accepted: { code_of_conduct: true }, signedBy: '',
  });
  const fields = errors.map((e) => e.field);
  assert.deepEqual(fields.sort(), ['commitments', 'organisation.address', 'organisation.registered_capital_fen', 'signed_by', 'staff[0].name'].sort());
  assert.equal(readAgentForms({ ...filled, staff: [] }).errors[0].id, 'js_registry_no_staff');
});

test('a period is two Beijing times, the end after the start', () => {
  const ok = readPeriod('2027-01-01T08:00', '2028-01-01T08:00', 'from', 'to');
  assert.deepEqual([ok.from, ok.to, ok.errors], ['2027-01-01T08:00:00+08:00', '2028-01-01T08:00:00+08:00', []]);
  assert.equal(readPeriod('2027-01-01T08:00', '2026-01-01T08:00', 'from', 'to').errors[0].id, 'js_registry_empty_period');
  assert.equal(readPeriod('', '2026-01-01T08:00', 'from', 'to').errors[0].field, 'from');
});
