// Pure helpers of the bid box pages (docs/bid-box.md): the messages custodians and tenderers sign,
// bid.json from the form, safe attachment names, released-share encoding, base64 and an
// incremental SHA-256 (WebCrypto can only hash a whole buffer, and a sealed bid is never held whole).
// No DOM, no network, no keys here, so node --test can check every rule.

import { yuanToFen } from './format.js';

const utf8 = new TextEncoder();

// ---- base64 ---------------------------------------------------------------------------------

export function bytesToBase64(bytes) {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/** Null if `text` is not base64. */
export function base64ToBytes(text) {
  try {
    const bin = atob(String(text).trim());
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// ---- signed messages ------------------------------------------------------------------------

/** What a key signs to register itself for an organisation (src/identity/keys.rs). */
export function signingKeyMessage(orgId, publicKeyB64) {
  return utf8.encode(`bidhall-signing-key/1\n${orgId}\n${publicKeyB64}\n`);
}

/** What a custodian's organisation signs to register its key for a tender (docs/bid-box.md). */
export function custodianKeyMessage(tenderId, index, publicKeyB64) {
  return utf8.encode(`bidhall-custodian-key/1\n${tenderId}\n${index}\n${publicKeyB64}\n`);
}

/** The 65 released bytes `u8(index) ‖ share ‖ salt` (docs/sealed-envelope.md §3), as base64. */
export function encodeReleasedShare({ index, share, salt }) {
  if (!Number.isInteger(index) || index < 1 || index > 255) throw new RangeError('custodian index must be 1..255');
  if (share?.length !== 32 || salt?.length !== 32) throw new RangeError('a share and its salt are 32 bytes each');
  const out = new Uint8Array(65);
  out[0] = index;
  out.set(share, 1);
  out.set(salt, 33);
  const text = bytesToBase64(out);
  out.fill(0);
  return text;
}

// ---- custodians -----------------------------------------------------------------------------

/** Indexes of the custodian set without a registered key. */
export function missingCustodians(custodians) {
  return custodians.filter((c) => !c.public_key).map((c) => c.index);
}

/** Indexes the organisation holds (the hall's time-release custodian has no organisation). */
export function heldIndexes(custodians, orgId) {
  return custodians.filter((c) => orgId && c.org_id === orgId).map((c) => c.index);
}

/** The registered keys in custodian order, as bytes; throws if one is missing or malformed. */
export function custodianKeys(custodians) {
  const sorted = [...custodians].sort((a, b) => a.index - b.index);
  return sorted.map((c, pos) => {
    if (c.index !== pos + 1) throw new Error(`custodian ${pos + 1} is not listed`);
    const key = c.public_key ? base64ToBytes(c.public_key) : null;
    if (!key || key.length !== 65 || key[0] !== 4) throw new Error(`custodian ${c.index} has no valid key`);
    return key;
  });
}

// ---- the bid --------------------------------------------------------------------------------

/**
 * The bid's terms from what the tenderer typed, or `{errors: [{field, id}]}`. The price is a
 * positive amount in yuan with at most two decimals, carried as integer fen in a decimal string.
 */
export function buildBid({ price, durationDays, quality, remarks }) {
  const errors = [];
  const fen = yuanToFen(price ?? '');
  if (fen === null || fen <= 0) errors.push({ field: 'price', id: 'js_bad_money' });
  const days = String(durationDays ?? '').trim();
  const duration = /^\d{1,5}$/.test(days) ? Number(days) : NaN;
  if (!(duration >= 1)) errors.push({ field: 'duration_days', id: 'js_bad_days' });
  if (errors.length) return { errors };
  const bid = { price_fen: String(fen), duration_days: duration };
  const q = String(quality ?? '').trim();
  if (q) bid.quality_commitment = q;
  const terms = String(remarks ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  if (terms.length) bid.declared_terms = terms;
  return { bid, json: JSON.stringify(bid), bytes: utf8.encode(JSON.stringify(bid)) };
}

/** Cuts `text` to at most `max` bytes of UTF-8 without splitting a character. */
function cutUtf8(text, max) {
  let out = '';
  let len = 0;
  for (const ch of text) {
    const n = utf8.encode(ch).length;
    if (len + n > max) break;
    out += ch;
    len += n;
  }
  return out;
}

/**
 * Archive names for attached files: `attachments/<name>`, at most 100 bytes of UTF-8, without
 * slashes, backslashes or control characters, unique (a number is added before the extension).
 */
export function attachmentNames(fileNames) {
  const prefix = 'attachments/';
  const taken = new Set();
  return fileNames.map((raw) => {
    // eslint-disable-next-line no-control-regex
    let base = String(raw).replace(/[\u0000-\u001f\u007f-\u009f\\/]/g, '_').trim();
    if (base === '' || base === '.' || base === '..') base = 'file';
    const dot = base.lastIndexOf('.');
    const ext = dot > 0 && base.length - dot <= 16 ? base.slice(dot) : '';
    const stem = ext ? base.slice(0, dot) : base;
    for (let n = 1; ; n++) {
      const suffix = n === 1 ? ext : `-${n}${ext}`;
      const room = 100 - utf8.encode(prefix).length - utf8.encode(suffix).length;
      const name = prefix + cutUtf8(stem, room) + suffix;
      if (!taken.has(name)) {
        taken.add(name);
        return name;
      }
    }
  });
}

/** The fields of a bid receipt's signed note (docs/bid-box.md), or null if it is not one. */
export function parseReceipt(note) {
  const lines = String(note).split('\n');
  if (lines[0] !== 'bidhall-bid-receipt/1' || lines.length < 10) return null;
  const [, action, tender, lot, commitment, sha256, size, at, index] = lines;
  return { action, tender, lot, commitment, sha256, size: Number(size), at, logIndex: Number(index) };
}

// ---- SHA-256, incremental (FIPS 180-4) --------------------------------------------------------

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** SHA-256 over pieces fed with `update`; `hex()` ends it. */
export class Sha256 {
  #h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  #block = new Uint8Array(64);
  #fill = 0;
  #length = 0;
  #w = new Uint32Array(64);
  #done = false;

  update(bytes) {
    if (this.#done) throw new Error('hash already finished');
    let pos = 0;
    this.#length += bytes.length;
    if (this.#fill > 0) {
      const take = Math.min(64 - this.#fill, bytes.length);
      this.#block.set(bytes.subarray(0, take), this.#fill);
      this.#fill += take;
      pos = take;
      if (this.#fill < 64) return this;
      this.#compress(this.#block, 0);
      this.#fill = 0;
    }
    for (; pos + 64 <= bytes.length; pos += 64) this.#compress(bytes, pos);
    this.#block.set(bytes.subarray(pos), 0);
    this.#fill = bytes.length - pos;
    return this;
  }

  hex() {
    if (!this.#done) {
      const bits = this.#length * 8;
      const pad = new Uint8Array(((this.#fill < 56 ? 56 : 120) - this.#fill) + 8);
      pad[0] = 0x80;
      const view = new DataView(pad.buffer);
      view.setUint32(pad.length - 8, Math.floor(bits / 2 ** 32));
      view.setUint32(pad.length - 4, bits >>> 0);
      const length = this.#length;
      this.update(pad);
      this.#length = length;
      this.#done = true;
    }
    return Array.from(this.#h, (x) => x.toString(16).padStart(8, '0')).join('');
  }

  #compress(bytes, at) {
    const w = this.#w;
    for (let i = 0; i < 16; i++) {
      const j = at + 4 * i;
      w[i] = (bytes[j] << 24) | (bytes[j + 1] << 16) | (bytes[j + 2] << 8) | bytes[j + 3];
    }
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15];
      const b = w[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    const h = this.#h;
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[i] + w[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
}
