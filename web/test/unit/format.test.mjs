import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  yuanToFen, fenToYuan, formatYuan, localToRfc3339, rfc3339ToLocal, beijingText, defaultSchedule, MAX_FEN,
} from '../../static/js/app/format.js';

test('yuan as typed becomes integer fen without floating point', () => {
  assert.equal(yuanToFen('1234.56'), 123456);
  assert.equal(yuanToFen('1,234,567.89'), 123456789);
  assert.equal(yuanToFen('¥ 20000'), 2000000);
  assert.equal(yuanToFen('0.1'), 10);
  assert.equal(yuanToFen('0.29'), 29); // 0.29 * 100 is 28.999… in floats
  assert.equal(yuanToFen('19.99'), 1999);
  assert.equal(yuanToFen('7'), 700);
});

test('anything but a non-negative amount with two decimals is refused', () => {
  for (const bad of ['', ' ', '-1', '1.234', 'abc', '1e5', '1.2.3', null, undefined]) {
    assert.equal(yuanToFen(bad), null, `${bad} should be refused`);
  }
  assert.equal(yuanToFen(String(MAX_FEN / 100)), MAX_FEN);
  assert.equal(yuanToFen(String(MAX_FEN / 100 + 1)), null);
});

test('fen prints back as yuan', () => {
  assert.equal(fenToYuan(123456789), '1234567.89');
  assert.equal(fenToYuan(5), '0.05');
  assert.equal(formatYuan(123456789), '¥1,234,567.89');
  assert.equal(formatYuan(0), '¥0.00');
  assert.equal(yuanToFen(fenToYuan(98765)), 98765);
});

test('datetime-local values are Beijing time with +08:00', () => {
  assert.equal(localToRfc3339('2026-12-01T09:30'), '2026-12-01T09:30:00+08:00');
  assert.equal(localToRfc3339('2026-12-01T09:30:15'), '2026-12-01T09:30:15+08:00');
  assert.equal(localToRfc3339('2026-02-30T09:30'), null);
  assert.equal(localToRfc3339('2026-12-01 09:30'), null);
  assert.equal(localToRfc3339(''), null);
});

test('API times show in Beijing whatever their offset', () => {
  assert.equal(rfc3339ToLocal('2026-12-01T01:30:00.000Z'), '2026-12-01T09:30');
  assert.equal(rfc3339ToLocal('2026-12-31T23:30:00Z'), '2027-01-01T07:30');
  assert.equal(rfc3339ToLocal('2026-12-01T09:30:00+08:00'), '2026-12-01T09:30');
  assert.equal(rfc3339ToLocal('nonsense'), null);
  assert.equal(beijingText('2026-12-01T01:30:00Z'), '2026-12-01 09:30');
  const local = '2026-06-15T14:05';
  assert.equal(rfc3339ToLocal(localToRfc3339(local)), local);
});

test('the default schedule is lawful', () => {
  const now = Date.parse('2026-05-10T03:17:00Z');
  const s = defaultSchedule(now);
  const ms = (local) => Date.parse(localToRfc3339(local));
  const day = 24 * 3600 * 1000;
  assert.ok(ms(s.docs_from) > now);
  assert.ok(ms(s.docs_to) - ms(s.docs_from) >= 5 * day);
  assert.ok(ms(s.bid_deadline) - ms(s.docs_from) >= 20 * day);
  assert.ok(ms(s.bid_deadline) - ms(s.clarification_deadline) >= 10 * day);
  assert.ok(ms(s.clarification_deadline) >= ms(s.docs_from));
  assert.match(s.bid_deadline, /T09:30$/);
});
