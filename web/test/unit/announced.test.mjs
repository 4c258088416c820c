// Tests of web/static/js/app/announced.js against the v2 vectors: the public check of an announced
// line passes for the receipted envelope and the published key, and fails for anything else.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import * as sb from '../../static/js/sealbox.js';
import { sameJson, verifyAnnouncedLine } from '../../static/js/app/announced.js';

const { fromHex, toHex } = sb;
const doc = JSON.parse(await readFile(new URL('../../../docs/vectors/sealed-envelope-v2.json', import.meta.url), 'utf8'));

async function envelopeOf(c) {
  const custodians = [];
  for (const k of c.custodians) {
    custodians.push(await sb.importCustodianKeyFile(JSON.stringify({ format: sb.KEY_FILE_FORMAT, curve: 'P-256', private_key: k.private_key, public_key: k.public_key })));
  }
  const r = c.randomness;
  const pieces = [];
  await sb.sealEnvelopeV2({
    tenderId: c.tender_id, lotId: c.lot_id, tendererId: c.tenderer_id, k: c.k,
    custodians: custodians.map((x) => x.publicKey),
    signingKey: await sb.importSigningKey(fromHex(c.tenderer.private_key), fromHex(c.tenderer.public_key)),
    announced: fromHex(c.announced.hex), documents: fromHex(c.documents.hex),
    randomness: { contentKey: fromHex(r.content_key), envelopeId: fromHex(r.envelope_id), coefficients: fromHex(r.coefficients), shareSalts: r.share_salts.map(fromHex), ephemeralIkm: r.ephemeral_ikm.map(fromHex) },
    onChunk: (b) => { pieces.push(b); },
  });
  const out = new Uint8Array(pieces.reduce((s, p) => s + p.length, 0));
  let pos = 0;
  for (const p of pieces) { out.set(p, pos); pos += p.length; }
  return out;
}

test('sameJson ignores key order only', () => {
  assert.ok(sameJson({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 }));
  assert.ok(!sameJson({ a: 1 }, { a: '1' }));
  assert.ok(!sameJson({ a: 1 }, { a: 1, b: null }));
  assert.ok(!sameJson([1, 2], [2, 1]));
});

test('an announced line verifies with the published key, and nothing else does', async () => {
  const c = doc.cases[0];
  const envelope = await envelopeOf(c);
  const bid = JSON.parse(new TextDecoder().decode(fromHex(c.announced.hex)));
  const line = {
    envelope_sha256: toHex(await sb.sha256(envelope)), version: 2,
    announced_key: c.expected.announced_key, outcome: { status: 'opened', bid },
  };
  const ok = await verifyAnnouncedLine(envelope, line);
  assert.equal(ok.kind, 'verified');
  assert.ok(ok.ok);
  assert.equal((await verifyAnnouncedLine(envelope, { ...line, announced_key: doc.tamper[0].announced_key })).reason, 'announced_key_mismatch');
  assert.equal((await verifyAnnouncedLine(envelope, { ...line, outcome: { status: 'opened', bid: { ...bid, price_fen: '1' } } })).ok, false);
  const other = envelope.slice();
  other[doc.tamper[1].envelope_offset] ^= 1;
  assert.match((await verifyAnnouncedLine(other, line)).reason, /SHA-256/);
  assert.equal((await verifyAnnouncedLine(other, { ...line, envelope_sha256: toHex(await sb.sha256(other)) })).reason, 'chunk_corrupt');
  assert.equal((await verifyAnnouncedLine(envelope, { ...line, outcome: { status: 'failed' }, announced_key: null })).kind, 'not_opened');
});
