// Tests of web/static/js/app/bidbox.js: the signed messages, bid.json from the form, attachment
// names, released-share encoding, receipts and the incremental SHA-256 against node's own.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as bb from '../../static/js/app/bidbox.js';
import { validateTarName } from '../../static/js/sealbox.js';

const text = (bytes) => new TextDecoder().decode(bytes);

test('registration messages are byte for byte what the server verifies', () => {
  assert.equal(text(bb.signingKeyMessage('org-1', 'BASE64==')), 'bidhall-signing-key/1\norg-1\nBASE64==\n');
  assert.equal(
    text(bb.custodianKeyMessage('0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e6f', 3, 'BPx+/=')),
    'bidhall-custodian-key/1\n0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e6f\n3\nBPx+/=\n',
  );
});

test('a released share is index ‖ share ‖ salt in base64, 65 bytes', () => {
  const share = Uint8Array.from({ length: 32 }, (_, i) => i);
  const salt = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
  const b64 = bb.encodeReleasedShare({ index: 4, share, salt });
  const raw = Buffer.from(b64, 'base64');
  assert.equal(raw.length, 65);
  assert.equal(raw[0], 4);
  assert.deepEqual([...raw.subarray(1, 33)], [...share]);
  assert.deepEqual([...raw.subarray(33)], [...salt]);
  assert.throws(() => bb.encodeReleasedShare({ index: 0, share, salt }), RangeError);
  assert.throws(() => bb.encodeReleasedShare({ index: 1, share: share.subarray(1), salt }), RangeError);
});

test('base64 round-trips and refuses garbage', () => {
  const bytes = new Uint8Array(randomBytes(100_000));
  assert.equal(bb.bytesToBase64(bytes), Buffer.from(bytes).toString('base64'));
  assert.deepEqual(bb.base64ToBytes(bb.bytesToBase64(bytes)), bytes);
  assert.equal(bb.base64ToBytes('not base64!'), null);
  assert.equal(bb.bytesToHex(Uint8Array.of(0, 15, 255)), '000fff');
});

test('the price is typed in yuan and carried as integer fen in a string', () => {
  const ok = bb.buildBid({ price: '1,288,000.5', durationDays: ' 180 ', quality: ' 合格 ', remarks: '条款一\n\n 条款二 ' });
  assert.deepEqual(ok.bid, { price_fen: '128800050', duration_days: 180, quality_commitment: '合格', declared_terms: ['条款一', '条款二'] });
  assert.equal(ok.json, JSON.stringify(ok.bid));
  assert.equal(text(ok.bytes), ok.json);
  assert.deepEqual(bb.buildBid({ price: '¥20000', durationDays: '1' }).bid, { price_fen: '2000000', duration_days: 1 });
  for (const price of ['', '0', '0.00', '-5', '1.234', '1e5', 'abc', '10000000000000.01']) {
    assert.deepEqual(bb.buildBid({ price, durationDays: '30' }).errors, [{ field: 'price', id: 'js_bad_money' }], price);
  }
  for (const durationDays of ['', '0', '1.5', '-3', 'x', '123456']) {
    assert.deepEqual(bb.buildBid({ price: '1', durationDays }).errors, [{ field: 'duration_days', id: 'js_bad_days' }], durationDays);
  }
});

test('attachment names are safe, short and unique archive names', () => {
  const long = '很长的文件名'.repeat(20) + '.pdf';
  const names = bb.attachmentNames(['报价.pdf', '报价.pdf', 'a/b\\c.txt', '..', 'x\u0001y', long, long, '']);
  assert.deepEqual(names.slice(0, 5), [
    'attachments/报价.pdf', 'attachments/报价-2.pdf', 'attachments/a_b_c.txt', 'attachments/file', 'attachments/x_y',
  ]);
  assert.equal(new Set(names).size, names.length);
  for (const n of names) {
    assert.ok(new TextEncoder().encode(n).length <= 100, n);
    validateTarName(n); // what the archive writer accepts
  }
  assert.ok(names[5].endsWith('.pdf') && names[6].endsWith('-2.pdf'));
});

test('custodian lists: who is missing, who holds what, keys in order', () => {
  const key = Buffer.alloc(65, 1);
  key[0] = 4;
  const b64 = key.toString('base64');
  const list = [
    { index: 2, org_id: 'a', public_key: null },
    { index: 1, org_id: null, public_key: b64 },
    { index: 3, org_id: 'a', public_key: b64 },
  ];
  assert.deepEqual(bb.missingCustodians(list), [2]);
  assert.deepEqual(bb.heldIndexes(list, 'a'), [2, 3]);
  assert.deepEqual(bb.heldIndexes(list, null), []);
  assert.throws(() => bb.custodianKeys(list), /custodian 2/);
  list[0].public_key = b64;
  assert.equal(bb.custodianKeys(list).length, 3);
  assert.throws(() => bb.custodianKeys([{ index: 2, public_key: b64 }]), /custodian 1/);
});

test('a receipt note is read line by line', () => {
  const note = 'bidhall-bid-receipt/1\nsubmitted\nT\nL\nc0ffee\nabcd\n4096\n2026-12-01T01:00:00Z\n17\n\n— hall.example/log AbCd\n';
  assert.deepEqual(bb.parseReceipt(note), {
    action: 'submitted', tender: 'T', lot: 'L', commitment: 'c0ffee', sha256: 'abcd', size: 4096, at: '2026-12-01T01:00:00Z', logIndex: 17,
  });
  assert.equal(bb.parseReceipt('something else'), null);
});

test('incremental SHA-256 matches node for every split', () => {
  const data = new Uint8Array(randomBytes(300));
  for (const len of [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 300]) {
    const want = createHash('sha256').update(data.subarray(0, len)).digest('hex');
    for (const step of [1, 7, 64, 1000]) {
      const h = new bb.Sha256();
      for (let i = 0; i < len; i += step) h.update(data.subarray(i, Math.min(len, i + step)));
      assert.equal(h.hex(), want, `len ${len} step ${step}`);
    }
  }
  const big = new Uint8Array(randomBytes(3 * 65536 + 17));
  const h = new bb.Sha256();
  for (let i = 0; i < big.length; i += 65552) h.update(big.subarray(i, i + 65552));
  assert.equal(h.hex(), createHash('sha256').update(big).digest('hex'));
  assert.equal(h.hex(), h.hex());
  assert.throws(() => h.update(Uint8Array.of(1)));
});

test('what the custodian page releases is what the server checks against the commitment', async () => {
  const sb = await import('../../static/js/sealbox.js');
  const custodians = [];
  for (let i = 0; i < 3; i++) custodians.push(await sb.generateCustodianKey());
  const signer = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const bid = bb.buildBid({ price: '1000', durationDays: '30' });
  const payload = sb.tarArchive([{ name: sb.BID_JSON, data: bid.bytes }]);
  const pieces = [];
  const hash = new bb.Sha256();
  await sb.sealEnvelope({
    tenderId: 'T-1', lotId: 'L-1', tendererId: 'org-1', k: 2, signingKey: signer.privateKey,
    custodians: custodians.map((c) => c.publicKey), payload,
    onChunk: (b) => { pieces.push(b); hash.update(b); },
  });
  const envelope = Buffer.concat(pieces);
  assert.equal(hash.hex(), createHash('sha256').update(envelope).digest('hex'));
  // The server sends the header as base64; the page parses it and opens its own share.
  const headerLength = envelope.readUInt32BE(8);
  const header = await sb.parseHeader(bb.base64ToBytes(envelope.subarray(0, headerLength).toString('base64')));
  for (const index of [1, 2, 3]) {
    const released = await sb.openShare(header, index, custodians[index - 1]);
    const raw = bb.base64ToBytes(bb.encodeReleasedShare(released));
    await sb.checkReleasedShare(header, index, { index: raw[0], share: raw.subarray(1, 33), salt: raw.subarray(33) });
  }
  // Another custodian's key is refused as that custodian's fault.
  await assert.rejects(sb.openShare(header, 1, custodians[1]), (e) => e.code === 'wrong_custodian_key' && e.fault.index === 1);
});
