// The custodian's checks before releasing (docs/bid-box.md, "What a custodian checks"): the
// closing list proven from the log, then for each served header the list, the tenderer's
// signature, the tender, and only then the share. Every refusal has its code and party.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as sb from '../../static/js/sealbox.js';
import { leafHash, nodeHash, keyId, bytesToBase64 } from '../../static/js/app/auditlog.js';

const { subtle } = globalThis.crypto;
const utf8 = new TextEncoder();
const TENDER = 'ZFCG-2026-0042';
const LOT = '标段-01';
const TENDERER = '91110000MA01ABCD2X';
const hex = (b) => Buffer.from(b).toString('hex');
const sha = async (b) => hex(new Uint8Array(await subtle.digest('SHA-256', b)));

async function sealed(t, payload) {
  const pieces = [];
  await sb.sealEnvelope({ ...t.params, signingKey: t.signingKey, payload, onChunk: (b) => { pieces.push(b); } });
  return pieces[0]; // the header
}

async function makeTender() {
  const custodians = [];
  for (let i = 0; i < 3; i++) custodians.push(await sb.generateCustodianKey());
  const tenderer = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const tendererPublic = new Uint8Array(await subtle.exportKey('raw', tenderer.publicKey));
  return {
    params: { tenderId: TENDER, lotId: LOT, tendererId: TENDERER, k: 2, custodians: custodians.map((c) => c.publicKey) },
    custodians, signingKey: tenderer.privateKey, tendererPublic,
  };
}

/** A log of two entries (the list part, then box_closed) with a signed checkpoint; receipts. */
async function makeLog(envelopes, { tender = TENDER } = {}) {
  const part = utf8.encode(JSON.stringify({ type: 'box_closed_envelopes', tender, payload: { part: 1, parts: 1, envelopes } }));
  const closing = utf8.encode(JSON.stringify({ type: 'box_closed', tender, payload: { bids: envelopes.length, envelope_lists: [0] } }));
  const [l0, l1] = [await leafHash(part), await leafHash(closing)];
  const root = await nodeHash(l0, l1);
  const pair = await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const pub = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
  const name = 'bidhall.test/log';
  const id = await keyId(name, 1, pub);
  const body = `${name}\n2\n${bytesToBase64(root)}\n`;
  const sig = new Uint8Array(await subtle.sign({ name: 'Ed25519' }, pair.privateKey, utf8.encode(body)));
  const idBytes = new Uint8Array(4);
  new DataView(idBytes.buffer).setUint32(0, id);
  const note = `${body}\n— ${name} ${bytesToBase64(new Uint8Array([...idBytes, ...sig]))}\n`;
  const verifierKey = `${name}+${id.toString(16).padStart(8, '0')}+${bytesToBase64(new Uint8Array([1, ...pub]))}`;
  const receipt = (index, entry, proof) => ({ index, entry_b64: bytesToBase64(entry), tree_size: 2, inclusion: [bytesToBase64(proof)], checkpoint: note });
  return { verifierKey, closing: receipt(1, closing, l0), parts: [receipt(0, part, l1)] };
}

/** One counted bid, its log, and the context a custodian checks it in. */
async function setup() {
  const t = await makeTender();
  const header = await sealed(t, utf8.encode('{"price_fen":"100"}'));
  const listed = { n: 1, bid_id: 'bid-1', lot_id: LOT, commitment: 'c'.repeat(64), envelope_sha256: 'e'.repeat(64), header_sha256: await sha(header) };
  const log = await makeLog([listed]);
  const counted = await sb.verifyClosing({ tenderId: TENDER, ...log });
  const item = { bid_id: 'bid-1', header, tenderer_id: TENDERER, tenderer_keys: [t.tendererPublic] };
  const ctx = { tenderId: TENDER, k: 2, custodians: t.params.custodians, index: 2, counted, custodianKey: t.custodians[1] };
  return { t, header, listed, log, counted, item, ctx };
}

async function refused(promise, code, party) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.code, code, e.message);
    assert.equal(e.fault?.party ?? null, party, `${code}: ${JSON.stringify(e.fault)}`);
    assert.ok(sb.CUSTODIAN_REFUSALS[code], `${code} has a Chinese explanation`);
    return true;
  });
}

test('an honest header that the log counts is released', async () => {
  const { ctx, item } = await setup();
  const released = await sb.checkBeforeRelease({ ...ctx, item });
  assert.equal(released.index, 2);
  assert.equal(released.share.length, 32);
});

test('the closing must be proven by the log key, for this tender', async () => {
  const { log, listed } = await setup();
  const other = await makeLog([listed]);
  await refused(sb.verifyClosing({ tenderId: TENDER, ...log, verifierKey: other.verifierKey }), 'closing_not_proven', 'hall');
  const tampered = { ...log.parts[0], entry_b64: bytesToBase64(utf8.encode('{"type":"box_closed_envelopes"}')) };
  await refused(sb.verifyClosing({ tenderId: TENDER, ...log, parts: [tampered] }), 'closing_not_proven', 'hall');
  await refused(sb.verifyClosing({ tenderId: 'ZFCG-OTHER', ...log }), 'closing_malformed', 'hall');
  const elsewhere = await makeLog([listed], { tender: 'ZFCG-OTHER' });
  await refused(sb.verifyClosing({ tenderId: TENDER, ...elsewhere }), 'closing_malformed', 'hall');
});

test('a header altered in its signature, k, payload length or MAC is refused and the tenderer not blamed', async () => {
  const { ctx, item, header } = await setup();
  const ids = utf8.encode(TENDER).length + utf8.encode(LOT).length + utf8.encode(TENDERER).length;
  const k = 12 + 12 + ids + 16 + 1;
  const at = { signature: header.length - 1, k, payload_len: k + 1 + 4 + 7, mac: header.length - 65 };
  for (const [field, offset] of Object.entries(at)) {
    const altered = header.slice();
    altered[offset] ^= 1;
    await refused(sb.checkBeforeRelease({ ...ctx, item: { ...item, header: altered } }), 'header_not_logged', 'hall');
    assert.ok(field);
  }
});

test('a superseded or withdrawn envelope served under a counted bid id is refused', async () => {
  const { ctx, item, t } = await setup();
  const superseded = await sealed(t, utf8.encode('{"price_fen":"999"}'));
  await refused(sb.checkBeforeRelease({ ...ctx, item: { ...item, header: superseded } }), 'header_not_logged', 'hall');
  await refused(sb.checkBeforeRelease({ ...ctx, item: { ...item, bid_id: 'bid-withdrawn', header: superseded } }), 'not_counted', 'hall');
});

test('a listed header with a bad signature is the hall\'s; one the tenderer signed wrongly is the tenderer\'s', async () => {
  const { t, ctx, item } = await setup();
  // the hall logged a header whose signature does not verify
  const forged = item.header.slice();
  forged[forged.length - 1] ^= 1;
  const counted = new Map([['bid-1', { ...ctx.counted.get('bid-1'), header_sha256: await sha(forged) }]]);
  await refused(sb.checkBeforeRelease({ ...ctx, counted, item: { ...item, header: forged } }), 'bad_signature', 'hall');
  await refused(sb.checkBeforeRelease({ ...ctx, item: { ...item, tenderer_keys: [] } }), 'no_tenderer_key', 'hall');
  // the tenderer signed a header with another k
  const wrongK = await sealed({ ...t, params: { ...t.params, k: 3 } }, utf8.encode('{}'));
  const signedWrong = new Map([['bid-1', { ...ctx.counted.get('bid-1'), header_sha256: await sha(wrongK) }]]);
  await refused(sb.checkBeforeRelease({ ...ctx, counted: signedWrong, item: { ...item, header: wrongK } }), 'not_sealed_for', 'tenderer');
  // a header the tenderer signed for another lot, listed here: the hall's
  const otherLot = await sealed({ ...t, params: { ...t.params, lotId: '标段-02' } }, utf8.encode('{}'));
  const listedOther = new Map([['bid-1', { ...ctx.counted.get('bid-1'), header_sha256: await sha(otherLot) }]]);
  await refused(sb.checkBeforeRelease({ ...ctx, counted: listedOther, item: { ...item, header: otherLot } }), 'not_sealed_for', 'hall');
});

test('a key that is not the one the header names is the custodian\'s own', async () => {
  const { ctx, item, t } = await setup();
  await refused(sb.checkBeforeRelease({ ...ctx, item, custodianKey: t.custodians[2] }), 'wrong_custodian_key', 'custodian');
});
