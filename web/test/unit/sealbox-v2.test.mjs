// Tests of envelope version 2 in web/static/js/sealbox.js against docs/vectors/sealed-envelope-v2.json
// (made by the Rust implementation): the same header and ciphertext bytes, the public's check of the
// announced key and bid.json, the hall's opening of both segments, and the documented tamper cases.
// Run with `node --test web/test/unit/`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import * as sb from '../../static/js/sealbox.js';

const { fromHex, toHex } = sb;
const repo = (path) => new URL(`../../../${path}`, import.meta.url);
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const pattern = (len) => Uint8Array.from({ length: len }, (_, j) => j % 251);
const concat = (parts) => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let pos = 0;
  for (const p of parts) { out.set(p, pos); pos += p.length; }
  return out;
};
const vectors = JSON.parse(await readFile(repo('docs/vectors/sealed-envelope-v2.json'), 'utf8'));

async function custodianFromHex(privateHex, publicHex) {
  const keyFile = JSON.stringify({ format: sb.KEY_FILE_FORMAT, curve: 'P-256', private_key: privateHex, public_key: publicHex });
  return sb.importCustodianKeyFile(keyFile);
}

async function rejects(promise, code, fault) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof sb.SealboxError, `not a SealboxError: ${e}`);
    assert.equal(e.code, code, e.message);
    if (fault !== undefined) assert.deepEqual(e.fault, fault, e.message);
    return true;
  });
}

/** Seals the case with its fixed randomness; returns the envelope and the case's keys. */
async function sealCase(c, documentsKind = 'bytes') {
  const custodians = [];
  for (const k of c.custodians) custodians.push(await custodianFromHex(k.private_key, k.public_key));
  const signingKey = await sb.importSigningKey(fromHex(c.tenderer.private_key), fromHex(c.tenderer.public_key));
  const documents = c.documents.hex ? fromHex(c.documents.hex) : pattern(c.documents.length);
  const r = c.randomness;
  const pieces = [];
  const summary = await sb.sealEnvelopeV2({
    tenderId: c.tender_id, lotId: c.lot_id, tendererId: c.tenderer_id, k: c.k,
    custodians: custodians.map((x) => x.publicKey), signingKey,
    announced: fromHex(c.announced.hex),
    documents: documentsKind === 'blob' ? new Blob([documents]) : documents, documentsLength: documents.length,
    randomness: {
      contentKey: fromHex(r.content_key), envelopeId: fromHex(r.envelope_id), coefficients: fromHex(r.coefficients),
      shareSalts: r.share_salts.map(fromHex), ephemeralIkm: r.ephemeral_ikm.map(fromHex),
    },
    onChunk: (b) => { pieces.push(b); },
  });
  return { bytes: concat(pieces), summary, custodians, documents };
}

test('v2 vectors: same header bytes and ciphertext as the Rust implementation', async () => {
  assert.equal(vectors.cases.length, 3);
  for (const [i, c] of vectors.cases.entries()) {
    const want = c.expected;
    if (c.documents.tar_files) {
      const blob = sb.tarArchive(c.documents.tar_files.map((f) => ({ name: f.name, data: fromHex(f.hex) })), { documents: true });
      assert.equal(toHex(new Uint8Array(await blob.arrayBuffer())), c.documents.hex, 'JS documents archive = Rust documents archive');
      assert.deepEqual(sb.readTar(fromHex(c.documents.hex), { documents: true }).map((f) => ({ name: f.name, hex: toHex(f.data) })), c.documents.tar_files);
    }
    const { bytes, summary } = await sealCase(c, i === 1 ? 'blob' : 'bytes');
    assert.equal(summary.headerLength, want.header_len);
    assert.equal(summary.header.version, 2);
    assert.equal(toHex(bytes.subarray(0, want.header_len - 64)), want.header_unsigned, `${c.name}: header`);
    const body = bytes.subarray(want.header_len);
    assert.equal(body.length, want.body_len);
    assert.equal(sha256(body), want.body_sha256, `${c.name}: body`);
    if (want.body_hex) assert.equal(toHex(body), want.body_hex);
    assert.equal(toHex(body.subarray(0, want.announced_segment_len)), want.announced_segment_hex);
    const parsed = await sb.parseHeader(bytes.subarray(0, want.header_len));
    await sb.verifyHeaderSignature(parsed, fromHex(c.tenderer.public_key));
    assert.equal(toHex(parsed.announcedKeyCommitment), want.announced_key_commitment);
    assert.equal(parsed.announcedLength, c.announced.length);
    assert.equal(parsed.documentsLength, c.documents.length);
    assert.equal(parsed.envelopeLength, bytes.length);
    for (const [j, rec] of want.records.entries()) {
      assert.equal(toHex(parsed.custodians[j].commitment), rec.commitment);
      assert.equal(toHex(parsed.custodians[j].sealedShare), rec.sealed_share);
    }
    assert.equal(toHex(await sb.announcedKeyCommitment(fromHex(c.randomness.envelope_id), fromHex(want.announced_key))), want.announced_key_commitment);
  }
});

test('v2: the public checks the published key and reads bid.json; the hall opens both segments', async () => {
  for (const c of vectors.cases) {
    const want = c.expected;
    const { bytes, custodians, documents } = await sealCase(c);
    // The public: the recorded header (Rust's example signature), the published key, the envelope.
    const recorded = await sb.parseHeader(fromHex(want.header_with_example_signature));
    await sb.verifyHeaderSignature(recorded, fromHex(c.tenderer.public_key));
    const key = fromHex(want.announced_key);
    await sb.checkAnnouncedKey(recorded, key);
    const { header, body } = await sb.readHeader(new Blob([bytes]).stream());
    const bid = await sb.openAnnounced(header, key, body);
    assert.equal(toHex(bid), c.announced.hex, `${c.name}: bid.json`);
    // The hall: the last k custodians, CK, the same announced key, the documents.
    const released = [];
    for (let i = c.custodians.length - c.k + 1; i <= c.custodians.length; i++) {
      released.push(await sb.openShare(recorded, i, custodians[i - 1]));
    }
    const ck = await sb.rebuildKey(recorded, released);
    assert.equal(toHex(await sb.deriveAnnouncedKey(recorded, ck)), want.announced_key);
    const out = [];
    await sb.openDocuments(header, ck, body, (p) => { out.push(p); });
    assert.equal(sha256(concat(out)), sha256(documents), `${c.name}: documents`);
    await rejects(sb.openPayload(recorded, ck, bytes.subarray(want.header_len), () => {}), 'wrong_version');
  }
});

test('v2: the announced key never opens the documents', async () => {
  const c = vectors.cases[0];
  const want = c.expected;
  const { bytes } = await sealCase(c);
  const { header, body } = await sb.readHeader(bytes);
  const key = fromHex(want.announced_key);
  await sb.openAnnounced(header, key, body);
  // Taken for CK, it fails the MAC before anything is decrypted.
  await rejects(sb.openDocuments(header, new sb.ContentKey(key.slice()), body, () => assert.fail('no plaintext')), 'key_does_not_match_header');
  // Taken for the documents key, the first chunk does not authenticate.
  const rest = bytes.subarray(want.header_len + want.announced_segment_len);
  const aes = await globalThis.crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['decrypt']);
  const iv = new Uint8Array(12);
  iv[11] = 1;
  await assert.rejects(globalThis.crypto.subtle.decrypt({ name: 'AES-GCM', iv, tagLength: 128 }, aes, rest));
  assert.notEqual(want.documents_key, want.announced_key);
});

test('v2 tamper cases give the documented error and fault', async () => {
  const c = vectors.cases[0];
  const want = c.expected;
  const [wrongKey, altered, resealed, afterSigning] = vectors.tamper;
  const { bytes, custodians } = await sealCase(c);
  const header = await sb.parseHeader(bytes.subarray(0, want.header_len));

  await rejects(sb.openAnnounced(header, fromHex(wrongKey.announced_key), bytes.subarray(want.header_len)), wrongKey.error, null);

  const bad = bytes.slice();
  bad[altered.envelope_offset] ^= altered.xor;
  await rejects(sb.openAnnounced(header, fromHex(want.announced_key), bad.subarray(want.header_len)), altered.error, { party: altered.fault });

  const h2 = await sb.parseHeader(fromHex(resealed.header_with_example_signature));
  await sb.verifyHeaderSignature(h2, fromHex(c.tenderer.public_key));
  const shares = [];
  for (let i = 1; i <= c.custodians.length; i++) shares.push(await sb.openShare(h2, i, custodians[i - 1]));
  const ck = await sb.rebuildKey(h2, shares);
  await rejects(sb.deriveAnnouncedKey(h2, ck), resealed.error_after_rebuild, { party: resealed.fault });
  await rejects(sb.checkAnnouncedKey(h2, fromHex(want.announced_key)), resealed.error_checking_genuine_key);

  const hb = bytes.slice(0, want.header_len);
  hb[afterSigning.commitment_offset] ^= 1;
  const h3 = await sb.parseHeader(hb);
  await rejects(sb.verifyHeaderSignature(h3, fromHex(c.tenderer.public_key)), afterSigning.error_signature);
  const own = [];
  for (let i = 1; i <= c.custodians.length; i++) own.push(await sb.openShare(header, i, custodians[i - 1]));
  await rejects(sb.rebuildKey(h3, own), afterSigning.error_rebuild);
});

test('v2: an announced part over 1 MiB is refused; the documents may be a stream', async () => {
  const c = vectors.cases[1];
  const custodians = [];
  for (const k of c.custodians) custodians.push(await custodianFromHex(k.private_key, k.public_key));
  const signingKey = await sb.importSigningKey(fromHex(c.tenderer.private_key), fromHex(c.tenderer.public_key));
  const base = { tenderId: 'T', lotId: 'L', tendererId: 'R', k: 2, custodians: custodians.map((x) => x.publicKey), signingKey, onChunk: () => {} };
  await rejects(sb.sealEnvelopeV2({ ...base, announced: new Uint8Array(sb.MAX_ANNOUNCED_LEN + 1), documents: new Uint8Array(0) }), 'invalid_params');
  const docs = pattern(70000);
  const pieces = [];
  await sb.sealEnvelopeV2({ ...base, announced: new TextEncoder().encode('{"price_fen":"7"}'), documents: new Blob([docs]).stream(), documentsLength: docs.length, onChunk: (b) => { pieces.push(b); } });
  const bytes = concat(pieces);
  const { header } = await sb.readHeader(bytes);
  assert.equal(header.envelopeLength, bytes.length);
});
