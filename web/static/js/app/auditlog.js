// Checking the audit log in the browser, independently of the server: RFC 9162 Merkle hashes and
// proof verification, C2SP checkpoints in signed notes, and their Ed25519 signatures, all with
// WebCrypto. Pure functions with no DOM, so node --test runs the same code against the vectors
// the Rust side uses. A refusal is a `ProofError` whose `reason` the page translates.

const subtle = () => globalThis.crypto.subtle;
const HASH_LEN = 32;
const ALG_ED25519 = 0x01;
const SIGNATURE_PREFIX = '\u2014 ';

/** Why a proof, a checkpoint or a key was refused: `reason` is stable, `message` is for people. */
export class ProofError extends Error {
  constructor(reason, message) {
    super(message || reason.replaceAll('_', ' '));
    this.name = 'ProofError';
    this.reason = reason;
  }
}

// ---- bytes -------------------------------------------------------------------------------------

/** Bytes from standard base64 (with padding); throws a ProofError on anything else. */
export function base64ToBytes(text) {
  const s = String(text ?? '').trim();
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new ProofError('bad_base64');
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Standard base64 with padding. */
export function bytesToBase64(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function hexToBytes(hex) {
  const s = String(hex ?? '');
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new ProofError('bad_hex');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function checkHash(h) {
  if (!(h instanceof Uint8Array) || h.length !== HASH_LEN) throw new ProofError('bad_hash');
  return h;
}

/** A proof's hashes as bytes, from base64 strings (as the API sends them) or bytes. */
export function proofFromBase64(list) {
  if (!Array.isArray(list)) throw new ProofError('bad_proof');
  return list.map((h) => checkHash(typeof h === 'string' ? base64ToBytes(h) : h));
}

// ---- hashes ------------------------------------------------------------------------------------

export async function sha256(bytes) {
  return new Uint8Array(await subtle().digest('SHA-256', bytes));
}

/** SHA-256(0x00 ‖ entry): the hash of one log entry as a leaf (RFC 9162 §2.1.1). */
export async function leafHash(bytes) {
  return sha256(concat(Uint8Array.of(0x00), bytes));
}

/** SHA-256(0x01 ‖ left ‖ right): an interior node. */
export async function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(0x01), checkHash(left), checkHash(right)));
}

// ---- proof sizes -------------------------------------------------------------------------------

function toSize(n, what) {
  let v;
  try {
    v = typeof n === 'bigint' ? n : BigInt(n);
  } catch {
    throw new ProofError(`bad_${what}`);
  }
  if (v < 0n || v >= 1n << 64n) throw new ProofError(`bad_${what}`);
  return v;
}

function bitLen(v) {
  return v === 0n ? 0 : v.toString(2).length;
}

function onesCount(v) {
  return [...v.toString(2)].filter((c) => c === '1').length;
}

function trailingZeros(v) {
  let n = 0;
  while (v > 0n && (v & 1n) === 0n) {
    v >>= 1n;
    n++;
  }
  return n;
}

/** Hashes in an inclusion proof of `index` in a tree of `size` (as transparency-dev computes it). */
export function inclusionProofLength(index, size) {
  const i = toSize(index, 'index');
  const s = toSize(size, 'size');
  if (i >= s) throw new ProofError('index_out_of_range', `index ${i} is outside a tree of size ${s}`);
  const inner = bitLen(i ^ (s - 1n));
  return inner + onesCount(i >> BigInt(inner));
}

/** Hashes in a consistency proof from `size1` to `size2`; empty for the trivial cases. */
export function consistencyProofLength(size1, size2) {
  const a = toSize(size1, 'size');
  const b = toSize(size2, 'size');
  if (a > b) throw new ProofError('old_larger_than_new', `old size ${a} is larger than new size ${b}`);
  if (a === 0n || a === b) return 0;
  const inner = bitLen((a - 1n) ^ (b - 1n));
  const border = onesCount((a - 1n) >> BigInt(inner));
  const shift = trailingZeros(a);
  const seed = a === 1n << BigInt(shift) ? 0 : 1;
  return seed + inner - shift + border;
}

function checkLength(proof, expected) {
  if (proof.length !== expected) {
    throw new ProofError('bad_proof_length', `the proof has ${proof.length} hashes where ${expected} are needed`);
  }
}

// ---- verification ------------------------------------------------------------------------------

/**
 * RFC 9162 §2.1.3.2: does `proof` lead from the leaf hash at `index` to `root` in a tree of `size`?
 * Resolves to true, or rejects with a ProofError (`index_out_of_range`, `bad_proof_length`,
 * `root_mismatch`, `bad_hash`).
 */
export async function verifyInclusion(leaf, index, size, proof, root) {
  checkHash(leaf);
  checkHash(root);
  proof.forEach(checkHash);
  const expected = inclusionProofLength(index, size);
  checkLength(proof, expected);
  let fn = toSize(index, 'index');
  let sn = toSize(size, 'size') - 1n;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) throw new ProofError('bad_proof_length');
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n || !bytesEqual(r, root)) throw new ProofError('root_mismatch');
  return true;
}

/**
 * RFC 9162 §2.1.4.2: is the tree of `size2` with `root2` an append-only extension of the tree of
 * `size1` with `root1`? The trivial cases (size1 = 0, size1 = size2) need an empty proof, and equal
 * sizes need equal roots. Resolves to true or rejects with a ProofError.
 */
export async function verifyConsistency(size1, size2, proof, root1, root2) {
  checkHash(root1);
  checkHash(root2);
  proof.forEach(checkHash);
  const expected = consistencyProofLength(size1, size2);
  checkLength(proof, expected);
  const a = toSize(size1, 'size');
  const b = toSize(size2, 'size');
  if (a === b) {
    if (!bytesEqual(root1, root2)) throw new ProofError('root_mismatch');
    return true;
  }
  if (a === 0n) return true;
  const path = (a & (a - 1n)) === 0n ? [root1, ...proof] : [...proof];
  let fn = a - 1n;
  let sn = b - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) throw new ProofError('bad_proof_length');
    if ((fn & 1n) === 1n || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n || !bytesEqual(fr, root1) || !bytesEqual(sr, root2)) throw new ProofError('root_mismatch');
  return true;
}

/** The RFC 9162 Merkle tree hash of a list of leaf hashes (naive; for tests and small trees). */
export async function merkleRoot(leaves) {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(await merkleRoot(leaves.slice(0, k)), await merkleRoot(leaves.slice(k)));
}

// ---- checkpoints and signed notes ----------------------------------------------------------------

/**
 * A C2SP signed note → `{body, signatures: [{name, keyId, sig, timestamp?}]}`. `body` is the exact
 * signed text (every line ending in \n); `sig` is what follows the 4-byte key id. A witness
 * cosignature (8-byte timestamp ‖ 64-byte signature) also has `timestamp` in Unix seconds.
 */
export function parseNote(noteText) {
  const text = String(noteText ?? '');
  const split = text.indexOf('\n\n');
  if (split < 0) throw new ProofError('bad_note', 'the note has no blank line before its signatures');
  const body = text.slice(0, split + 1);
  const sigText = text.slice(split + 2);
  if (!sigText.endsWith('\n')) throw new ProofError('bad_note', 'the note does not end with a newline');
  const signatures = sigText.slice(0, -1).split('\n').map(parseSignatureLine);
  return { body, signatures };
}

function parseSignatureLine(line) {
  if (!line.startsWith(SIGNATURE_PREFIX)) throw new ProofError('bad_note', 'a signature line does not start with an em dash');
  const parts = line.slice(SIGNATURE_PREFIX.length).split(' ');
  if (parts.length !== 2 || !parts[0]) throw new ProofError('bad_note', 'a signature line is not "— name signature"');
  const raw = base64ToBytes(parts[1]);
  if (raw.length < 5) throw new ProofError('bad_note', 'a signature is too short');
  const keyId = new DataView(raw.buffer).getUint32(0);
  const sig = raw.slice(4);
  const entry = { name: parts[0], keyId, sig };
  if (sig.length === 72) entry.timestamp = Number(new DataView(sig.buffer).getBigUint64(0));
  return entry;
}

/**
 * A signed note holding a C2SP tlog-checkpoint: `parseNote`'s fields and `{origin, size, root,
 * extensions}`; `size` is a Number, `root` 32 bytes.
 */
export function parseCheckpoint(noteText) {
  const note = parseNote(noteText);
  const lines = note.body.slice(0, -1).split('\n');
  if (lines.length < 3) throw new ProofError('bad_checkpoint', 'a checkpoint has an origin, a size and a root hash');
  if (lines.some((l) => l === '' || /[\u0000-\u001f\u007f]/.test(l))) throw new ProofError('bad_checkpoint');
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw new ProofError('bad_checkpoint', `the tree size ${sizeText} is not a whole number`);
  }
  const root = base64ToBytes(rootText);
  if (root.length !== HASH_LEN) throw new ProofError('bad_checkpoint', 'the root hash is not 32 bytes');
  return { origin, size: Number(sizeText), root, extensions, ...note };
}

/** SHA-256(name ‖ \n ‖ alg ‖ public key)[0..4] as a number: a note key's id. */
export async function keyId(name, alg, publicKey) {
  const d = await sha256(concat(new TextEncoder().encode(`${name}\n`), Uint8Array.of(alg), publicKey));
  return new DataView(d.buffer).getUint32(0);
}

/**
 * A C2SP verifier key `name+hex8+base64(alg ‖ key)` → `{name, keyId, alg, publicKey}`, refused
 * unless it is Ed25519 and the key id matches the key.
 */
export async function parseVerifierKey(text) {
  const s = String(text ?? '').trim();
  const first = s.indexOf('+');
  const second = s.indexOf('+', first + 1);
  if (first <= 0 || second < 0) throw new ProofError('bad_key', 'the key is not name+id+key');
  const name = s.slice(0, first);
  const idHex = s.slice(first + 1, second);
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new ProofError('bad_key', 'the key id is not 8 hex digits');
  const raw = base64ToBytes(s.slice(second + 1));
  if (raw.length !== 33 || raw[0] !== ALG_ED25519) throw new ProofError('bad_key', 'not an Ed25519 key');
  const publicKey = raw.slice(1);
  const id = parseInt(idHex, 16);
  if ((await keyId(name, raw[0], publicKey)) !== id) throw new ProofError('bad_key', 'the key id does not match the key');
  return { name, keyId: id, alg: raw[0], publicKey };
}

/**
 * Does the signature by `key` in `note` (from parseNote or parseCheckpoint) verify over its body? Resolves to true, or rejects
 * with `no_signature` (none by that key), `bad_signature`, or `ed25519_unsupported` when the
 * browser's WebCrypto has no Ed25519.
 */
export async function verifyNoteSignature(note, key) {
  const line = note.signatures.find((s) => s.name === key.name && s.keyId === key.keyId);
  if (!line) throw new ProofError('no_signature');
  if (line.sig.length !== 64) throw new ProofError('bad_signature');
  let cryptoKey;
  try {
    cryptoKey = await subtle().importKey('raw', key.publicKey, { name: 'Ed25519' }, false, ['verify']);
  } catch {
    throw new ProofError('ed25519_unsupported');
  }
  const ok = await subtle().verify({ name: 'Ed25519' }, cryptoKey, line.sig, new TextEncoder().encode(note.body));
  if (!ok) throw new ProofError('bad_signature');
  return true;
}
