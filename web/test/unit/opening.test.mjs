// opening.js: a whole ceremony folded from its events, replays and duplicates ignored, and the
// reconnecting stream asking for the right `after` and delivering each event once, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  OpeningStream, emptyState, faultOf, foldAll, foldEvents, formatCountdown, remainingMs, socketUrl, tableRows,
} from '../../static/js/opening.js';

const ORG = { a: 'org-a', b: 'org-b', c: 'org-c' };

let clock = Date.parse('2027-03-26T01:00:00.000Z');
function ev(seq, kind, body) {
  clock += 1000;
  return { seq, at: new Date(clock).toISOString(), kind, body };
}

/** A ceremony with three bids: one opened with its bond, one opened without, one that failed. */
function ceremony() {
  clock = Date.parse('2027-03-26T01:00:00.000Z');
  return [
    ev(1, 'lobby_opened', { deadline: '2027-03-26T01:30:00.000Z' }),
    ev(2, 'signed_in', { org_id: 'host-org', org_name: '招标代理', role: 'host' }),
    ev(3, 'signed_in', { org_id: 'sup-org', org_name: '住建局', role: 'supervisor' }),
    ev(4, 'signed_in', { org_id: ORG.a, org_name: '甲公司', role: 'tenderer' }),
    ev(5, 'box_closed', { count: 3, order: [1, 2, 3].map((n) => ({ n, lot_id: 'lot-1', commitment: `c${n}` })) }),
    ev(6, 'bonds_checked', { lines: [{ n: 1, bond: 'received', required_fen: 2_000_000 }, { n: 2, bond: 'missing', required_fen: 2_000_000 }, { n: 3, bond: 'received', required_fen: 2_000_000 }] }),
    ev(7, 'decryption_started', { k: 2, release_until: '2027-03-26T02:00:00.000Z', custodians: [{ index: 1, kind: 'time_release', org_name: null }, { index: 2, kind: 'agent', org_name: '招标代理' }, { index: 3, kind: 'supervisor', org_name: '住建局' }] }),
    ev(8, 'shares_released', { custodian: 1, by: null, progress: [1, 2, 3].map((n) => ({ n, released: 1, needed: 2 })) }),
    ev(9, 'suspended', { reason: '网络故障' }),
    ev(10, 'resumed', { reason: '已恢复' }),
    ev(11, 'shares_released', { custodian: 2, by: '招标代理', progress: [1, 2, 3].map((n) => ({ n, released: 2, needed: 2 })) }),
    ev(12, 'bid_announced', { n: 1, lot_id: 'lot-1', org_id: ORG.a, org_name: '甲公司', status: 'opened', price_fen: 98_765_400, duration_days: 180, quality: '合格', bond: 'received', reason: null, fault: null }),
    ev(13, 'bid_announced', { n: 2, lot_id: 'lot-1', org_id: ORG.b, org_name: '乙公司', status: 'opened', price_fen: 99_000_000, duration_days: 200, quality: '优良', bond: 'missing', reason: null, fault: null }),
    ev(14, 'bid_announced', { n: 3, lot_id: 'lot-1', org_id: ORG.c, org_name: '丙公司', status: 'failed', reason: 'corrupt_payload', fault: 'tenderer', bond: 'received' }),
    ev(15, 'announcement_complete', { lines: 3 }),
    ev(16, 'confirmation_opened', { until: '2027-03-26T02:30:00.000Z', minutes: 30 }),
    ev(17, 'line_confirmed', { n: 1, org_id: ORG.a, org_name: '甲公司', line_sha256: 'ab'.repeat(32) }),
    ev(18, 'objection_raised', { id: 'obj-1', n: 1, org_id: ORG.a, org_name: '甲公司', text: '<b>报价</b>读错了' }),
    ev(19, 'objection_answered', { id: 'obj-1', answer: '已核对，无误。' }),
    ev(20, 'concluded', { record_sha256: 'cd'.repeat(32), signature: '— bidhall sig\n' }),
  ];
}

test('the hall learns who signed in from the lobby only when the box closes (法22)', () => {
  clock = Date.parse('2027-03-26T01:00:00.000Z');
  const lobby = [
    ev(1, 'lobby_opened', { deadline: '2027-03-26T01:30:00.000Z' }),
    ev(2, 'signed_in', { org_id: 'host-org', org_name: '招标代理', role: 'host' }),
  ];
  // The host's stream in the lobby: no tenderer yet (its sign-in went to itself alone).
  assert.deepEqual(foldAll(emptyState(), lobby).participants.map((p) => p.role), ['host']);
  const closed = [
    ...lobby,
    ev(4, 'box_closed', { count: 3, order: [] }),
    ev(5, 'sign_ins_disclosed', { participants: [{ org_id: ORG.a, org_name: '甲公司', role: 'tenderer', at: '2027-03-26T01:05:00.000Z' }] }),
  ];
  const s = foldAll(emptyState(), closed);
  assert.deepEqual(s.participants.map((p) => p.org_name), ['招标代理', '甲公司']);
  // The tenderer's own stream already had its sign-in: no duplicate.
  const own = foldAll(emptyState(), [...lobby, ev(3, 'signed_in', { org_id: ORG.a, org_name: '甲公司', role: 'tenderer' }), ev(4, 'box_closed', { count: 3, order: [] })]);
  assert.equal(own.participants.length, 2);
});

test('a whole ceremony folds into the hall view', () => {
  const events = ceremony();
  const s = foldAll(emptyState(), events);
  assert.equal(s.phase, 'concluded');
  assert.equal(s.last_seq, 20);
  assert.equal(s.deadline, '2027-03-26T01:30:00.000Z');
  assert.deepEqual(s.participants.map((p) => p.role), ['host', 'supervisor', 'tenderer']);
  assert.equal(s.count, 3);
  assert.equal(s.k, 2);
  assert.deepEqual(s.custodians.map((c) => c.released), [true, true, false]);
  assert.deepEqual(s.progress['3'], { released: 2, needed: 2 });
  assert.equal(s.suspended, null);
  assert.deepEqual(s.suspensions.map((x) => [x.reason, x.resume_reason]), [['网络故障', '已恢复']]);
  const rows = tableRows(s);
  assert.deepEqual(rows.map((r) => r.n), [1, 2, 3]);
  assert.equal(rows[0].line.price_fen, 98_765_400);
  assert.equal(rows[0].line.commitment, 'c1', 'a line keeps the commitment it was listed under');
  assert.equal(rows[0].line.confirmed.line_sha256, 'ab'.repeat(32));
  assert.equal(rows[0].line.confirmed.seq, 17);
  assert.equal(rows[1].bond, 'missing');
  assert.equal(rows[1].line.confirmed, null);
  assert.deepEqual([rows[2].line.status, rows[2].line.reason, rows[2].line.fault, rows[2].line.price_fen], ['failed', 'corrupt_payload', 'tenderer', null]);
  assert.equal(s.confirmation.minutes, 30);
  assert.deepEqual(s.objections.map((o) => [o.text, o.answer]), [['<b>报价</b>读错了', '已核对，无误。']]);
  assert.deepEqual(s.concluded.record_sha256, 'cd'.repeat(32));
  assert.deepEqual(s.events.map((e) => e.seq), events.map((e) => e.seq));
});

test('the view follows the phases as the events arrive', () => {
  const phases = [];
  let s = emptyState();
  for (const e of ceremony()) {
    s = foldEvents(s, e);
    phases.push(s.suspended ? 'suspended' : s.phase);
  }
  assert.deepEqual([...new Set(phases)], ['lobby', 'closed', 'decrypting', 'suspended', 'announcing', 'announced', 'confirming', 'concluded']);
  // before the announcement the table knows each bid only by its number and commitment
  const closed = foldAll(emptyState(), ceremony().slice(0, 8));
  assert.deepEqual(tableRows(closed).map((r) => [r.n, r.commitment, r.bond, r.line]), [[1, 'c1', 'received', null], [2, 'c2', 'missing', null], [3, 'c3', 'received', null]]);
});

test('a failed opening says why', () => {
  const s = foldAll(emptyState(), [
    ev(1, 'lobby_opened', { deadline: '2027-03-26T01:30:00.000Z' }),
    ev(2, 'box_closed', { count: 2, order: [] }),
    ev(3, 'opening_failed', { count: 2, rule: 'min_three_bids', article: '条例44', message: '不足三家' }),
  ]);
  assert.equal(s.phase, 'failed');
  assert.deepEqual(s.failure, { count: 2, rule: 'min_three_bids', article: '条例44', message: '不足三家' });
});

test('missing custodians are named with the bids still waiting', () => {
  const events = ceremony().slice(0, 8);
  events.push(ev(9, 'custodians_missing', { missing: [{ index: 2, org_name: '招标代理' }, { index: 3, org_name: '住建局' }], waiting: [1, 2, 3] }));
  const s = foldAll(emptyState(), events);
  assert.deepEqual(s.missing.custodians.map((c) => c.index), [2, 3]);
  assert.deepEqual(s.missing.waiting, [1, 2, 3]);
});

test('replayed, duplicated and out-of-order events change nothing', () => {
  const events = ceremony();
  const once = foldAll(emptyState(), events);
  // a reconnect replays an overlapping backlog: everything up to 12 again, then the rest
  const replayed = foldAll(emptyState(), [...events.slice(0, 14), ...events.slice(0, 12), ...events.slice(10)]);
  assert.deepEqual(replayed, once);
  // a stale event arriving after a later one is ignored rather than taking the view back
  const s = foldAll(emptyState(), events.slice(0, 16));
  const stale = foldEvents(s, events[4]);
  assert.equal(stale, s);
  assert.equal(stale.phase, 'confirming');
  // a tenderer's own view may skip numbers; the gap is not a reason to refuse the next event
  const gappy = foldAll(emptyState(), events.filter((e) => ![2, 3].includes(e.seq)));
  assert.equal(gappy.phase, 'concluded');
  assert.deepEqual(gappy.participants.map((p) => p.role), ['tenderer']);
});

test('the party at fault reads the same however the hall words it', () => {
  assert.deepEqual(faultOf('tenderer'), { code: 'tenderer', index: null });
  assert.deepEqual(faultOf('the tenderer'), { code: 'tenderer', index: null });
  assert.deepEqual(faultOf('custodian 3'), { code: 'custodian', index: 3 });
  assert.deepEqual(faultOf('某单位'), { code: '某单位', index: null });
  assert.equal(faultOf(null), null);
});

test('the countdown counts down to the deadline and stops at zero', () => {
  const now = Date.parse('2027-03-26T01:00:00.000Z');
  assert.equal(remainingMs('2027-03-26T01:30:00.000Z', now), 30 * 60_000);
  assert.equal(remainingMs('2027-03-26T00:30:00.000Z', now), 0);
  assert.equal(remainingMs(null, now), null);
  assert.equal(formatCountdown(30 * 60_000 + 5_000), '30:05');
  assert.equal(formatCountdown(3 * 3600_000 + 62_000), '3:01:02');
  assert.equal(formatCountdown(-5), '00:00');
});

test('the socket address follows the page scheme and carries after', () => {
  assert.equal(socketUrl('http://127.0.0.1:8080', 't-1', 7), 'ws://127.0.0.1:8080/api/tenders/t-1/opening/ws?after=7');
  assert.equal(socketUrl('https://hall.example/x', 't 2', 0), 'wss://hall.example/api/tenders/t%202/opening/ws?after=0');
});

/** A fake WebSocket the test drives by hand, and fake timers it fires by hand. */
class FakeSocket {
  constructor(after) {
    this.after = after;
    this.closed = false;
  }

  open() {
    this.onopen?.({});
  }

  send(...events) {
    for (const e of events) this.onmessage?.({ data: JSON.stringify(e) });
  }

  drop() {
    this.onclose?.({ code: 1006 });
  }

  close() {
    this.closed = true;
  }
}

function harness(opts = {}) {
  const sockets = [];
  const timers = [];
  const delivered = [];
  const statuses = [];
  const stream = new OpeningStream({
    connect: (after) => {
      const s = new FakeSocket(after);
      sockets.push(s);
      return s;
    },
    onEvent: (e) => delivered.push(e),
    onStatus: (s) => statuses.push(s),
    timers: {
      setTimeout: (fn, ms) => {
        timers.push({ fn, ms });
        return timers.length;
      },
      clearTimeout: (id) => {
        timers[id - 1].fn = null;
      },
    },
    ...opts,
  });
  const fire = () => {
    const t = timers.shift();
    t.fn?.();
    return t.ms;
  };
  return { stream, sockets, timers, delivered, statuses, fire };
}

test('a reconnect asks for the events after the last one delivered', () => {
  const events = ceremony();
  const h = harness();
  h.stream.start();
  assert.equal(h.sockets.length, 1);
  assert.equal(h.sockets[0].after, 0);
  h.sockets[0].open();
  h.sockets[0].send(...events.slice(0, 7));
  h.sockets[0].drop();
  assert.equal(h.timers.length, 1, 'a reconnect is scheduled');
  h.fire();
  assert.equal(h.sockets.length, 2);
  assert.equal(h.sockets[1].after, 7);
  assert.equal(h.stream.lastSeq, 7);
});

test('each event is delivered once and in order across reconnects', () => {
  const events = ceremony();
  const h = harness();
  h.stream.start();
  h.sockets[0].open();
  h.sockets[0].send(...events.slice(0, 10));
  h.sockets[0].send(events[3], events[9]); // repeated on the same socket
  h.sockets[0].drop();
  h.fire();
  // the new socket's backlog overlaps what was shown, and one old event arrives late
  h.sockets[1].open();
  h.sockets[1].send(...events.slice(8, 15), events[2], ...events.slice(15));
  assert.deepEqual(h.delivered.map((e) => e.seq), events.map((e) => e.seq));
  // and what it delivered folds to the same view as the clean list
  assert.deepEqual(foldAll(emptyState(), h.delivered), foldAll(emptyState(), events));
});

test('a socket that was replaced is not listened to', () => {
  const events = ceremony();
  const h = harness();
  h.stream.start();
  const old = h.sockets[0];
  old.open();
  old.send(events[0]);
  old.drop();
  h.fire();
  old.send(events[1]); // a straggler from the dead socket
  assert.deepEqual(h.delivered.map((e) => e.seq), [1]);
  h.sockets[1].open();
  h.sockets[1].send(events[1]);
  assert.deepEqual(h.delivered.map((e) => e.seq), [1, 2]);
});

test('reconnects back off and reset once a socket opens', () => {
  const h = harness({ minDelay: 100, maxDelay: 700 });
  h.stream.start();
  const waits = [];
  for (let i = 0; i < 5; i++) {
    h.sockets.at(-1).drop();
    waits.push(h.fire());
  }
  assert.deepEqual(waits, [100, 200, 400, 700, 700]);
  h.sockets.at(-1).open();
  h.sockets.at(-1).drop();
  assert.equal(h.fire(), 100);
});

test('a connect that throws is retried; close stops everything', () => {
  let calls = 0;
  const h = harness();
  h.stream.connect = (after) => {
    calls += 1;
    if (calls === 1) throw new Error('refused');
    const s = new FakeSocket(after);
    h.sockets.push(s);
    return s;
  };
  h.stream.start();
  assert.equal(h.sockets.length, 0);
  h.fire();
  assert.equal(h.sockets.length, 1);
  h.stream.close();
  assert.equal(h.sockets[0].closed, true);
  h.sockets[0].drop();
  assert.equal(h.timers.length, 0, 'no reconnect after close');
  assert.equal(h.statuses.at(-1), 'closed');
});

test('an event that is not JSON or has no seq is skipped', () => {
  const h = harness();
  h.stream.start();
  h.sockets[0].open();
  h.sockets[0].onmessage({ data: 'not json' });
  h.sockets[0].onmessage({ data: JSON.stringify({ kind: 'x' }) });
  h.sockets[0].send(ceremony()[0]);
  assert.deepEqual(h.delivered.map((e) => e.seq), [1]);
});

test('the browser folds the hall\'s vector ceremony as the hall does, for every viewer', async () => {
  const { readFile } = await import('node:fs/promises');
  const doc = JSON.parse(await readFile(new URL('../../../docs/vectors/opening-events-v1.json', import.meta.url), 'utf8'));
  const sees = (viewer, a) => a === 'public'
    || (a === 'hall' && viewer.hall)
    || (a.party !== undefined && (viewer.hall || a.party === viewer.org_id))
    || (a.own !== undefined && a.own === viewer.org_id);
  assert.ok(doc.viewers.length >= 4);
  for (const viewer of doc.viewers) {
    const seen = doc.events.filter((e) => sees(viewer, e.audience));
    assert.deepEqual(seen.map((e) => e.seq), viewer.shown.seqs, viewer.name);
    const s = foldAll(emptyState(), seen.map(({ seq, at, kind, body }) => ({ seq, at, kind, body })));
    const shown = {
      phase: s.phase,
      count: s.count,
      participants: s.participants.map((p) => [p.org_name, p.role]),
      lines: tableRows(s).filter((r) => r.line).map((r) => [r.n, r.line.status, r.line.price_fen ?? null, r.line.fault ?? null]),
      objections: s.objections.length,
    };
    const { seqs, ...want } = viewer.shown;
    assert.deepEqual(shown, want, viewer.name);
  }
});

test('a lot with fewer than 3 bids is named as not opened (条例44), the others go on', () => {
  clock = Date.parse('2027-03-26T01:00:00.000Z');
  const s = foldAll(emptyState(), [
    ev(1, 'box_closed', { count: 4, order: [1, 2, 3, 4].map((n) => ({ n, lot_id: n < 4 ? 'lot-1' : 'lot-2', commitment: `c${n}` })) }),
    ev(2, 'lots_not_opened', { lots: [{ lot_id: 'lot-2', count: 1 }], rule: 'min_three_bids', article: '条例44' }),
    ev(3, 'bonds_checked', { lines: [1, 2, 3].map((n) => ({ n, bond: 'received', required_fen: 1 })) }),
  ]);
  assert.deepEqual(s.not_opened, [{ lot_id: 'lot-2', count: 1 }]);
  assert.equal(s.failure, null);
  assert.equal(s.phase, 'closed');
});
