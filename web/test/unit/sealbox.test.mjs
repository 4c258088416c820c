// Tests of web/static/js/sealbox.js: RFC 9180 and Shamir vectors, the shared envelope vectors,
// the Rust-sealed fixture, threshold, tampering and key handling. Run with `node --test web/test/unit/`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import * as sb from '../../static/js/sealbox.js';

const subtle = globalThis.crypto.subtle;
const { fromHex, toHex } = sb;
const json = async (url) => JSON.parse(await readFile(url, 'utf8'));
const repo = (path) => new URL(`../../../${path}`, import.meta.url);
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const pattern = (len) => Uint8Array.from({ length: len }, (_, j) => j % 251);
const concat = (parts) => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let pos = 0;
  for (const p of parts) { out.set(p, pos); pos += p.length; }
  return out;
};

function jwk(scalar, pub) {
  const b64 = (b) => Buffer.from(b).toString('base64url');
  return { kty: 'EC', crv: 'P-256', d: b64(scalar), x: b64(pub.subarray(1, 33)), y: b64(pub.subarray(33)) };
}

async function custodianFromHex(privateHex, publicHex) {
  const keyFile = JSON.stringify({ format: sb.KEY_FILE_FORMAT, curve: 'P-256', private_key: privateHex, public_key: publicHex });
  return sb.importCustodianKeyFile(keyFile);
}

/** Seals to memory; returns the envelope bytes and the pieces onChunk received. */
async function sealToBytes(opts) {
  const pieces = [];
  const summary = await sb.sealEnvelope({ ...opts, onChunk: (b) => { pieces.push(b); } });
  return { bytes: concat(pieces), pieces, summary };
}

async function makeTender(n, k) {
  const custodians = [];
  for (let i = 0; i < n; i++) custodians.push(await sb.generateCustodianKey());
  const tenderer = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const tendererPublic = new Uint8Array(await subtle.exportKey('raw', tenderer.publicKey));
  return {
    params: { tenderId: 'ZFCG-2026-0042', lotId: '标段-01', tendererId: '91110000MA01ABCD2X', k, custodians: custodians.map((c) => c.publicKey) },
    custodians, signingKey: tenderer.privateKey, tendererPublic,
  };
}

async function seal(t, payload) {
  return (await sealToBytes({ ...t.params, signingKey: t.signingKey, payload })).bytes;
}

/** The platform's opening: header, signature, upload check, shares, key, payload. */
async function openEnvelope(bytes, t, which) {
  const { header, body } = await sb.readHeader(bytes);
  await sb.verifyHeaderSignature(header, t.tendererPublic);
  await sb.checkSealedFor(header, t.params);
  const shares = [];
  for (const i of which) shares.push(await sb.openShare(header, i, t.custodians[i - 1]));
  for (const s of shares) await sb.checkReleasedShare(header, s.index, s);
  const key = await sb.rebuildKey(header, shares);
  const out = [];
  await sb.openPayload(header, key, body, (p) => { out.push(p); });
  return concat(out);
}

async function rejects(promise, code, fault) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof sb.SealboxError, `not a SealboxError: ${e}`);
    assert.equal(e.code, code, e.message);
    if (fault !== undefined) assert.deepEqual(e.fault, fault, e.message);
    return true;
  });
}

const TENDERER = { party: 'tenderer' };

// ---- Vectors ----------------------------------------------------------------------------------

test('RFC 9180 A.3 base-mode vector', async () => {
  const v = await json(repo('docs/vectors/hpke-rfc9180-a3.json'));
  const eph = await sb.deriveKeyPair(fromHex(v.ikmE));
  assert.equal(toHex(eph.scalar), v.skEm);
  assert.equal(toHex(eph.publicKey), v.pkEm);
  const rcp = await sb.deriveKeyPair(fromHex(v.ikmR));
  assert.equal(toHex(rcp.scalar), v.skRm);
  assert.equal(toHex(rcp.publicKey), v.pkRm);

  const info = fromHex(v.info);
  const { enc, ctx: sender } = await sb.setupBaseS(fromHex(v.pkRm), info, { ikmE: fromHex(v.ikmE) });
  assert.equal(toHex(enc), v.enc);
  const skR = await subtle.importKey('jwk', jwk(fromHex(v.skRm), fromHex(v.pkRm)), { name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
  const receiver = await sb.setupBaseR(enc, { privateKey: skR, publicKey: fromHex(v.pkRm) }, info);
  for (const ctx of [sender, receiver]) {
    const ks = ctx.keyScheduleForTests;
    assert.equal(toHex(ks.sharedSecret), v.shared_secret);
    assert.equal(toHex(ks.keyScheduleContext), v.key_schedule_context);
    assert.equal(toHex(ks.secret), v.secret);
    assert.equal(toHex(ks.key), v.key);
    assert.equal(toHex(ks.baseNonce), v.base_nonce);
    assert.equal(toHex(ks.exporterSecret), v.exporter_secret);
  }
  assert.ok(v.encryptions.length >= 2);
  for (const e of v.encryptions) {
    const ct = await sender.seal(fromHex(e.aad), fromHex(e.pt));
    assert.equal(toHex(ct), e.ct, `encryption ${e.sequence_number}`);
    assert.equal(toHex(await receiver.open(fromHex(e.aad), ct)), e.pt);
  }
  for (const e of v.exports) {
    assert.equal(toHex(await sender.export(fromHex(e.exporter_context), e.L)), e.exported_value);
  }
  const single = await sb.hpkeSeal(fromHex(v.pkRm), info, fromHex(v.encryptions[0].aad), fromHex(v.encryptions[0].pt), { ikmE: fromHex(v.ikmE) });
  assert.equal(toHex(single.ct), v.encryptions[0].ct);
  const pt = await sb.hpkeOpen({ privateKey: skR, publicKey: fromHex(v.pkRm) }, single.enc, info, fromHex(v.encryptions[0].aad), single.ct);
  assert.equal(toHex(pt), v.encryptions[0].pt);
  const bad = single.ct.slice();
  bad[3] ^= 1;
  await rejects(sb.hpkeOpen({ privateKey: skR, publicKey: fromHex(v.pkRm) }, single.enc, info, fromHex(v.encryptions[0].aad), bad), 'hpke_open_failed');
});

test('Shamir split reproduces the independent GF(2^8) vectors', async () => {
  const v = await json(repo('docs/vectors/shamir-gf256.json'));
  const secret = fromHex(v.secret_hex);
  const coeffs = concat(v.coefficients_hex_per_byte.map(fromHex));
  const shares = sb.split(secret, v.n, v.k, coeffs);
  assert.deepEqual(shares.map((s) => ({ x: s.x, y_hex: toHex(s.y) })), v.shares);
  for (let a = 0; a < 4; a++) {
    for (let b = a + 1; b < 4; b++) {
      assert.notEqual(toHex(sb.combine([shares[a], shares[b]])), v.secret_hex);
      for (let c = b + 1; c < 4; c++) {
        assert.equal(toHex(sb.combine([shares[a], shares[b], shares[c]])), v.secret_hex);
      }
    }
  }
  assert.throws(() => sb.combine([shares[0], shares[0]]), /same position/);
});

function payloadSource(bytes, kind) {
  if (kind === 'blob') return new Blob([bytes]);
  if (kind === 'stream') {
    // Deliberately awkward 1000-byte pieces so chunks straddle reads.
    let pos = 0;
    return new ReadableStream({
      pull(ctl) {
        if (pos >= bytes.length) { ctl.close(); return; }
        ctl.enqueue(bytes.slice(pos, pos + 1000));
        pos += 1000;
      },
    });
  }
  return bytes;
}

test('envelope vectors: same header bytes and ciphertext as the Rust implementation, and they open', async () => {
  const doc = await json(repo('docs/vectors/sealed-envelope-v1.json'));
  const kinds = ['bytes', 'blob', 'stream', 'bytes'];
  assert.equal(doc.cases.length, 4);
  for (const [ci, c] of doc.cases.entries()) {
    const want = c.expected;
    const custodians = [];
    for (const k of c.custodians) custodians.push(await custodianFromHex(k.private_key, k.public_key));
    const signingKey = await sb.importSigningKey(fromHex(c.tenderer.private_key), fromHex(c.tenderer.public_key));
    const payload = c.payload.hex ? fromHex(c.payload.hex) : pattern(c.payload.length);
    assert.equal(sha256(payload), c.payload.sha256);
    if (c.payload.tar_files) {
      const blob = sb.tarArchive(c.payload.tar_files.map((f) => ({ name: f.name, data: fromHex(f.hex) })));
      assert.equal(toHex(new Uint8Array(await blob.arrayBuffer())), c.payload.hex, 'JS tar writer = Rust tar writer');
      assert.deepEqual(sb.readTar(payload).map((f) => ({ name: f.name, hex: toHex(f.data) })), c.payload.tar_files);
    }
    const r = c.randomness;
    const { bytes, pieces, summary } = await sealToBytes({
      tenderId: c.tender_id, lotId: c.lot_id, tendererId: c.tenderer_id, k: c.k,
      custodians: custodians.map((x) => x.publicKey), signingKey,
      payload: payloadSource(payload, kinds[ci]), payloadLength: payload.length,
      randomness: {
        contentKey: fromHex(r.content_key), envelopeId: fromHex(r.envelope_id), coefficients: fromHex(r.coefficients),
        shareSalts: r.share_salts.map(fromHex), ephemeralIkm: r.ephemeral_ikm.map(fromHex),
      },
    });
    assert.equal(summary.headerLength, want.header_len);
    assert.equal(pieces[0].length, want.header_len, 'header is the first piece');
    assert.ok(pieces.slice(1).every((p) => p.length <= sb.CHUNK_SIZE + sb.TAG_LEN));
    const header = bytes.subarray(0, want.header_len);
    const body = bytes.subarray(want.header_len);
    assert.equal(toHex(header.subarray(0, want.header_len - 64)), want.header_unsigned, `${c.name}: header`);
    assert.equal(body.length, want.body_len);
    assert.equal(sha256(body), want.body_sha256, `${c.name}: body`);
    if (want.body_hex) assert.equal(toHex(body), want.body_hex);

    const parsed = await sb.parseHeader(header);
    await sb.verifyHeaderSignature(parsed, fromHex(c.tenderer.public_key));
    assert.equal(toHex(parsed.mac), want.mac);
    for (const [i, rec] of want.records.entries()) {
      const got = parsed.custodians[i];
      assert.equal(got.index, rec.index);
      assert.equal(toHex(got.fingerprint), rec.fingerprint);
      assert.equal(toHex(got.commitment), rec.commitment);
      assert.equal(toHex(got.enc), rec.enc);
      assert.equal(toHex(got.sealedShare), rec.sealed_share);
      assert.equal(toHex((await sb.deriveKeyPair(fromHex(r.ephemeral_ikm[i]))).scalar), rec.ephemeral_private_key);
    }
    const shares = sb.split(fromHex(r.content_key), c.custodians.length, c.k, fromHex(r.coefficients));
    assert.deepEqual(shares.map((s) => toHex(s.y)), want.records.map((x) => x.share));

    // The recorded header (with the Rust-made example signature) opens with the last k custodians.
    const recorded = await sb.parseHeader(fromHex(want.header_with_example_signature));
    await sb.verifyHeaderSignature(recorded, fromHex(c.tenderer.public_key));
    const released = [];
    for (let i = c.custodians.length - c.k + 1; i <= c.custodians.length; i++) {
      released.push(await sb.openShare(recorded, i, custodians[i - 1]));
    }
    const key = await sb.rebuildKey(recorded, released);
    assert.equal(toHex(key.exposeSecret()), r.content_key);
    const out = [];
    await sb.openPayload(recorded, key, body, (p) => { out.push(p); });
    assert.equal(sha256(concat(out)), c.payload.sha256, c.name);
  }
});

// ---- Cross-implementation --------------------------------------------------------------------

async function openFixture(base) {
  const doc = await json(new URL(`../fixtures/${base}.json`, import.meta.url));
  const sealed = new Uint8Array(await readFile(new URL(`../fixtures/${base}.bhseal`, import.meta.url)));
  assert.equal(sha256(sealed), doc.envelope_sha256);
  const keys = [];
  for (const f of doc.custodian_key_files) keys.push(await sb.importCustodianKeyFile(f));
  const restored = await sb.restoreCustodianBackup(doc.custodian_1_backup, doc.backup_passphrase);
  assert.equal(toHex(restored.publicKey), toHex(keys[0].publicKey));
  keys[0] = restored;
  const params = { tenderId: doc.tender_id, lotId: doc.lot_id, tendererId: doc.tenderer_id, k: doc.k, custodians: keys.map((x) => x.publicKey) };
  // Read the envelope as a stream, the way a browser gets it from fetch().
  const { header, body } = await sb.readHeader(new Blob([sealed]).stream());
  assert.equal(header.envelopeLength, sealed.length);
  await sb.verifyHeaderSignature(header, fromHex(doc.tenderer_public_key));
  await sb.checkSealedFor(header, params);
  const shares = [];
  for (const i of [1, 3, 4]) shares.push(await sb.openShare(header, i, keys[i - 1]));
  const key = await sb.rebuildKey(header, shares);
  const out = [];
  await sb.openPayload(header, key, body, (p) => { out.push(p); });
  const payload = concat(out);
  assert.equal(payload.length, doc.payload_length);
  assert.equal(sha256(payload), doc.payload_sha256);
  const files = sb.readTar(payload);
  assert.deepEqual(files.map((f) => ({ name: f.name, sha256: sha256(f.data) })), doc.files);
  return doc;
}

test('the Rust-sealed fixture opens here, with a Rust-made passphrase backup', async () => {
  const doc = await openFixture('rust-sealed');
  assert.equal(doc.sealed_by, 'rust');
});

test('the JS-sealed fixture (for the Rust tests) opens here too', async () => {
  const doc = await openFixture('js-sealed');
  assert.equal(doc.sealed_by, 'js');
});

// ---- Threshold ---------------------------------------------------------------------------------

function subsets(n, size) {
  const out = [];
  for (let mask = 0; mask < 1 << n; mask++) {
    const s = [];
    for (let i = 1; i <= n; i++) if (mask & (1 << (i - 1))) s.push(i);
    if (s.length === size) out.push(s);
  }
  return out;
}

async function canOpen(bytes, t, which) {
  const { header, body } = await sb.readHeader(bytes);
  const shares = [];
  for (const i of which) shares.push(await sb.openShare(header, i, t.custodians[i - 1]));
  let key;
  try {
    key = await sb.rebuildKey(header, shares);
  } catch (e) {
    if (e.code !== 'not_enough_shares') throw e;
    key = new sb.ContentKey(sb.combine(shares.map((s) => ({ x: s.index, y: s.share }))));
  }
  try {
    await sb.openPayload(header, key, body, () => {});
    return true;
  } catch (e) {
    assert.equal(e.code, 'key_does_not_match_header');
    return false;
  }
}

test('fewer than k custodians cannot open; every k-subset can; a lower k would be noticed', async () => {
  const t = await makeTender(4, 3);
  const payload = pattern(70000);
  const bytes = await seal(t, payload);
  for (const which of [...subsets(4, 1), ...subsets(4, 2)]) {
    assert.equal(await canOpen(bytes, t, which), false, `${which}`);
  }
  for (const which of [...subsets(4, 3), ...subsets(4, 4)]) {
    assert.equal(sha256(await openEnvelope(bytes, t, which)), sha256(payload), `${which}`);
  }
  const lower = { ...t, params: { ...t.params, k: 2 } };
  const weak = await seal(lower, payload);
  for (const which of subsets(4, 2)) assert.equal(await canOpen(weak, lower, which), true);
});

// ---- Tampering ----------------------------------------------------------------------------------

test('a bit flip in any header byte is refused and blamed on nobody', async () => {
  const t = await makeTender(4, 3);
  const bytes = await seal(t, pattern(1000));
  const headerLength = sb.declaredHeaderLength(bytes.subarray(0, 12));
  for (let offset = 0; offset < headerLength; offset++) {
    const bad = bytes.slice();
    bad[offset] ^= 1 << (offset % 8);
    await assert.rejects(openEnvelope(bad, t, [1, 2, 3]), (e) => {
      assert.ok(['bad_magic', 'unsupported_version', 'header_length', 'invalid_field', 'bad_signature'].includes(e.code), `byte ${offset}: ${e.code}`);
      assert.equal(e.fault, null);
      return true;
    });
  }
});

async function resign(t, headerBytes) {
  const sigAt = headerBytes.length - 64;
  const message = concat([Uint8Array.of(0, 0, 0, 27), new TextEncoder().encode('bidhall-sealbox/1 signature'), headerBytes.subarray(0, sigAt)]);
  const sig = new Uint8Array(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, t.signingKey, message));
  const out = headerBytes.slice();
  out.set(sig, sigAt);
  return out;
}

test('re-signed header changes are the tenderer\'s fault; a released share that differs is the custodian\'s', async () => {
  const t = await makeTender(4, 3);
  const bytes = await seal(t, pattern(1000));
  const { header } = await sb.readHeader(bytes);
  const body = bytes.subarray(header.headerLength);
  // Offsets inside custodian 2's record: index, fingerprint, commitment, enc, sealed share.
  const rec2 = header.headerLength - 64 - 32 - 3 * sb.RECORD_LEN;
  const cases = [
    ['fingerprint', rec2 + 1, 'custodian_key_not_registered'],
    ['commitment', rec2 + 33, 'share_not_committed'],
    ['sealed share', rec2 + 1 + 32 + 32 + 65 + 5, 'share_undecryptable'],
    ['mac', header.headerLength - 64 - 1, 'header_mac'],
    ['tender id', 16, 'not_sealed_for'],
  ];
  for (const [what, offset, code] of cases) {
    const bad = header.bytes.slice();
    bad[offset] ^= 0x01;
    await rejects(openEnvelope(concat([await resign(t, bad), body]), t, [1, 2, 3, 4]), code, TENDERER);
    void what;
  }
  // The server's view: custodian 2 releases a share that does not match its commitment.
  const share = await sb.openShare(header, 2, t.custodians[1]);
  const altered = { ...share, salt: share.salt.slice() };
  altered.salt[0] ^= 1;
  await rejects(sb.checkReleasedShare(header, 2, altered), 'share_mismatch', { party: 'custodian', index: 2 });
  await rejects(sb.rebuildKey(header, [await sb.openShare(header, 1, t.custodians[0]), altered, await sb.openShare(header, 3, t.custodians[2])]), 'share_mismatch', { party: 'custodian', index: 2 });
  await rejects(sb.openShare(header, 3, t.custodians[0]), 'wrong_custodian_key', { party: 'custodian', index: 3 });
});

test('chunk tampering: bit flips, drops, reorders, duplicates and truncation are the tenderer\'s fault', async () => {
  const t = await makeTender(4, 3);
  const len = 2 * sb.CHUNK_SIZE + 1000;
  const payload = pattern(len);
  const bytes = await seal(t, payload);
  const hl = sb.declaredHeaderLength(bytes.subarray(0, 12));
  const head = bytes.subarray(0, hl);
  const full = sb.CHUNK_SIZE + sb.TAG_LEN;
  const c = [bytes.subarray(hl, hl + full), bytes.subarray(hl + full, hl + 2 * full), bytes.subarray(hl + 2 * full)];
  assert.equal(c[2].length, 1000 + sb.TAG_LEN);
  const flip = (chunk, at) => { const x = chunk.slice(); x[at] ^= 0x10; return x; };
  const cases = [
    ['body bit', [flip(c[0], 7), c[1], c[2]], 'chunk_corrupt'],
    ['tag bit', [c[0], flip(c[1], full - 1), c[2]], 'chunk_corrupt'],
    ['last chunk bit', [c[0], c[1], flip(c[2], 999)], 'chunk_corrupt'],
    ['drop middle', [c[0], c[2]], 'payload_truncated'],
    ['drop last', [c[0], c[1]], 'payload_truncated'],
    ['swap', [c[1], c[0], c[2]], 'chunk_corrupt'],
    ['duplicate', [c[0], c[0], c[1], c[2]], 'chunk_corrupt'],
    ['truncate', [c[0], c[1], c[2].subarray(0, c[2].length - 1)], 'payload_truncated'],
    ['trailing', [c[0], c[1], c[2], Uint8Array.of(0)], 'trailing_ciphertext'],
  ];
  assert.equal(sha256(await openEnvelope(bytes, t, [1, 2, 3])), sha256(payload));
  for (const [what, parts, code] of cases) {
    await assert.rejects(openEnvelope(concat([head, ...parts]), t, [1, 2, 3]), (e) => {
      assert.equal(e.code, code, what);
      assert.deepEqual(e.fault, TENDERER, what);
      return true;
    });
  }
});

// ---- Secrets, streaming, keys, archive ----------------------------------------------------------

test('the envelope holds no plaintext marker, content key, share or salt', async () => {
  const t = await makeTender(4, 3);
  const marker = new TextEncoder().encode('MARKER-7f3a9c-price-fen-128800000');
  const payload = pattern(3 * sb.CHUNK_SIZE);
  for (const at of [0, 70000, payload.length - marker.length]) payload.set(marker, at);
  const bytes = await seal(t, payload);
  const hexed = toHex(bytes);
  const { header } = await sb.readHeader(bytes);
  const shares = [];
  for (let i = 1; i <= 4; i++) shares.push(await sb.openShare(header, i, t.custodians[i - 1]));
  const key = await sb.rebuildKey(header, shares);
  // Hex of a byte string found in `hexed` at an odd offset would be a false match; that only
  // makes these checks stricter.
  assert.ok(!hexed.includes(toHex(marker.subarray(0, 12))));
  assert.ok(!hexed.includes(toHex(key.exposeSecret())));
  for (const s of shares) {
    assert.ok(!hexed.includes(toHex(s.share)));
    assert.ok(!hexed.includes(toHex(s.salt)));
  }
  assert.ok(hexed.includes(toHex(header.envelopeId)), 'the search can find what is there');
  assert.equal(String(key), 'ContentKey([redacted])');
  assert.equal(JSON.stringify({ key }), '{"key":"[redacted]"}');
});

test('sealing a stream emits each chunk before reading far ahead (5 MiB)', async () => {
  const t = await makeTender(4, 3);
  const len = 5 * 1024 * 1024;
  let pulled = 0;
  let emitted = -1; // the header comes first and is not payload
  let maxLag = 0;
  const stream = new ReadableStream({
    pull(ctl) {
      if (pulled >= len) { ctl.close(); return; }
      const n = Math.min(50000, len - pulled);
      ctl.enqueue(pattern(n));
      pulled += n;
    },
  }, { highWaterMark: 0 });
  let payloadBytes = 0;
  const summary = await sb.sealEnvelope({
    ...t.params, signingKey: t.signingKey, payload: stream, payloadLength: len,
    onChunk: (b) => {
      if (emitted < 0) { emitted = 0; return; }
      payloadBytes += b.length - sb.TAG_LEN;
      maxLag = Math.max(maxLag, pulled - payloadBytes);
    },
  });
  assert.equal(payloadBytes, len);
  assert.equal(summary.bodyLength, len + 80 * sb.TAG_LEN);
  assert.ok(maxLag <= sb.CHUNK_SIZE + 50000, `sealer held ${maxLag} bytes`);
  await rejects(sb.sealEnvelope({ ...t.params, signingKey: t.signingKey, payload: pattern(10), payloadLength: 11, onChunk: () => {} }), 'payload_length');
  const short = new Blob([pattern(10)]).stream();
  await rejects(sb.sealEnvelope({ ...t.params, signingKey: t.signingKey, payload: short, payloadLength: 11, onChunk: () => {} }), 'payload_length');
  const long = new Blob([pattern(12)]).stream();
  await rejects(sb.sealEnvelope({ ...t.params, signingKey: t.signingKey, payload: long, payloadLength: 11, onChunk: () => {} }), 'payload_length');
});

test('custodian keys: non-extractable, backed up under a passphrase, checked on import', async () => {
  const key = await sb.generateCustodianKey({ backupPassphrase: 'correct horse battery staple' });
  assert.equal(key.privateKey.extractable, false);
  await assert.rejects(subtle.exportKey('jwk', key.privateKey));
  assert.equal(toHex(key.fingerprint), sha256(key.publicKey));
  const backup = JSON.parse(key.backup);
  assert.equal(backup.kdf, 'PBKDF2-SHA256');
  assert.ok(backup.iterations >= 600000);
  const restored = await sb.restoreCustodianBackup(key.backup, 'correct horse battery staple');
  assert.equal(restored.privateKey.extractable, false);
  assert.equal(toHex(restored.publicKey), toHex(key.publicKey));
  await rejects(sb.restoreCustodianBackup(key.backup, 'correct horse battery stable'), 'wrong_passphrase');
  await rejects(sb.restoreCustodianBackup(JSON.stringify({ ...backup, iterations: 1000 }), 'correct horse battery staple'), 'backup_iterations');

  const a = await sb.generateCustodianKey({ exportKeyFile: true });
  const b = await sb.generateCustodianKey({ exportKeyFile: true });
  const forged = JSON.stringify({ ...JSON.parse(a.keyFile), public_key: JSON.parse(b.keyFile).public_key });
  await rejects(sb.importCustodianKeyFile(forged), 'key_pair_mismatch');
  const again = await sb.importCustodianKeyFile(a.keyFile, { extractable: true });
  const rebacked = await sb.backupCustodianKey(again, 'pw for a');
  assert.equal(toHex((await sb.restoreCustodianBackup(rebacked, 'pw for a')).publicKey), toHex(a.publicKey));

  // The custodian page restores either: a key file needs no passphrase, a backup its own.
  assert.equal(sb.isCustodianKeyFile(a.keyFile), true);
  assert.equal(sb.isCustodianKeyFile(rebacked), false);
  assert.equal(sb.isCustodianKeyFile('not json'), false);
  const fromFile = await sb.restoreCustodianKey(a.keyFile, '');
  assert.equal(fromFile.privateKey.extractable, false);
  assert.equal(toHex(fromFile.publicKey), toHex(a.publicKey));
  assert.equal(toHex((await sb.restoreCustodianKey(rebacked, 'pw for a')).publicKey), toHex(a.publicKey));
  await rejects(sb.restoreCustodianKey(rebacked, ''), 'empty_passphrase');
  await rejects(sb.restoreCustodianKey(forged, ''), 'key_pair_mismatch');
});

test('a key file the Rust side wrote (the command line, the demo hall) restores on the custodian page', async () => {
  const doc = await json(new URL('../fixtures/rust-sealed.json', import.meta.url));
  for (const f of doc.custodian_key_files) {
    assert.equal(sb.isCustodianKeyFile(f), true);
    const restored = await sb.restoreCustodianKey(f, '');
    assert.equal(toHex(restored.publicKey), toHex((await sb.importCustodianKeyFile(f)).publicKey));
  }
});

test('seal refuses duplicate custodians and bad thresholds; parse refuses bad prefixes', async () => {
  const t = await makeTender(3, 2);
  const base = { ...t.params, signingKey: t.signingKey, payload: pattern(5), onChunk: () => {} };
  await rejects(sb.sealEnvelope({ ...base, custodians: [t.params.custodians[0], t.params.custodians[1], t.params.custodians[0]] }), 'invalid_params');
  await rejects(sb.sealEnvelope({ ...base, k: 0 }), 'invalid_params');
  await rejects(sb.sealEnvelope({ ...base, k: 4 }), 'invalid_params');
  await rejects(sb.sealEnvelope({ ...base, lotId: '' }), 'invalid_field');
  await rejects(sb.sealEnvelope({ ...base, lotId: 'x'.repeat(256) }), 'invalid_field');
  const bytes = await seal(t, pattern(5));
  const v3 = bytes.slice();
  v3[7] = 3;
  await rejects(sb.readHeader(v3), 'unsupported_version');
  // A v1 header relabelled as v2 does not parse as one.
  const v2 = bytes.slice();
  v2[7] = 2;
  await assert.rejects(sb.readHeader(v2), sb.SealboxError);
  await rejects(sb.readHeader(bytes.subarray(0, 100)), 'header_length');
  const x = bytes.slice();
  x[0] = 0x58;
  await rejects(sb.readHeader(x), 'bad_magic');
});

test('bid archive: bid.json first, safe names, exact length, strict reader', async () => {
  const files = [
    { name: 'bid.json', data: new TextEncoder().encode('{"price_fen":"1"}') },
    { name: 'attachments/技术方案.pdf', data: new Blob([pattern(1000)]) },
    { name: 'empty.txt', data: new Uint8Array(0) },
  ];
  const blob = sb.tarArchive(files);
  assert.equal(blob.size, sb.tarLength([17, 1000, 0]));
  const back = sb.readTar(new Uint8Array(await blob.arrayBuffer()));
  assert.deepEqual(back.map((f) => f.name), files.map((f) => f.name));
  assert.equal(sha256(back[1].data), sha256(pattern(1000)));
  for (const name of ['/etc/passwd', '../x', 'a/../b', 'a//b', 'a\\b', '', 'a/', 'x'.repeat(101)]) {
    assert.throws(() => sb.validateTarName(name), /not allowed/, name);
  }
  assert.throws(() => sb.tarArchive([{ name: 'x.pdf', data: new Uint8Array(0) }]), /bid.json/);
  assert.throws(() => sb.tarArchive([files[0], files[0]]), /twice/);
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const bad = bytes.slice();
  bad[0] ^= 1;
  assert.throws(() => sb.readTar(bad), /checksum/);
  assert.throws(() => sb.readTar(concat([bytes, Uint8Array.of(0)])), /after the end/);
});
