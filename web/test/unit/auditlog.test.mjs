// The browser's audit-log checks against the same data as the Rust side: the transparency-dev/merkle
// reference vectors and their corrupted variants (ported from src/auditlog/merkle/tests.rs), the
// Go sumdb/note signature vector and the C2SP cosignature example (src/auditlog/note/tests.rs,
// src/auditlog/cosignature/tests.rs).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ProofError, leafHash, nodeHash, merkleRoot, verifyInclusion, verifyConsistency, inclusionProofLength,
  consistencyProofLength, parseNote, parseCheckpoint, parseVerifierKey, verifyNoteSignature, keyId,
  base64ToBytes, bytesToBase64, bytesToHex, hexToBytes, proofFromBase64,
} from '../../static/js/app/auditlog.js';

const h = hexToBytes;

const LEAF_INPUTS = [
  '', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f',
].map(h);

/** Roots for sizes 0..=8. */
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
].map(h);

/** Complete-subtree hashes of the 8-leaf reference tree, by level. */
const NODES = [
  [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
    '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  ],
  [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  ],
  [
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
].map((level) => level.map(h));

/** [leaf index, tree size, proof]. */
const INCLUSION = [
  [0, 8, [
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ]],
  [5, 8, [
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  ]],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [1, 5, [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
  ]],
  [0, 1, []],
].map(([i, s, p]) => [i, s, p.map(h)]);

/** [old size, new size, proof]. */
const CONSISTENCY = [
  [1, 1, []],
  [1, 8, [
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ]],
  [6, 8, [
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  ]],
  [2, 5, [
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
  ]],
  [6, 7, [
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  ]],
].map(([a, b, p]) => [a, b, p.map(h)]);

const SOME = h('abacaba000000000000000000000000000000000000000000060061e00123456');
const EMPTY_ROOT = ROOTS[0];
const U64_MAX = (1n << 64n) - 1n;

function flip(proof, i, mask) {
  return proof.map((p, j) => (j === i ? Uint8Array.from(p, (b, k) => (k === 0 ? b ^ mask : b)) : p));
}

async function rejects(promise, reason) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof ProofError, `not a ProofError: ${e}`);
    if (reason) assert.equal(e.reason, reason);
    return e;
  }
  assert.fail('accepted');
}

async function fails(promise) {
  try {
    await promise;
    return false;
  } catch (e) {
    assert.ok(e instanceof ProofError, `not a ProofError: ${e}`);
    return true;
  }
}

test('leaf and node hashes build the reference roots for every size', async () => {
  const leaves = await Promise.all(LEAF_INPUTS.map(leafHash));
  for (let size = 0; size <= 8; size++) {
    assert.equal(bytesToHex(await merkleRoot(leaves.slice(0, size))), bytesToHex(ROOTS[size]), `root at ${size}`);
  }
  assert.deepEqual(leaves, NODES[0]);
  for (let level = 1; level < NODES.length; level++) {
    for (let i = 0; i < NODES[level].length; i++) {
      assert.deepEqual(await nodeHash(NODES[level - 1][2 * i], NODES[level - 1][2 * i + 1]), NODES[level][i]);
    }
  }
});

test('reference inclusion proofs verify', async () => {
  for (const [index, size, proof] of INCLUSION) {
    assert.equal(inclusionProofLength(index, size), proof.length);
    const leaf = await leafHash(LEAF_INPUTS[index]);
    assert.equal(await verifyInclusion(leaf, index, size, proof, ROOTS[size]), true, `${index} in ${size}`);
  }
});

test('every corrupted inclusion proof is rejected', async () => {
  let probes = 0;
  for (const [index, size, proof] of INCLUSION) {
    const leaf = await leafHash(LEAF_INPUTS[index]);
    const root = ROOTS[size];
    const bi = BigInt(index);
    const cases = [
      ['index-1', leaf, index === 0 ? U64_MAX : index - 1, size, proof, root],
      ['index+1', leaf, index + 1, size, proof, root],
      ['index^2', leaf, index ^ 2, size, proof, root],
      ['size*2', leaf, index, size * 2, proof, root],
      ['size/2', leaf, bi, BigInt(size) / 2n, proof, root],
      ['wrong leaf', SOME, index, size, proof, root],
      ['empty root', leaf, index, size, proof, EMPTY_ROOT],
      ['random root', leaf, index, size, proof, SOME],
      ['trailing root', leaf, index, size, [...proof, root], root],
      ['preceding root', leaf, index, size, [root, ...proof], root],
    ];
    proof.forEach((_, i) => cases.push([`flip proof[${i}]`, leaf, index, size, flip(proof, i, 8), root]));
    if (proof.length > 0) cases.push(['truncated', leaf, index, size, proof.slice(0, -1), root]);
    if (proof.length > 1) cases.push(['inserted', leaf, index, size, [proof[0], SOME, ...proof.slice(1)], root]);
    for (const [desc, l, i, s, p, r] of cases) {
      assert.ok(await fails(verifyInclusion(l, i, s, p, r)), `${desc} accepted for (${index}, ${size})`);
      probes++;
    }
  }
  assert.ok(probes > 50);
});

test('inclusion edge cases name their reason', async () => {
  for (const [index, size] of [[0, 0], [1, 0], [2, 1]]) {
    await rejects(verifyInclusion(SOME, index, size, [], EMPTY_ROOT), 'index_out_of_range');
  }
  const leaf = await leafHash(new TextEncoder().encode('data'));
  assert.equal(await verifyInclusion(leaf, 0, 1, [], leaf), true);
  await rejects(verifyInclusion(leaf, 0, 1, [], SOME), 'root_mismatch');
  const e = await rejects(verifyInclusion(leaf, 0, 1, [leaf], leaf), 'bad_proof_length');
  assert.match(e.message, /1 hashes where 0/);
  await rejects(verifyInclusion(leaf, 0, 2, [new Uint8Array(31)], leaf), 'bad_hash');
  await rejects(verifyInclusion(leaf, -1, 2, [SOME], leaf), 'bad_index');
});

test('reference consistency proofs verify', async () => {
  for (const [a, b, proof] of CONSISTENCY) {
    assert.equal(consistencyProofLength(a, b), proof.length);
    assert.equal(await verifyConsistency(a, b, proof, ROOTS[a], ROOTS[b]), true, `${a} -> ${b}`);
  }
});

test('every corrupted consistency proof is rejected', async () => {
  let probes = 0;
  for (const [a, b, proof] of CONSISTENCY) {
    if (proof.length === 0) continue;
    const [r1, r2] = [ROOTS[a], ROOTS[b]];
    const cases = [
      ['old-1', a - 1, b, r1, r2, proof],
      ['old+1', a + 1, b, r1, r2, proof],
      ['old^2', a ^ 2, b, r1, r2, proof],
      ['new*2', a, b * 2, r1, r2, proof],
      ['new/2', a, Math.floor(b / 2), r1, r2, proof],
      ['wrong old root', a, b, SOME, r2, proof],
      ['wrong new root', a, b, r1, SOME, proof],
      ['swapped roots', a, b, r2, r1, proof],
      ['empty proof', a, b, r1, r2, []],
    ];
    for (const extra of [r1, r2, SOME]) {
      cases.push(['trailing', a, b, r1, r2, [...proof, extra]]);
      cases.push(['preceding', a, b, r1, r2, [extra, ...proof]]);
    }
    cases.push(['preceding proof[0]', a, b, r1, r2, [proof[0], ...proof]]);
    cases.push(['truncated', a, b, r1, r2, proof.slice(0, -1)]);
    proof.forEach((_, i) => cases.push([`flip proof[${i}]`, a, b, r1, r2, flip(proof, i, 16)]));
    for (const [desc, o, n, x, y, p] of cases) {
      assert.ok(await fails(verifyConsistency(o, n, p, x, y)), `${desc} accepted for ${a} -> ${b}`);
      probes++;
    }
  }
  assert.ok(probes > 60);
});

test('consistency edge cases', async () => {
  const [a, b] = [SOME, EMPTY_ROOT];
  assert.equal(await verifyConsistency(0, 0, [], a, a), true);
  assert.equal(await verifyConsistency(0, 1, [], a, b), true);
  assert.equal(await verifyConsistency(1, 1, [], b, b), true);
  await rejects(verifyConsistency(0, 0, [], a, b), 'root_mismatch');
  await rejects(verifyConsistency(1, 1, [], a, b), 'root_mismatch');
  await rejects(verifyConsistency(2, 1, [], a, b), 'old_larger_than_new');
  await rejects(verifyConsistency(1, 2, [], a, b), 'bad_proof_length');
  for (const [o, n] of [[0, 0], [0, 1], [1, 1]]) {
    await rejects(verifyConsistency(o, n, [b], b, b), 'bad_proof_length');
  }
});

test('every proof of a 70-leaf tree verifies and a flipped bit fails', async () => {
  // Naive MTH over all subranges stands in for a prover: the proofs are built by RFC 9162 §2.1.3.1
  // and §2.1.4.1 from the definition, independent of the verifier.
  const leaves = await Promise.all(Array.from({ length: 70 }, (_, i) => leafHash(Uint8Array.of(i >> 8, i & 255))));
  const memo = new Map();
  const mth = async (lo, hi) => {
    const key = `${lo}:${hi}`;
    if (!memo.has(key)) memo.set(key, await merkleRoot(leaves.slice(lo, hi)));
    return memo.get(key);
  };
  const split = (n) => {
    let k = 1;
    while (k * 2 < n) k *= 2;
    return k;
  };
  const path = async (m, lo, hi) => {
    const n = hi - lo;
    if (n === 1) return [];
    const k = split(n);
    return m < k ? [...(await path(m, lo, lo + k)), await mth(lo + k, hi)] : [...(await path(m - k, lo + k, hi)), await mth(lo, lo + k)];
  };
  const subproof = async (m, lo, hi, whole) => {
    const n = hi - lo;
    if (m === n) return whole ? [] : [await mth(lo, hi)];
    const k = split(n);
    return m <= k
      ? [...(await subproof(m, lo, lo + k, whole)), await mth(lo + k, hi)]
      : [...(await subproof(m - k, lo + k, hi, false)), await mth(lo, lo + k)];
  };
  for (const size of [1, 2, 3, 7, 8, 9, 31, 64, 70]) {
    const root = await mth(0, size);
    for (let i = 0; i < size; i += Math.max(1, Math.floor(size / 9))) {
      const proof = await path(i, 0, size);
      assert.equal(proof.length, inclusionProofLength(i, size));
      assert.equal(await verifyInclusion(leaves[i], i, size, proof, root), true, `${i} in ${size}`);
      for (let j = 0; j < proof.length; j++) assert.ok(await fails(verifyInclusion(leaves[i], i, size, flip(proof, j, 1), root)));
    }
    for (let old = 0; old <= size; old += Math.max(1, Math.floor(size / 7))) {
      const proof = old === 0 ? [] : await subproof(old, 0, size, true);
      assert.equal(proof.length, consistencyProofLength(old, size), `length ${old} -> ${size}`);
      assert.equal(await verifyConsistency(old, size, proof, await mth(0, old), root), true, `${old} -> ${size}`);
      for (let j = 0; j < proof.length; j++) assert.ok(await fails(verifyConsistency(old, size, flip(proof, j, 1), await mth(0, old), root)));
    }
  }
});

test('proof lengths near the 64-bit limit match the Rust side', () => {
  assert.equal(inclusionProofLength(U64_MAX - 1n, U64_MAX), 63);
  assert.equal(inclusionProofLength(0n, U64_MAX), 64);
  assert.equal(consistencyProofLength(1n << 63n, U64_MAX), 1);
  assert.throws(() => inclusionProofLength(0n, 1n << 64n), ProofError);
});

// ---- notes, keys and checkpoints -----------------------------------------------------------------

const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG = '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG = '\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

test('verifier keys parse and their key ids are checked', async () => {
  const peter = await parseVerifierKey(PETER_VKEY);
  assert.equal(peter.name, 'PeterNeumann');
  assert.equal(peter.keyId, 0xc74f20a3);
  assert.equal(peter.publicKey.length, 32);
  assert.equal(await keyId('PeterNeumann', 1, peter.publicKey), 0xc74f20a3);
  await rejects(parseVerifierKey('PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'), 'bad_key');
  await rejects(parseVerifierKey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'), 'bad_key');
  await rejects(parseVerifierKey('nonsense'), 'bad_key');
});

test('the sumdb/note vector verifies with WebCrypto Ed25519 and a changed byte does not', async () => {
  const peter = await parseVerifierKey(PETER_VKEY);
  const enoch = await parseVerifierKey(ENOCH_VKEY);
  const note = parseNote(`${TEXT}\n${PETER_SIG}${ENOCH_SIG}`);
  assert.equal(note.body, TEXT);
  assert.equal(note.signatures.length, 2);
  assert.equal(note.signatures[0].keyId, 0xc74f20a3);
  assert.equal(await verifyNoteSignature(note, peter), true);
  assert.equal(await verifyNoteSignature(note, enoch), true);
  await rejects(verifyNoteSignature(parseNote(`${TEXT.replace('If', 'if')}\n${PETER_SIG}`), peter), 'bad_signature');
  await rejects(verifyNoteSignature(parseNote(`${TEXT}\n${ENOCH_SIG}`), peter), 'no_signature');
  for (const bad of [TEXT, `${TEXT}\n- PeterNeumann x08g\n`, `${TEXT}\n\u2014 PeterNeumann x08g\n`, `${TEXT}\n\u2014 PeterNeumann \n`, `${TEXT}\n`]) {
    assert.throws(() => parseNote(bad), ProofError, JSON.stringify(bad));
  }
});

test('a checkpoint signed in WebCrypto parses and verifies; a changed body fails', async () => {
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const pub = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const name = 'bidhall.example/log';
  const id = await keyId(name, 1, pub);
  const vkey = `${name}+${id.toString(16).padStart(8, '0')}+${bytesToBase64(Uint8Array.of(1, ...pub))}`;
  const key = await parseVerifierKey(vkey);
  const sign = async (body) => {
    const sig = new Uint8Array(await crypto.subtle.sign('Ed25519', pair.privateKey, new TextEncoder().encode(body)));
    const raw = new Uint8Array(68);
    new DataView(raw.buffer).setUint32(0, id);
    raw.set(sig, 4);
    return `${body}\n\u2014 ${name} ${bytesToBase64(raw)}\n`;
  };
  const body = `${name}\n8\n${bytesToBase64(ROOTS[8])}\n`;
  const cp = parseCheckpoint(await sign(body));
  assert.equal(cp.origin, name);
  assert.equal(cp.size, 8);
  assert.deepEqual(cp.root, ROOTS[8]);
  assert.deepEqual(cp.extensions, []);
  assert.equal(cp.body, body);
  assert.equal(await verifyNoteSignature(cp, key), true);
  const forged = (await sign(body)).replace('\n8\n', '\n9\n');
  await rejects(verifyNoteSignature(parseCheckpoint(forged), key), 'bad_signature');
});

test('a witness cosignature line carries its timestamp', () => {
  const body = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
  const line = '\u2014 witness.example/w1 519lMgAAAABkGFDLBuRDazBLVac2NE+Y+IjbjQOcXLfF9CSDZVUIoS83rE1nFZsVE8YiWV6Ngr7lV8H6bdoBQGP/l73euDMQ9k+bBQ==\n';
  const cp = parseCheckpoint(`${body}\n${line}`);
  assert.equal(cp.size, 20852163);
  assert.equal(cp.signatures[0].name, 'witness.example/w1');
  assert.equal(cp.signatures[0].keyId, 0xe75f6532);
  assert.equal(cp.signatures[0].timestamp, 1679315147);
});

test('malformed checkpoints are refused', () => {
  const sig = PETER_SIG;
  const root = bytesToBase64(ROOTS[1]);
  for (const bad of [
    `o\n1\n\n${sig}`,
    `o\n01\n${root}\n\n${sig}`,
    `o\n-1\n${root}\n\n${sig}`,
    `o\n1\nAAAA\n\n${sig}`,
    `o\n1\n${root}\n\nnot a signature\n`,
    `\n1\n${root}\n\n${sig}`,
  ]) {
    assert.throws(() => parseCheckpoint(bad), ProofError, JSON.stringify(bad));
  }
  assert.deepEqual(parseCheckpoint(`o\n1\n${root}\next one\n\n${sig}`).extensions, ['ext one']);
});

test('base64 helpers round-trip and refuse garbage', () => {
  const bytes = Uint8Array.of(0, 1, 2, 253, 254, 255);
  assert.deepEqual(base64ToBytes(bytesToBase64(bytes)), bytes);
  assert.equal(bytesToBase64(new TextEncoder().encode('hi')), 'aGk=');
  for (const bad of ['a', 'a?==', 'aGk', '@@@@']) assert.throws(() => base64ToBytes(bad), ProofError);
  assert.deepEqual(proofFromBase64([bytesToBase64(ROOTS[1])]), [ROOTS[1]]);
  assert.throws(() => proofFromBase64(['aGk=']), ProofError);
  assert.throws(() => proofFromBase64('x'), ProofError);
});
