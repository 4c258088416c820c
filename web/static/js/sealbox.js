// The sealed bid box in the browser (and Node 20): Shamir over GF(2^8), RFC 9180 HPKE for one
// suite, the sealed-envelope formats v1 and v2 (v2: the announced bid.json and the documents under
// separate keys, the announced key committed in the signed header), custodian keys and the bid
// archive.
// It must never send anything anywhere, hold a whole payload in memory while sealing or opening,
// or put a share, salt or key into an error message. Crypto only through globalThis.crypto.subtle.

const subtle = globalThis.crypto.subtle;
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export const MAGIC = utf8.encode('BHSEAL\0');
export const VERSION = 1;
export const VERSION_2 = 2;
/** A v2 announced segment (bid.json) holds at most 1 MiB. */
export const MAX_ANNOUNCED_LEN = 2 ** 20;
export const PREFIX_LEN = 12;
export const CHUNK_SIZE = 65536;
export const TAG_LEN = 16;
export const ENVELOPE_ID_LEN = 16;
export const SALT_LEN = 32;
export const ENC_LEN = 65;
export const SEALED_SHARE_LEN = 32 + 32 + 16;
export const RECORD_LEN = 1 + 32 + 32 + ENC_LEN + SEALED_SHARE_LEN;
export const MAC_LEN = 32;
export const SIGNATURE_LEN = 64;
export const MAX_ID_LEN = 255;
export const MAX_HEADER_LEN = 65536;
export const MAX_PAYLOAD_LEN = 2 ** 40;
export const KEY_FILE_FORMAT = 'bidhall-custodian-key/1';
export const BACKUP_FORMAT = 'bidhall-custodian-key-backup/1';
export const MIN_BACKUP_ITERATIONS = 600000;
export const MAX_BACKUP_ITERATIONS = 10000000;

// The labels that differ between versions, so no value of one version passes for the other's.
const LABELS = {
  1: {
    share: utf8.encode('bidhall-sealbox/1 share'),
    commit: utf8.encode('bidhall-sealbox/1 commit'),
    mac: utf8.encode('bidhall-sealbox/1 header-mac'),
    signature: utf8.encode('bidhall-sealbox/1 signature'),
  },
  2: {
    share: utf8.encode('bidhall-sealbox/2 share'),
    commit: utf8.encode('bidhall-sealbox/2 commit'),
    mac: utf8.encode('bidhall-sealbox/2 header-mac'),
    signature: utf8.encode('bidhall-sealbox/2 signature'),
  },
};
const LABEL_PAYLOAD = utf8.encode('bidhall-sealbox/1 payload');
const LABEL_ANNOUNCED = utf8.encode('bidhall-sealbox/2 announced');
const LABEL_DOCUMENTS = utf8.encode('bidhall-sealbox/2 documents');
const LABEL_ANNOUNCED_KEY = utf8.encode('bidhall-sealbox/2 announced-key');
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const ECDH = { name: 'ECDH', namedCurve: 'P-256' };
const ECDSA = { name: 'ECDSA', namedCurve: 'P-256' };
const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' };

// ---- Errors ---------------------------------------------------------------------------------

/**
 * Every failure carries a stable `code` (the Rust variant in snake_case) and a `fault`:
 * null (malformed input, caller mistake), {party: 'tenderer'}, or {party: 'custodian', index}.
 */
export class SealboxError extends Error {
  constructor(code, message, fault = null) {
    super(message);
    this.name = 'SealboxError';
    this.code = code;
    this.fault = fault;
  }
}
const TENDERER = Object.freeze({ party: 'tenderer' });
const custodianFault = (index) => Object.freeze({ party: 'custodian', index });
const fail = (code, message, fault = null) => { throw new SealboxError(code, message, fault); };
const invalidField = (field, reason) =>
  fail('invalid_field', `envelope header field \`${field}\` is invalid: ${reason}`);

// ---- Bytes ----------------------------------------------------------------------------------

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromHex(text) {
  if (typeof text !== 'string' || text.length % 2 !== 0 || /[^0-9a-fA-F]/.test(text)) {
    throw new TypeError('not a hex string');
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
  return out;
}

function concat(...parts) {
  const len = parts.reduce((sum, p) => sum + p.length, 0);
  const out = new Uint8Array(len);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function u32be(n) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

function u64be(n) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

/** lp(x) = u32be(len(x)) ‖ x */
function lp(bytes) {
  return concat(u32be(bytes.length), bytes);
}

function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

function b64url(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromB64url(text) {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

function randomBytes(len) {
  const out = new Uint8Array(len);
  // getRandomValues fills at most 65536 bytes per call.
  for (let i = 0; i < len; i += 65536) globalThis.crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}

export async function sha256(bytes) {
  return new Uint8Array(await subtle.digest('SHA-256', bytes));
}

async function hmacSha256(key, message) {
  // WebCrypto refuses empty HMAC keys; HMAC pads keys with zeros, so 32 zero bytes is the same key.
  const raw = key.length === 0 ? new Uint8Array(32) : key;
  const k = await subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', k, message));
}

async function hkdfExpand(prk, info, len) {
  const out = new Uint8Array(len);
  let t = new Uint8Array(0);
  for (let i = 1, pos = 0; pos < len; i++) {
    t = await hmacSha256(prk, concat(t, info, Uint8Array.of(i)));
    out.set(t.subarray(0, Math.min(32, len - pos)), pos);
    pos += 32;
  }
  return out;
}

/** HKDF-SHA256(IKM = content key, salt = envelope id, info = label), 32 bytes. */
async function deriveFromContentKey(contentKey, envelopeId, label) {
  const ikm = await subtle.importKey('raw', contentKey, 'HKDF', false, ['deriveBits']);
  const bits = await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: envelopeId, info: label }, ikm, 256);
  return new Uint8Array(bits);
}

// ---- Shamir over GF(2^8), polynomial 0x11B ------------------------------------------------

function gfMul(a, b) {
  // Shift-and-add with masks: no branches or table lookups on secret bytes.
  let p = 0;
  for (let i = 0; i < 8; i++) {
    p ^= a & -(b & 1);
    const carry = -(a >> 7) & 0x1b;
    a = ((a << 1) ^ carry) & 0xff;
    b >>= 1;
  }
  return p;
}

function gfInv(a) {
  let result = 1;
  let base = a;
  for (let exp = 254; exp > 0; exp >>= 1) {
    if (exp & 1) result = gfMul(result, base);
    base = gfMul(base, base);
  }
  return result;
}

/**
 * Splits a 32-byte secret into n shares at x = 1..n, any k of which rebuild it. `coefficients`
 * (optional, for test vectors) holds 32·(k−1) bytes: for each secret byte j, degrees 1..k−1.
 */
export function split(secret, n, k, coefficients = null) {
  if (!(secret instanceof Uint8Array) || secret.length !== 32) throw new TypeError('secret must be 32 bytes');
  if (!Number.isInteger(n) || !Number.isInteger(k) || k < 1 || k > n || n > 255) {
    fail('invalid_params', `threshold ${k} and share count ${n} must satisfy 1 <= k <= n <= 255`);
  }
  const degree = k - 1;
  const coeffs = coefficients ?? randomBytes(32 * degree);
  if (coeffs.length !== 32 * degree) fail('invalid_params', 'coefficients must be 32 * (k - 1) bytes');
  const shares = [];
  for (let x = 1; x <= n; x++) {
    const y = new Uint8Array(32);
    for (let j = 0; j < 32; j++) {
      let acc = 0;
      for (let d = degree - 1; d >= 0; d--) acc = gfMul(acc, x) ^ coeffs[j * degree + d];
      y[j] = gfMul(acc, x) ^ secret[j];
    }
    shares.push({ x, y });
  }
  if (!coefficients) coeffs.fill(0);
  return shares;
}

/** Interpolates at x = 0 through every given share ({x, y}). */
export function combine(shares) {
  if (shares.length === 0) fail('not_enough_shares', 'no shares to combine');
  const xs = shares.map((s) => s.x);
  for (const [i, x] of xs.entries()) {
    if (!Number.isInteger(x) || x < 1 || x > 255) fail('invalid_params', `share x = ${x} is not a valid position`);
    if (xs.indexOf(x) !== i) fail('duplicate_share', `two shares have the same position x = ${x}`);
  }
  const secret = new Uint8Array(32);
  shares.forEach((si, i) => {
    let num = 1;
    let den = 1;
    shares.forEach((sj, j) => {
      if (i !== j) {
        num = gfMul(num, sj.x);
        den = gfMul(den, sj.x ^ si.x);
      }
    });
    const basis = gfMul(num, gfInv(den));
    for (let b = 0; b < 32; b++) secret[b] ^= gfMul(basis, si.y[b]);
  });
  return secret;
}

// ---- HPKE: RFC 9180 base mode, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM --------

const HPKE_V1 = utf8.encode('HPKE-v1');
const KEM_SUITE_ID = concat(utf8.encode('KEM'), Uint8Array.of(0x00, 0x10));
const HPKE_SUITE_ID = concat(utf8.encode('HPKE'), Uint8Array.of(0x00, 0x10, 0x00, 0x01, 0x00, 0x01));

async function labeledExtract(suiteId, salt, label, ikm) {
  return hmacSha256(salt, concat(HPKE_V1, suiteId, utf8.encode(label), ikm));
}

async function labeledExpand(suiteId, prk, label, info, len) {
  const lenBytes = Uint8Array.of(len >> 8, len & 0xff);
  return hkdfExpand(prk, concat(lenBytes, HPKE_V1, suiteId, utf8.encode(label), info), len);
}

function pkcs8FromScalar(scalar) {
  // PKCS#8 PrivateKeyInfo for P-256 with only the private key (RFC 5915 ECPrivateKey, no
  // optional fields); WebCrypto then computes the public key itself.
  const prefix = fromHex('308141020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420');
  return concat(prefix, scalar);
}

function jwkFor(scalar, publicKey) {
  const jwk = { kty: 'EC', crv: 'P-256', x: b64url(publicKey.subarray(1, 33)), y: b64url(publicKey.subarray(33, 65)), ext: true };
  if (scalar) jwk.d = b64url(scalar);
  return jwk;
}

function checkPointEncoding(raw) {
  if (!(raw instanceof Uint8Array) || raw.length !== ENC_LEN || raw[0] !== 0x04) {
    throw new SealboxError('invalid_public_key', 'not an uncompressed P-256 public key');
  }
}

/** Imports an uncompressed P-256 point for ECDH; WebCrypto rejects points off the curve. */
async function importEcdhPublic(raw) {
  checkPointEncoding(raw);
  try {
    return await subtle.importKey('raw', raw, ECDH, true, []);
  } catch {
    throw new SealboxError('invalid_public_key', 'not a valid P-256 public key');
  }
}

/** A private scalar (32 bytes, big-endian, in [1, n)) as an ECDH key pair. */
async function ecdhKeyPairFromScalar(scalar, { extractable = false } = {}) {
  const probe = await subtle.importKey('pkcs8', pkcs8FromScalar(scalar), ECDH, true, ['deriveBits']);
  const jwk = await subtle.exportKey('jwk', probe);
  const publicKey = concat(Uint8Array.of(4), fromB64url(jwk.x), fromB64url(jwk.y));
  const privateKey = extractable ? probe : await subtle.importKey('jwk', jwk, ECDH, false, ['deriveBits']);
  return { privateKey, publicKey };
}

/** RFC 9180 §7.1.3 DeriveKeyPair for P-256; returns the scalar and the key pair. */
export async function deriveKeyPair(ikm) {
  const dkpPrk = await labeledExtract(KEM_SUITE_ID, new Uint8Array(0), 'dkp_prk', ikm);
  for (let counter = 0; counter < 256; counter++) {
    const bytes = await labeledExpand(KEM_SUITE_ID, dkpPrk, 'candidate', Uint8Array.of(counter), 32);
    const sk = BigInt('0x' + toHex(bytes));
    if (sk !== 0n && sk < P256_ORDER) {
      return { scalar: bytes, ...(await ecdhKeyPairFromScalar(bytes)) };
    }
  }
  fail('derive_key_pair', 'DeriveKeyPair found no valid scalar');
}

async function dh(privateKey, publicRaw) {
  const pub = await importEcdhPublic(publicRaw);
  return new Uint8Array(await subtle.deriveBits({ name: 'ECDH', public: pub }, privateKey, 256));
}

async function extractAndExpand(dhBytes, kemContext) {
  const eaePrk = await labeledExtract(KEM_SUITE_ID, new Uint8Array(0), 'eae_prk', dhBytes);
  return labeledExpand(KEM_SUITE_ID, eaePrk, 'shared_secret', kemContext, 32);
}

class HpkeContext {
  #key;
  #baseNonce;
  #exporterSecret;
  #seq = 0;

  constructor(key, baseNonce, exporterSecret, raw) {
    this.#key = key;
    this.#baseNonce = baseNonce;
    this.#exporterSecret = exporterSecret;
    // Key-schedule intermediates, exposed only so RFC 9180 vectors can be checked.
    Object.defineProperty(this, 'keyScheduleForTests', { value: raw, enumerable: false });
  }

  #nextNonce() {
    const nonce = this.#baseNonce.slice();
    const seq = u64be(this.#seq);
    for (let i = 0; i < 8; i++) nonce[4 + i] ^= seq[i];
    this.#seq += 1;
    return nonce;
  }

  async seal(aad, pt) {
    const iv = this.#nextNonce();
    return new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad, tagLength: 128 }, this.#key, pt));
  }

  async open(aad, ct) {
    const iv = this.#nextNonce();
    try {
      return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad, tagLength: 128 }, this.#key, ct));
    } catch {
      throw new SealboxError('hpke_open_failed', 'HPKE decryption failed');
    }
  }

  async export(exporterContext, len) {
    return labeledExpand(HPKE_SUITE_ID, this.#exporterSecret, 'sec', exporterContext, len);
  }
}

async function keySchedule(sharedSecret, info) {
  const empty = new Uint8Array(0);
  const pskIdHash = await labeledExtract(HPKE_SUITE_ID, empty, 'psk_id_hash', empty);
  const infoHash = await labeledExtract(HPKE_SUITE_ID, empty, 'info_hash', info);
  const ksc = concat(Uint8Array.of(0x00), pskIdHash, infoHash);
  const secret = await labeledExtract(HPKE_SUITE_ID, sharedSecret, 'secret', empty);
  const key = await labeledExpand(HPKE_SUITE_ID, secret, 'key', ksc, 16);
  const baseNonce = await labeledExpand(HPKE_SUITE_ID, secret, 'base_nonce', ksc, 12);
  const exporterSecret = await labeledExpand(HPKE_SUITE_ID, secret, 'exp', ksc, 32);
  const aesKey = await subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']);
  const raw = { sharedSecret, keyScheduleContext: ksc, secret, key, baseNonce, exporterSecret };
  return new HpkeContext(aesKey, baseNonce, exporterSecret, raw);
}

/**
 * SetupBaseS. With `ikmE` the ephemeral key is DeriveKeyPair(ikmE) (test vectors); without it,
 * a fresh non-extractable WebCrypto key.
 */
export async function setupBaseS(recipientPublicKey, info, { ikmE = null } = {}) {
  let eph;
  if (ikmE) {
    eph = await deriveKeyPair(ikmE);
  } else {
    const pair = await subtle.generateKey(ECDH, false, ['deriveBits']);
    eph = { privateKey: pair.privateKey, publicKey: new Uint8Array(await subtle.exportKey('raw', pair.publicKey)) };
  }
  const enc = eph.publicKey;
  const shared = await extractAndExpand(await dh(eph.privateKey, recipientPublicKey), concat(enc, recipientPublicKey));
  return { enc, ctx: await keySchedule(shared, info) };
}

/** SetupBaseR with the recipient's static key pair {privateKey: CryptoKey, publicKey: raw}. */
export async function setupBaseR(enc, recipient, info) {
  checkPointEncoding(enc);
  const shared = await extractAndExpand(await dh(recipient.privateKey, enc), concat(enc, recipient.publicKey));
  return keySchedule(shared, info);
}

export async function hpkeSeal(recipientPublicKey, info, aad, pt, options = {}) {
  const { enc, ctx } = await setupBaseS(recipientPublicKey, info, options);
  return { enc, ct: await ctx.seal(aad, pt) };
}

export async function hpkeOpen(recipient, enc, info, aad, ct) {
  const ctx = await setupBaseR(enc, recipient, info);
  return ctx.open(aad, ct);
}

// ---- Keys -----------------------------------------------------------------------------------

/** SHA-256 of the SEC1 uncompressed public key: what the envelope header names. */
export async function fingerprint(publicKey) {
  return sha256(publicKey);
}

async function keyPairMatches(privateKey, publicKey) {
  // A DH round trip with a throwaway key proves the private key belongs to the public key
  // without ever exporting it (the private key may be non-extractable).
  const probe = await subtle.generateKey(ECDH, false, ['deriveBits']);
  const probePublic = new Uint8Array(await subtle.exportKey('raw', probe.publicKey));
  const a = await dh(privateKey, probePublic);
  const b = await dh(probe.privateKey, publicKey);
  return bytesEqual(a, b);
}

async function custodianFromScalar(scalar, publicKey, extractable) {
  const d = BigInt('0x' + (toHex(scalar) || '0'));
  if (scalar.length !== 32 || d === 0n || d >= P256_ORDER) fail('invalid_private_key', 'not a valid P-256 private key');
  await importEcdhPublic(publicKey);
  let privateKey;
  try {
    privateKey = await subtle.importKey('jwk', jwkFor(scalar, publicKey), ECDH, extractable, ['deriveBits']);
  } catch {
    // Scalar and point are each valid, so the import can only have refused their pairing
    // (some engines check it, some do not: the DH round trip below decides for all of them).
    fail('key_pair_mismatch', "the key file's public key does not belong to its private key");
  }
  if (!(await keyPairMatches(privateKey, publicKey))) {
    fail('key_pair_mismatch', "the key file's public key does not belong to its private key");
  }
  return { privateKey, publicKey, fingerprint: await fingerprint(publicKey) };
}

async function backupKey(passphrase, salt, iterations) {
  if (!Number.isInteger(iterations) || iterations < MIN_BACKUP_ITERATIONS || iterations > MAX_BACKUP_ITERATIONS) {
    fail('backup_iterations', `backup uses ${iterations} PBKDF2 iterations; between 600000 and 10000000 are accepted`);
  }
  if (!passphrase) fail('empty_passphrase', 'an empty passphrase cannot protect a backup');
  const base = await subtle.importKey('raw', utf8.encode(passphrase), 'PBKDF2', false, ['deriveBits']);
  const bits = await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, base, 256);
  return subtle.importKey('raw', bits, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

function backupAad(publicKey, iterations) {
  return concat(lp(utf8.encode(BACKUP_FORMAT)), lp(publicKey), u32be(iterations));
}

async function makeBackup(scalar, publicKey, passphrase, iterations = MIN_BACKUP_ITERATIONS) {
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const key = await backupKey(passphrase, salt, iterations);
  const ct = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: backupAad(publicKey, iterations) }, key, scalar));
  return JSON.stringify({
    format: BACKUP_FORMAT, kdf: 'PBKDF2-SHA256', iterations, salt: toHex(salt),
    cipher: 'AES-256-GCM', nonce: toHex(nonce), public_key: toHex(publicKey), ciphertext: toHex(ct),
  }, null, 2);
}

/**
 * A custodian key pair for one tender, generated on this device. The returned private key is a
 * non-extractable CryptoKey; the only copies that can leave are the optional passphrase backup
 * and, when `exportKeyFile` is set (CLI, tests), the plain key file.
 */
export async function generateCustodianKey({ backupPassphrase = null, exportKeyFile = false } = {}) {
  const pair = await subtle.generateKey(ECDH, true, ['deriveBits']);
  const jwk = await subtle.exportKey('jwk', pair.privateKey);
  const scalar = fromB64url(jwk.d);
  const publicKey = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
  try {
    const privateKey = await subtle.importKey('jwk', jwk, ECDH, false, ['deriveBits']);
    const backup = backupPassphrase ? await makeBackup(scalar, publicKey, backupPassphrase) : null;
    const keyFile = exportKeyFile ? keyFileText(scalar, publicKey) : null;
    return { privateKey, publicKey, fingerprint: await fingerprint(publicKey), backup, keyFile };
  } finally {
    scalar.fill(0);
    delete jwk.d;
  }
}

function keyFileText(scalar, publicKey) {
  return JSON.stringify({ format: KEY_FILE_FORMAT, curve: 'P-256', private_key: toHex(scalar), public_key: toHex(publicKey) }, null, 2);
}

/** Reads the plain key file (same JSON as the Rust side writes). */
export async function importCustodianKeyFile(text, { extractable = false } = {}) {
  const file = JSON.parse(text);
  const keys = Object.keys(file).sort().join(',');
  if (keys !== 'curve,format,private_key,public_key') fail('key_file', 'malformed key file: unexpected fields');
  if (file.format !== KEY_FILE_FORMAT || file.curve !== 'P-256') fail('key_file', 'malformed key file: unknown format or curve');
  const scalar = fromHex(file.private_key);
  if (scalar.length !== 32) fail('invalid_private_key', 'not a valid P-256 private key');
  try {
    return await custodianFromScalar(scalar, fromHex(file.public_key), extractable);
  } finally {
    scalar.fill(0);
  }
}

/** Restores a custodian key from its passphrase backup, as a non-extractable CryptoKey. */
export async function restoreCustodianBackup(text, passphrase) {
  const file = JSON.parse(text);
  if (file.format !== BACKUP_FORMAT || file.kdf !== 'PBKDF2-SHA256' || file.cipher !== 'AES-256-GCM') {
    fail('key_file', 'malformed key file: unknown format, kdf or cipher');
  }
  const salt = fromHex(file.salt);
  const nonce = fromHex(file.nonce);
  const publicKey = fromHex(file.public_key);
  const ct = fromHex(file.ciphertext);
  if (salt.length !== 16 || nonce.length !== 12 || ct.length !== 48) fail('key_file', 'malformed key file: wrong lengths');
  const key = await backupKey(passphrase, salt, file.iterations);
  let scalar;
  try {
    scalar = new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv: nonce, additionalData: backupAad(publicKey, file.iterations) }, key, ct));
  } catch {
    fail('wrong_passphrase', 'wrong passphrase, or the backup was altered');
  }
  try {
    return await custodianFromScalar(scalar, publicKey, false);
  } finally {
    scalar.fill(0);
  }
}

/** Does this file's text hold a plain key file (no passphrase needed), rather than a backup? */
export function isCustodianKeyFile(text) {
  try {
    return JSON.parse(text)?.format === KEY_FILE_FORMAT;
  } catch {
    return false;
  }
}

/**
 * A custodian key from what its holder kept: the plain key file (`bidhall custodian keygen`, the
 * demo hall's) or the passphrase backup this page downloads; a non-extractable CryptoKey either way.
 */
export async function restoreCustodianKey(text, passphrase) {
  if (isCustodianKeyFile(text)) return importCustodianKeyFile(text);
  return restoreCustodianBackup(text, passphrase);
}

/** A passphrase backup of an extractable custodian key (e.g. one imported from a key file). */
export async function backupCustodianKey(custodian, passphrase, iterations = MIN_BACKUP_ITERATIONS) {
  const jwk = await subtle.exportKey('jwk', custodian.privateKey);
  const scalar = fromB64url(jwk.d);
  try {
    return await makeBackup(scalar, custodian.publicKey, passphrase, iterations);
  } finally {
    scalar.fill(0);
  }
}

/** The tenderer's ECDSA P-256 signing key from a 32-byte scalar and its public key (tests, CLI). */
export async function importSigningKey(scalar, publicKey, { extractable = false } = {}) {
  return subtle.importKey('jwk', jwkFor(scalar, publicKey), ECDSA, extractable, ['sign']);
}

async function importVerifyKey(publicKey) {
  if (publicKey instanceof CryptoKey) return publicKey;
  checkPointEncoding(publicKey);
  return subtle.importKey('raw', publicKey, ECDSA, false, ['verify']);
}

// ---- Reading sources in exact pieces --------------------------------------------------------

/** Reads a Uint8Array, Blob or ReadableStream in pieces of exactly the size asked for. */
class ExactReader {
  #source;
  #offset = 0;
  #reader = null;
  #pending = [];
  #pendingLen = 0;
  #done = false;

  constructor(source) {
    if (source instanceof Uint8Array || (typeof Blob !== 'undefined' && source instanceof Blob)) {
      this.#source = source;
    } else if (source && typeof source.getReader === 'function') {
      this.#reader = source.getReader();
    } else {
      throw new TypeError('payload must be a Uint8Array, Blob or ReadableStream');
    }
  }

  /** Up to `len` bytes; fewer only at the end of the source. */
  async read(len) {
    if (this.#source instanceof Uint8Array) {
      const out = this.#source.subarray(this.#offset, this.#offset + len);
      this.#offset += out.length;
      return out;
    }
    if (this.#source) {
      const end = Math.min(this.#offset + len, this.#source.size);
      const out = new Uint8Array(await this.#source.slice(this.#offset, end).arrayBuffer());
      this.#offset = end;
      return out;
    }
    while (this.#pendingLen < len && !this.#done) {
      const { value, done } = await this.#reader.read();
      if (done) {
        this.#done = true;
      } else if (value && value.length) {
        const bytes = value instanceof Uint8Array ? value : new Uint8Array(value);
        this.#pending.push(bytes);
        this.#pendingLen += bytes.length;
      }
    }
    const take = Math.min(len, this.#pendingLen);
    const out = new Uint8Array(take);
    let pos = 0;
    while (pos < take) {
      const head = this.#pending[0];
      const n = Math.min(head.length, take - pos);
      out.set(head.subarray(0, n), pos);
      pos += n;
      if (n === head.length) this.#pending.shift();
      else this.#pending[0] = head.subarray(n);
    }
    this.#pendingLen -= take;
    return out;
  }

  release() {
    if (this.#reader) this.#reader.releaseLock();
  }
}

function sourceLength(source) {
  if (source instanceof Uint8Array) return source.length;
  if (typeof Blob !== 'undefined' && source instanceof Blob) return source.size;
  return null;
}

// ---- Envelope -------------------------------------------------------------------------------

export function chunkCount(payloadLength) {
  return Math.max(1, Math.ceil(payloadLength / CHUNK_SIZE));
}

export function bodyLength(payloadLength) {
  return payloadLength + chunkCount(payloadLength) * TAG_LEN;
}

function chunkNonce(index, last) {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setBigUint64(3, BigInt(index));
  nonce[11] = last ? 1 : 0;
  return nonce;
}

function shareInfo(version, tenderId, lotId, envelopeId, index) {
  return concat(lp(LABELS[version].share), lp(utf8.encode(tenderId)), lp(utf8.encode(lotId)), lp(envelopeId), Uint8Array.of(index));
}

async function shareCommitment(version, envelopeId, index, share, salt) {
  return sha256(concat(lp(LABELS[version].commit), lp(envelopeId), Uint8Array.of(index), share, salt));
}

function signatureMessage(version, signedPart) {
  return concat(lp(LABELS[version].signature), signedPart);
}

/** SHA-256(lp("bidhall-sealbox/2 announced-key") ‖ lp(envelope id) ‖ announced key). */
export async function announcedKeyCommitment(envelopeId, announcedKey) {
  return sha256(concat(lp(LABEL_ANNOUNCED_KEY), lp(envelopeId), announcedKey));
}

function checkId(field, value) {
  const bytes = typeof value === 'string' ? utf8.encode(value) : new Uint8Array(0);
  if (bytes.length < 1 || bytes.length > MAX_ID_LEN) {
    invalidField(field, 'must be 1 to 255 bytes of UTF-8');
  }
  return bytes;
}

async function aesKey(raw) {
  return subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

async function payloadCipher(contentKey, envelopeId, label = LABEL_PAYLOAD) {
  const raw = await deriveFromContentKey(contentKey, envelopeId, label);
  try {
    return await aesKey(raw);
  } finally {
    raw.fill(0);
  }
}

async function macMatches(header, contentKey) {
  const macKey = await deriveFromContentKey(contentKey, header.envelopeId, LABELS[header.version].mac);
  const k = await subtle.importKey('raw', macKey, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  macKey.fill(0);
  const macAt = header.bytes.length - SIGNATURE_LEN - MAC_LEN;
  return subtle.verify('HMAC', k, header.mac, header.bytes.subarray(0, macAt));
}

/**
 * Seals a version 1 envelope (one payload under one key). New bids use `sealEnvelopeV2`; v1 stays
 * for its test vectors and for what was sealed before. Calls `onChunk(bytes)` first with the
 * header, then with each encrypted 64 KiB chunk in order (awaiting it, so an upload can apply
 * backpressure); their concatenation is the envelope. Only one chunk is in memory at a time.
 * `payloadLength` is required for a ReadableStream; the signed header states it, so the stream must
 * match it. `randomness` fixes every random value, for test vectors only.
 */
export async function sealEnvelope({ payload, payloadLength = null, ...rest }) {
  return sealWith(VERSION, { ...rest, announced: null, payload, payloadLength });
}

/**
 * Seals a version 2 envelope: `announced` (bid.json's bytes, the 开标一览表 fields read out at the
 * opening; a Uint8Array of at most 1 MiB) under the announced key, and `documents` (the attachments
 * archive: Uint8Array, Blob or ReadableStream of `documentsLength` bytes) under the documents key.
 * After the opening the hall publishes the announced key, which opens bid.json and nothing else.
 * Same `onChunk` and `randomness` contract as `sealEnvelope`.
 */
export async function sealEnvelopeV2({ announced, documents, documentsLength = null, ...rest }) {
  if (!(announced instanceof Uint8Array)) throw new TypeError('announced must be a Uint8Array');
  if (announced.length > MAX_ANNOUNCED_LEN) fail('invalid_params', 'cannot seal: the announced fields are larger than 1 MiB');
  return sealWith(VERSION_2, { ...rest, announced, payload: documents, payloadLength: documentsLength });
}

async function encryptStream(aes, length, reader, onChunk) {
  const count = chunkCount(length);
  let seen = 0;
  for (let index = 0; index < count; index++) {
    const want = Math.min(CHUNK_SIZE, length - index * CHUNK_SIZE);
    const plain = await reader.read(want);
    seen += plain.length;
    if (plain.length < want) fail('payload_length', `payload declared as ${length} bytes but the reader gave ${seen}`);
    const last = index === count - 1;
    if (last && (await reader.read(1)).length > 0) {
      fail('payload_length', `payload declared as ${length} bytes but the reader gave ${seen + 1} or more`);
    }
    const ct = await subtle.encrypt({ name: 'AES-GCM', iv: chunkNonce(index, last), tagLength: 128 }, aes, plain);
    await onChunk(new Uint8Array(ct));
  }
}

async function sealWith(version, { tenderId, lotId, tendererId, custodians, k, signingKey, announced, payload, payloadLength = null, onChunk, randomness = null }) {
  const length = payloadLength ?? sourceLength(payload);
  if (!Number.isSafeInteger(length) || length < 0) fail('invalid_params', 'cannot seal: payloadLength is required for a stream');
  const known = sourceLength(payload);
  if (known !== null && known !== length) {
    fail('payload_length', `payload declared as ${length} bytes but the source holds ${known}`);
  }
  if (length > MAX_PAYLOAD_LEN) fail('invalid_params', 'cannot seal: payload larger than 1 TiB');
  if (typeof onChunk !== 'function') throw new TypeError('onChunk is required');
  const tenderBytes = checkId('tender_id', tenderId);
  const lotBytes = checkId('lot_id', lotId);
  const tendererBytes = checkId('tenderer_id', tendererId);
  const n = custodians.length;
  if (n < 1 || n > 255) fail('invalid_params', 'cannot seal: a tender has 1 to 255 custodians');
  if (!Number.isInteger(k) || k < 1 || k > n) fail('invalid_params', 'cannot seal: threshold k must be between 1 and the number of custodians');
  for (const c of custodians) await importEcdhPublic(c);
  const fingerprints = await Promise.all(custodians.map(fingerprint));
  const fpHex = fingerprints.map(toHex);
  // Two shares under one key would let one custodian count twice toward k.
  if (new Set(fpHex).size !== n) fail('invalid_params', 'cannot seal: a custodian key appears twice');

  const r = randomness ?? {
    contentKey: randomBytes(32),
    envelopeId: randomBytes(ENVELOPE_ID_LEN),
    coefficients: randomBytes(32 * (k - 1)),
    shareSalts: custodians.map(() => randomBytes(SALT_LEN)),
    ephemeralIkm: null,
  };
  if (r.shareSalts.length !== n || (r.ephemeralIkm && r.ephemeralIkm.length !== n)) {
    fail('invalid_params', 'cannot seal: randomness must hold one salt and one ephemeral seed per custodian');
  }
  const shares = split(r.contentKey, n, k, r.coefficients);

  const v2 = version === VERSION_2;
  const headerLength = PREFIX_LEN + 12 + tenderBytes.length + lotBytes.length + tendererBytes.length
    + ENVELOPE_ID_LEN + 2 + 4 + 8 + (v2 ? 8 + 32 : 0) + n * RECORD_LEN + MAC_LEN + SIGNATURE_LEN;
  const parts = [MAGIC, Uint8Array.of(version), u32be(headerLength), lp(tenderBytes), lp(lotBytes), lp(tendererBytes),
    r.envelopeId, Uint8Array.of(n, k), u32be(CHUNK_SIZE)];
  let announcedAes = null;
  if (v2) {
    const announcedKey = await deriveFromContentKey(r.contentKey, r.envelopeId, LABEL_ANNOUNCED);
    parts.push(u64be(announced.length), u64be(length), await announcedKeyCommitment(r.envelopeId, announcedKey));
    announcedAes = await aesKey(announcedKey);
    announcedKey.fill(0);
  } else {
    parts.push(u64be(length));
  }
  for (let pos = 0; pos < n; pos++) {
    const { x: index, y } = shares[pos];
    const salt = r.shareSalts[pos];
    const info = shareInfo(version, tenderId, lotId, r.envelopeId, index);
    const plain = concat(y, salt);
    const opts = r.ephemeralIkm ? { ikmE: r.ephemeralIkm[pos] } : {};
    const { enc, ct } = await hpkeSeal(custodians[pos], info, new Uint8Array(0), plain, opts);
    plain.fill(0);
    parts.push(Uint8Array.of(index), fingerprints[pos], await shareCommitment(version, r.envelopeId, index, y, salt), enc, ct);
    y.fill(0);
  }
  const unsigned = concat(...parts);
  const macKey = await deriveFromContentKey(r.contentKey, r.envelopeId, LABELS[version].mac);
  const mac = await hmacSha256(macKey, unsigned);
  macKey.fill(0);
  const signedPart = concat(unsigned, mac);
  const signature = new Uint8Array(await subtle.sign(ECDSA_SHA256, signingKey, signatureMessage(version, signedPart)));
  const headerBytes = concat(signedPart, signature);
  if (headerBytes.length !== headerLength) throw new Error('internal: header length mismatch');
  const header = await parseHeader(headerBytes);

  const aes = await payloadCipher(r.contentKey, r.envelopeId, v2 ? LABEL_DOCUMENTS : LABEL_PAYLOAD);
  if (!randomness) {
    r.contentKey.fill(0);
    r.coefficients.fill(0);
  }
  await onChunk(headerBytes);
  if (v2) await encryptStream(announcedAes, announced.length, new ExactReader(announced), onChunk);
  const reader = new ExactReader(payload);
  try {
    await encryptStream(aes, length, reader, onChunk);
  } finally {
    reader.release();
  }
  return {
    header,
    envelopeId: r.envelopeId,
    headerLength,
    bodyLength: header.bodyLength,
    envelopeLength: headerLength + header.bodyLength,
  };
}

/** Magic, version and header length from the first 12 bytes of an envelope. */
export function declaredHeaderLength(prefix) {
  if (prefix.length < MAGIC.length || !bytesEqual(prefix.subarray(0, MAGIC.length), MAGIC)) {
    fail('bad_magic', 'not a sealed bid envelope (bad magic)');
  }
  if (prefix.length < 8) fail('bad_magic', 'not a sealed bid envelope (bad magic)');
  if (prefix[7] !== VERSION && prefix[7] !== VERSION_2) fail('unsupported_version', `sealed envelope version ${prefix[7]} is not supported`);
  if (prefix.length < PREFIX_LEN) fail('header_length', `envelope header declares 0 bytes but ${prefix.length} were given`);
  const declared = new DataView(prefix.buffer, prefix.byteOffset, PREFIX_LEN).getUint32(8);
  if (declared > MAX_HEADER_LEN) invalidField('header_len', 'larger than any v1 or v2 header');
  return declared;
}

/** Strict parse of exactly one header (async: it validates every `enc` point with WebCrypto). */
export async function parseHeader(bytes) {
  const declared = declaredHeaderLength(bytes);
  if (declared !== bytes.length) fail('header_length', `envelope header declares ${declared} bytes but ${bytes.length} were given`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[7];
  const v2 = version === VERSION_2;
  let pos = PREFIX_LEN;
  const take = (len, field) => {
    if (pos + len > bytes.length) invalidField(field, 'runs past the end of the header');
    const out = bytes.slice(pos, pos + len);
    pos += len;
    return out;
  };
  const u8 = (field) => take(1, field)[0];
  const u32 = (field) => { take(4, field); return view.getUint32(pos - 4); };
  const id = (field) => {
    const raw = take(u32(field), field);
    let text;
    try { text = strictUtf8.decode(raw); } catch { invalidField(field, 'not UTF-8'); }
    checkId(field, text);
    return text;
  };
  const tenderId = id('tender_id');
  const lotId = id('lot_id');
  const tendererId = id('tenderer_id');
  const envelopeId = take(ENVELOPE_ID_LEN, 'envelope_id');
  const n = u8('n');
  const k = u8('k');
  if (n === 0) invalidField('n', 'an envelope needs at least one custodian');
  if (k === 0 || k > n) invalidField('k', 'must be between 1 and n');
  if (u32('chunk_size') !== CHUNK_SIZE) invalidField('chunk_size', 'versions 1 and 2 use 65536-byte chunks');
  let announcedLength = null;
  if (v2) {
    take(8, 'announced_len');
    const announcedBig = view.getBigUint64(pos - 8);
    if (announcedBig > BigInt(MAX_ANNOUNCED_LEN)) invalidField('announced_len', 'larger than 1 MiB');
    announcedLength = Number(announcedBig);
  }
  const payloadField = v2 ? 'documents_len' : 'payload_len';
  take(8, payloadField);
  const payloadBig = view.getBigUint64(pos - 8);
  if (payloadBig > BigInt(MAX_PAYLOAD_LEN)) invalidField(payloadField, 'larger than 1 TiB');
  const documentsLength = Number(payloadBig);
  const announcedKeyCommitment = v2 ? take(32, 'announced_key_commitment') : null;
  const custodians = [];
  for (let expected = 1; expected <= n; expected++) {
    const index = u8('custodian.index');
    if (index !== expected) invalidField('custodian.index', 'custodians must be numbered 1..n in order');
    const record = {
      index,
      fingerprint: take(32, 'custodian.fingerprint'),
      commitment: take(32, 'custodian.commitment'),
      enc: take(ENC_LEN, 'custodian.enc'),
      sealedShare: take(SEALED_SHARE_LEN, 'custodian.sealed_share'),
    };
    if (custodians.some((c) => bytesEqual(c.fingerprint, record.fingerprint))) {
      invalidField('custodian.fingerprint', 'the same custodian key appears twice');
    }
    try {
      await importEcdhPublic(record.enc);
    } catch {
      invalidField('custodian.enc', 'not an uncompressed P-256 point');
    }
    custodians.push(record);
  }
  const mac = take(MAC_LEN, 'mac');
  const signature = take(SIGNATURE_LEN, 'signature');
  if (pos !== bytes.length) invalidField('signature', 'bytes follow the signature');
  // v1: payloadLength is the one payload; v2: announced + documents plaintext together.
  const announcedSegmentLength = v2 ? bodyLength(announcedLength) : null;
  const body = (v2 ? announcedSegmentLength : 0) + bodyLength(documentsLength);
  return Object.freeze({
    bytes: bytes.slice(), version, tenderId, lotId, tendererId, envelopeId, n, k, chunkSize: CHUNK_SIZE,
    payloadLength: documentsLength + (announcedLength ?? 0), announcedLength, documentsLength, announcedKeyCommitment,
    announcedSegmentLength, custodians, mac, signature, headerLength: bytes.length,
    bodyLength: body, envelopeLength: bytes.length + body,
  });
}

/** Reads the header from the front of an envelope source; returns it and a reader for the body. */
export async function readHeader(source) {
  const reader = new ExactReader(source);
  const prefix = await reader.read(PREFIX_LEN);
  const declared = declaredHeaderLength(prefix);
  if (declared < PREFIX_LEN) fail('header_length', `envelope header declares ${declared} bytes but ${PREFIX_LEN} were given`);
  const rest = await reader.read(declared - PREFIX_LEN);
  if (rest.length < declared - PREFIX_LEN) {
    fail('header_length', `envelope header declares ${declared} bytes but ${PREFIX_LEN + rest.length} were given`);
  }
  return { header: await parseHeader(concat(prefix, rest)), body: reader };
}

/** Checks the tenderer's ECDSA P-256 / SHA-256 signature (64-byte r ‖ s) over the header. */
export async function verifyHeaderSignature(header, tendererPublicKey) {
  const key = await importVerifyKey(tendererPublicKey);
  const signed = header.bytes.subarray(0, header.bytes.length - SIGNATURE_LEN);
  if (!(await subtle.verify(ECDSA_SHA256, key, header.signature, signatureMessage(header.version, signed)))) {
    fail('bad_signature', "envelope header is not signed by this tenderer's key");
  }
}

/** The server's upload check: sealed for exactly this tender, lot, tenderer, k and custodians. */
export async function checkSealedFor(header, { tenderId, lotId, tendererId, custodians, k }) {
  const notFor = (field) => fail('not_sealed_for', `the envelope was not sealed for this tender: \`${field}\` differs`, TENDERER);
  if (header.tenderId !== tenderId) notFor('tender_id');
  if (header.lotId !== lotId) notFor('lot_id');
  if (header.tendererId !== tendererId) notFor('tenderer_id');
  if (header.k !== k) notFor('k');
  if (header.n !== custodians.length) notFor('n');
  for (const [pos, c] of custodians.entries()) {
    if (!bytesEqual(await fingerprint(c), header.custodians[pos].fingerprint)) {
      const index = pos + 1;
      fail('custodian_key_not_registered', `custodian ${index}'s key in the header is not the tender's registered key for custodian ${index}`, TENDERER);
    }
  }
}

function recordOf(header, index) {
  const record = header.custodians[index - 1];
  if (!Number.isInteger(index) || !record) fail('no_such_custodian', `the envelope has no custodian ${index}`);
  return record;
}

/**
 * The custodian's side of the opening. `custodian` is {privateKey: CryptoKey, publicKey: raw}
 * as returned by generateCustodianKey, importCustodianKeyFile or restoreCustodianBackup (which
 * check that the two belong together; the fault attribution below relies on it).
 * Once the key is shown to be the one the header names, a failure can only come from what the
 * tenderer sealed (provable by disclosing the per-tender key after the opening).
 */
export async function openShare(header, index, custodian) {
  const record = recordOf(header, index);
  if (!bytesEqual(await fingerprint(custodian.publicKey), record.fingerprint)) {
    fail('wrong_custodian_key', `custodian ${index} used a key that is not the one the envelope was sealed to`, custodianFault(index));
  }
  const info = shareInfo(header.version, header.tenderId, header.lotId, header.envelopeId, index);
  let plain;
  try {
    plain = await hpkeOpen(custodian, record.enc, info, new Uint8Array(0), record.sealedShare);
  } catch {
    fail('share_undecryptable', `the share sealed to custodian ${index} cannot be decrypted with the key it names`, TENDERER);
  }
  if (plain.length !== 64) fail('share_undecryptable', `the share sealed to custodian ${index} cannot be decrypted with the key it names`, TENDERER);
  const released = { index, share: plain.slice(0, 32), salt: plain.slice(32) };
  plain.fill(0);
  const commitment = await shareCommitment(header.version, header.envelopeId, index, released.share, released.salt);
  if (!bytesEqual(commitment, record.commitment)) {
    fail('share_not_committed', `the share sealed to custodian ${index} does not match the tenderer's own commitment`, TENDERER);
  }
  return released;
}

/** The server's check of a released share against custodian `index`'s commitment. */
export async function checkReleasedShare(header, index, released) {
  const record = recordOf(header, index);
  const ok = released.index === index
    && released.share?.length === 32 && released.salt?.length === 32
    && bytesEqual(await shareCommitment(header.version, header.envelopeId, index, released.share, released.salt), record.commitment);
  if (!ok) fail('share_mismatch', `share released by custodian ${index} does not match its commitment in the header`, custodianFault(index));
}

/** The rebuilt content key; never printed, wiped with `wipe()`. */
export class ContentKey {
  #bytes;
  constructor(bytes) {
    this.#bytes = bytes;
  }
  exposeSecret() {
    return this.#bytes;
  }
  wipe() {
    this.#bytes.fill(0);
  }
  toString() {
    return 'ContentKey([redacted])';
  }
  toJSON() {
    return '[redacted]';
  }
  [Symbol.for('nodejs.util.inspect.custom')]() {
    return 'ContentKey([redacted])';
  }
}

/** Rebuilds the content key from ≥ k released shares (each checked) and checks the header MAC. */
export async function rebuildKey(header, releasedShares) {
  const sorted = [...releasedShares].sort((a, b) => a.index - b.index);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].index === sorted[i - 1].index) fail('duplicate_share', `share of custodian ${sorted[i].index} was given more than once`);
  }
  for (const s of sorted) await checkReleasedShare(header, s.index, s);
  if (sorted.length < header.k) fail('not_enough_shares', `only ${sorted.length} valid shares released; the envelope needs ${header.k}`);
  const ck = combine(sorted.map((s) => ({ x: s.index, y: s.share })));
  if (!(await macMatches(header, ck))) {
    ck.fill(0);
    fail('header_mac', 'all released shares match their commitments but the header MAC fails: the tenderer sealed an inconsistent envelope', TENDERER);
  }
  return new ContentKey(ck);
}

async function decryptStream(aes, length, reader, onPlaintext) {
  const count = chunkCount(length);
  let written = 0;
  for (let index = 0; index < count; index++) {
    const want = Math.min(CHUNK_SIZE, length - index * CHUNK_SIZE) + TAG_LEN;
    const ct = await reader.read(want);
    if (ct.length < want) fail('payload_truncated', `payload ends inside chunk ${index}: the ciphertext is truncated`, TENDERER);
    let plain;
    try {
      plain = new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv: chunkNonce(index, index === count - 1), tagLength: 128 }, aes, ct));
    } catch {
      fail('chunk_corrupt', `payload chunk ${index} fails authentication (corrupt, reordered, duplicated or dropped chunk)`, TENDERER);
    }
    await onPlaintext(plain);
    written += plain.length;
  }
  return written;
}

async function requireEnd(reader) {
  if ((await reader.read(1)).length > 0) fail('trailing_ciphertext', 'ciphertext continues after the last payload chunk', TENDERER);
}

function wrongVersion(header, reason) {
  fail('wrong_version', `a version ${header.version} envelope ${reason}`);
}

/**
 * Decrypts a v1 body (bytes after the header; Uint8Array, Blob, ReadableStream or the `body`
 * reader from readHeader), calling `onPlaintext(bytes)` per verified chunk. Discard everything
 * received if this throws. Returns the payload length.
 */
export async function openPayload(header, contentKey, body, onPlaintext) {
  if (header.version !== VERSION) wrongVersion(header, 'has two segments: open them with openAnnounced and openDocuments');
  const ck = contentKey.exposeSecret();
  if (!(await macMatches(header, ck))) fail('key_does_not_match_header', 'this content key does not belong to this envelope');
  const aes = await payloadCipher(ck, header.envelopeId);
  const reader = body instanceof ExactReader ? body : new ExactReader(body);
  try {
    const written = await decryptStream(aes, header.payloadLength, reader, onPlaintext);
    await requireEnd(reader);
    return written;
  } finally {
    reader.release();
  }
}

/**
 * The hall's step after `rebuildKey` on a v2 envelope: the announced key derived from CK, checked
 * against the tenderer's commitment (a mismatch is the tenderer's: CK passed the MAC, which covers
 * the commitment). Returns the 32 raw bytes.
 */
export async function deriveAnnouncedKey(header, contentKey) {
  if (header.version !== VERSION_2) wrongVersion(header, 'has no announced key');
  const ck = contentKey.exposeSecret();
  if (!(await macMatches(header, ck))) fail('key_does_not_match_header', 'this content key does not belong to this envelope');
  const key = await deriveFromContentKey(ck, header.envelopeId, LABEL_ANNOUNCED);
  if (!bytesEqual(await announcedKeyCommitment(header.envelopeId, key), header.announcedKeyCommitment)) {
    fail('announced_key_not_committed', "the announced key derived from the content key does not match the tenderer's commitment in the header", TENDERER);
  }
  return key;
}

/** Anyone's check of a published announced key (32 bytes) against the signed header's commitment. */
export async function checkAnnouncedKey(header, announcedKey) {
  if (header.version !== VERSION_2) wrongVersion(header, 'has no announced key');
  const ok = announcedKey instanceof Uint8Array && announcedKey.length === 32
    && bytesEqual(await announcedKeyCommitment(header.envelopeId, announcedKey), header.announcedKeyCommitment);
  if (!ok) fail('announced_key_mismatch', 'this announced key is not the one the tenderer committed to in the envelope header');
}

/**
 * Decrypts a v2 envelope's announced segment (bid.json) with a published key, after checking it
 * against the header's commitment. `body` is the bytes after the header (or readHeader's reader,
 * which is then left at the documents segment). Returns bid.json's bytes.
 */
export async function openAnnounced(header, announcedKey, body) {
  await checkAnnouncedKey(header, announcedKey);
  const aes = await aesKey(announcedKey);
  const reader = body instanceof ExactReader ? body : new ExactReader(body);
  const out = [];
  try {
    await decryptStream(aes, header.announcedLength, reader, (p) => { out.push(p); });
  } finally {
    if (reader !== body) reader.release();
  }
  return concat(...out);
}

/**
 * Decrypts a v2 envelope's documents segment — the bytes after the announced segment (or the
 * reader openAnnounced left there) — with the documents key derived from CK; needs the content key.
 */
export async function openDocuments(header, contentKey, rest, onPlaintext) {
  if (header.version !== VERSION_2) wrongVersion(header, 'has no documents segment');
  const ck = contentKey.exposeSecret();
  if (!(await macMatches(header, ck))) fail('key_does_not_match_header', 'this content key does not belong to this envelope');
  const aes = await payloadCipher(ck, header.envelopeId, LABEL_DOCUMENTS);
  const reader = rest instanceof ExactReader ? rest : new ExactReader(rest);
  try {
    const written = await decryptStream(aes, header.documentsLength, reader, onPlaintext);
    await requireEnd(reader);
    return written;
  } finally {
    reader.release();
  }
}

// ---- Bid archive (minimal ustar) ------------------------------------------------------------

export const BID_JSON = 'bid.json';
const BLOCK = 512;
const MAX_TAR_FILE = 0o77777777777;

export function validateTarName(name) {
  const bytes = utf8.encode(name);
  const bad = (why) => fail('invalid_name', `file name ${JSON.stringify(name)} is not allowed in a bid archive: ${why}`);
  if (bytes.length < 1 || bytes.length > 100) bad('must be 1 to 100 bytes of UTF-8');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\\]/.test(name)) bad('control characters and backslashes are not allowed');
  if (name.split('/').some((p) => p === '' || p === '.' || p === '..')) bad("must be a relative path without empty, '.' or '..' parts");
  return bytes;
}

const tarPadding = (size) => (BLOCK - (size % BLOCK)) % BLOCK;

/** Exact archive length for files of these sizes (the sealed header states it up front). */
export function tarLength(sizes) {
  return sizes.reduce((sum, s) => sum + BLOCK + s + tarPadding(s), 0) + 2 * BLOCK;
}

function octal(field, value, width) {
  const text = value.toString(8).padStart(width - 1, '0');
  field.set(utf8.encode(text), 0);
  field[width - 1] = 0;
}

function tarHeader(nameBytes, size) {
  const h = new Uint8Array(BLOCK);
  h.set(nameBytes, 0);
  octal(h.subarray(100, 108), 0o644, 8);
  octal(h.subarray(108, 116), 0, 8);
  octal(h.subarray(116, 124), 0, 8);
  octal(h.subarray(124, 136), size, 12);
  octal(h.subarray(136, 148), 0, 12);
  h[156] = 0x30;
  h.set(utf8.encode('ustar\0'), 257);
  h.set(utf8.encode('00'), 263);
  octal(h.subarray(329, 337), 0, 8);
  octal(h.subarray(337, 345), 0, 8);
  h.fill(0x20, 148, 156);
  const sum = h.reduce((a, b) => a + b, 0);
  h.set(utf8.encode(sum.toString(8).padStart(6, '0') + '\0 '), 148);
  return h;
}

/**
 * The bid archive as a Blob: `bid.json` first, then attachments ({name, data: Uint8Array|Blob});
 * with `{documents: true}` a v2 documents archive (attachments only, possibly none).
 * File parts stay lazy Blob references, so attachments are never copied into memory.
 */
export function tarArchive(files, { documents = false } = {}) {
  if (!documents && (files.length === 0 || files[0].name !== BID_JSON)) fail('bid_json_not_first', 'the first file of a bid archive must be bid.json');
  const names = new Set();
  const parts = [];
  for (const { name, data } of files) {
    const nameBytes = validateTarName(name);
    if (names.has(name)) fail('duplicate_name', `file ${JSON.stringify(name)} appears twice in the bid archive`);
    names.add(name);
    const size = data instanceof Uint8Array ? data.length : data.size;
    if (size > MAX_TAR_FILE) fail('too_large', 'file is larger than a ustar archive can hold');
    parts.push(tarHeader(nameBytes, size), data, new Uint8Array(tarPadding(size)));
  }
  parts.push(new Uint8Array(2 * BLOCK));
  return new Blob(parts);
}

function parseOctal(field) {
  let i = 0;
  let value = 0;
  while (i < field.length && field[i] >= 0x30 && field[i] <= 0x37) value = value * 8 + (field[i++] - 0x30);
  if (i === 0 || field.subarray(i).some((b) => b !== 0 && b !== 0x20)) fail('bad_header', 'bad tar header: numeric field is not octal');
  return value;
}

/**
 * Reads a decrypted bid archive into [{name, data}], enforcing the same rules as the writer
 * (`{documents: true}`: a v2 documents archive, without the bid.json rule).
 */
export function readTar(bytes, { documents = false } = {}) {
  const out = [];
  let pos = 0;
  for (;;) {
    if (pos + BLOCK > bytes.length) fail('truncated', 'the archive ends early');
    const h = bytes.subarray(pos, pos + BLOCK);
    pos += BLOCK;
    if (h.every((b) => b === 0)) {
      if (pos + BLOCK > bytes.length) fail('truncated', 'the archive ends early');
      if (bytes.subarray(pos, pos + BLOCK).some((b) => b !== 0) || pos + BLOCK !== bytes.length) {
        fail('unexpected_data', 'data after the end of the archive or in padding');
      }
      if (!documents && out.length === 0) fail('bid_json_not_first', 'the first file of a bid archive must be bid.json');
      return out;
    }
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
    if (parseOctal(h.subarray(148, 156)) !== sum) fail('checksum', 'tar header checksum does not match');
    if (strictUtf8.decode(h.subarray(257, 265)) !== 'ustar\u000000') fail('bad_header', 'bad tar header: not a POSIX ustar header');
    if (h[156] !== 0x30 && h[156] !== 0) fail('bad_header', 'bad tar header: only regular files are allowed');
    if (h.subarray(345, 500).some((b) => b !== 0)) fail('bad_header', 'bad tar header: name prefix is not allowed');
    let nameEnd = h.subarray(0, 100).indexOf(0);
    if (nameEnd < 0) nameEnd = 100;
    let name;
    try { name = strictUtf8.decode(h.subarray(0, nameEnd)); } catch { fail('bad_header', 'bad tar header: file name is not UTF-8'); }
    validateTarName(name);
    if (!documents && out.length === 0 && name !== BID_JSON) fail('bid_json_not_first', 'the first file of a bid archive must be bid.json');
    if (out.some((f) => f.name === name)) fail('duplicate_name', `file ${JSON.stringify(name)} appears twice in the bid archive`);
    const size = parseOctal(h.subarray(124, 136));
    if (pos + size + tarPadding(size) > bytes.length) fail('truncated', 'the archive ends early');
    out.push({ name, data: bytes.slice(pos, pos + size) });
    if (bytes.subarray(pos + size, pos + size + tarPadding(size)).some((b) => b !== 0)) {
      fail('unexpected_data', 'data after the end of the archive or in padding');
    }
    pos += size + tarPadding(size);
  }
}

// ---- The custodian's checks before releasing (docs/bid-box.md, "What a custodian checks") -------
// A custodian receives headers only, from the hall. It releases a share only for a header that the
// hall's signed log lists as counted for that bid, that its tenderer signed, and that was sealed
// for this tender. Nothing here fetches: the page passes in what it fetched.

/**
 * Every refusal code, who is at fault and what the page says (Chinese). `hall` means the hall's
 * operator; `custodian` this custodian's own key.
 */
export const CUSTODIAN_REFUSALS = Object.freeze({
  box_not_closed: { party: null, zh: '日志中尚无本项目的截标记录，无法确认哪些投标有效；请稍后再试' },
  closing_not_proven: { party: 'hall', zh: '截标记录未能以日志签名检查点和包含证明验证' },
  closing_malformed: { party: 'hall', zh: '日志中的截标记录格式不对或与本项目不符' },
  log_unavailable: { party: 'hall', zh: '无法读取审计日志' },
  wrong_custodian_key: { party: 'custodian', zh: '本浏览器中的密钥不是本项目登记的该保管人密钥' },
  not_counted: { party: 'hall', zh: '平台提供的投标文件头不在日志记录的有效投标清单中' },
  header_not_logged: { party: 'hall', zh: '平台提供的投标文件头与日志记录的不一致（可能是被替换、撤回或篡改的投标文件），不是投标人的责任' },
  bad_header: { party: 'hall', zh: '日志记录的投标文件头格式错误，平台本应在上传时拒收' },
  no_tenderer_key: { party: 'hall', zh: '平台未提供投标人的签名公钥' },
  bad_signature: { party: 'hall', zh: '投标文件头的签名与投标人登记的任何签名密钥都不符，无法证明出自投标人，平台本应在上传时拒收' },
  not_sealed_for: { party: 'tenderer', zh: '投标人签名的文件头不是为本项目、标段、门限或保管人密钥密封的' },
  custodian_key_not_registered: { party: 'tenderer', zh: '投标人把份额密封给了非本项目登记的保管人密钥' },
  share_undecryptable: { party: 'tenderer', zh: '密封给本保管人的份额无法解密' },
  share_not_committed: { party: 'tenderer', zh: '密封给本保管人的份额与投标人自己的承诺不符' },
  not_served: { party: 'hall', zh: '日志记录的有效投标中，平台未提供这一份的文件头' },
});

const HALL = Object.freeze({ party: 'hall' });

function refuse(code, message, fault) {
  throw new SealboxError(code, message, fault === undefined ? (CUSTODIAN_REFUSALS[code]?.party ? { party: CUSTODIAN_REFUSALS[code].party } : null) : fault);
}

/**
 * Checks the tender's closing from log receipts (`GET /api/log/receipts/{index}`: `{index,
 * entry_b64, tree_size, inclusion, checkpoint}`): `closing` the `box_closed` entry's, `parts` those
 * of the `box_closed_envelopes` entries it names, in order. Each must be included under a
 * checkpoint signed by `verifierKey` (the log's C2SP verifier key text). Resolves to a Map from bid
 * id to `{n, bid_id, lot_id, commitment, envelope_sha256, header_sha256}`.
 */
export async function verifyClosing({ tenderId, verifierKey, closing, parts }) {
  const log = await import('./app/auditlog.js');
  const key = await log.parseVerifierKey(verifierKey).catch((e) => refuse('closing_not_proven', `the log key is not usable: ${e.code || e.message}`));
  const proven = async (receipt) => {
    try {
      const cp = log.parseCheckpoint(receipt.checkpoint);
      await log.verifyNoteSignature(cp, key);
      if (cp.size !== receipt.tree_size) throw new Error('size');
      const entry = log.base64ToBytes(receipt.entry_b64);
      await log.verifyInclusion(await log.leafHash(entry), receipt.index, cp.size, log.proofFromBase64(receipt.inclusion), cp.root);
      return JSON.parse(new TextDecoder().decode(entry));
    } catch (e) {
      return refuse('closing_not_proven', `log entry ${receipt?.index} is not proven in the log signed by the log key (${e.code || e.message})`);
    }
  };
  const malformed = (what) => refuse('closing_malformed', `the closing of tender ${tenderId} in the log is malformed: ${what}`);
  const entry = await proven(closing);
  if (entry.type !== 'box_closed' || entry.tender !== tenderId) malformed("it is not this tender's box_closed entry");
  const lists = entry.payload?.envelope_lists;
  if (!Array.isArray(lists) || lists.length !== parts.length) malformed('its envelope lists are not the ones given');
  const listed = [];
  for (const [p, receipt] of parts.entries()) {
    const part = await proven(receipt);
    if (receipt.index !== lists[p] || part.type !== 'box_closed_envelopes' || part.tender !== tenderId
      || part.payload?.part !== p + 1 || part.payload?.parts !== lists.length || !Array.isArray(part.payload?.envelopes)) {
      malformed(`entry ${receipt.index} is not its list part ${p + 1}`);
    }
    listed.push(...part.payload.envelopes);
  }
  const counted = new Map(listed.map((e) => [e.bid_id, e]));
  if (listed.length !== entry.payload.bids || counted.size !== listed.length || listed.some((e, i) => e.n !== i + 1)) {
    malformed('its lists do not number the counted bids 1..n once each');
  }
  return counted;
}

/**
 * One served header (`{bid_id, header: bytes, tenderer_id, tenderer_keys: [raw SEC1]}`) checked
 * against the logged list `counted` (from verifyClosing) and the tender (`{tenderId, k, custodians:
 * [raw keys, custodian 1 first]}`), then this custodian's share opened. Resolves to the released
 * share, or rejects with a SealboxError whose `code` is in CUSTODIAN_REFUSALS and whose `fault`
 * names the party: a header other than the logged one is the hall's, never the tenderer's.
 */
export async function checkBeforeRelease({ tenderId, k, custodians, index, counted, item, custodianKey }) {
  const bid = item.bid_id;
  const listed = counted.get(bid);
  if (!listed) refuse('not_counted', `the hall served a header for bid ${bid}, which the logged closing list does not count`);
  const sha = toHex(await sha256(item.header));
  if (sha !== listed.header_sha256) {
    refuse('header_not_logged', `the header served for bid ${bid} (SHA-256 ${sha}) is not the one the closing list logs for it (${listed.header_sha256})`);
  }
  let header;
  try {
    header = await parseHeader(item.header);
  } catch (e) {
    refuse('bad_header', `the header logged for bid ${bid} is not a valid envelope header (${e.code})`);
  }
  if (!item.tenderer_keys?.length) refuse('no_tenderer_key', `the hall served no signing key of tenderer ${item.tenderer_id}`);
  let signed = false;
  for (const key of item.tenderer_keys) {
    try {
      await verifyHeaderSignature(header, key);
      signed = true;
      break;
    } catch { /* the next key */ }
  }
  if (!signed) refuse('bad_signature', `the header logged for bid ${bid} is not signed by any registered key of tenderer ${item.tenderer_id}`);
  try {
    await checkSealedFor(header, { tenderId, lotId: listed.lot_id, tendererId: item.tenderer_id, custodians, k });
  } catch (e) {
    // Signed by the tenderer for another tender, lot or tenderer: the hall listed it here.
    const elsewhere = e.code === 'not_sealed_for' && /`(tender_id|lot_id|tenderer_id)`/.test(e.message);
    refuse(e.code, `bid ${bid}: ${e.message}`, elsewhere ? HALL : e.fault);
  }
  return openShare(header, index, custodianKey);
}
