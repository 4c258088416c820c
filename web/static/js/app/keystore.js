// This browser's keys for the bid box, in IndexedDB: the organisation's ECDSA signing key and the
// per-tender custodian keys. Private keys are non-extractable CryptoKeys: they are used here and
// never leave the browser (a custodian's only copy outside is its optional passphrase backup).

import { api } from './api.js';
import { bytesToBase64, bytesToHex, signingKeyMessage } from './bidbox.js';

const DB_NAME = 'bidhall-keys';
const STORE = 'keys';
const ECDSA = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGN = { name: 'ECDSA', hash: 'SHA-256' };

let db = null;

function open() {
  db ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return db;
}

async function run(mode, work) {
  const conn = await open();
  return new Promise((resolve, reject) => {
    const tx = conn.transaction(STORE, mode);
    const req = work(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(req.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

const get = (key) => run('readonly', (s) => s.get(key));
const put = (key, value) => run('readwrite', (s) => s.put(value, key));

const signingSlot = (orgId) => `signing:${orgId}`;
const custodianSlot = (tenderId, index) => `custodian:${tenderId}:${index}`;

/** {privateKey, publicKey, fingerprint} of this custodian key, or null. */
export function loadCustodianKey(tenderId, index) {
  return get(custodianSlot(tenderId, index)).then((v) => v ?? null);
}

/** Keeps a custodian key ({privateKey: non-extractable CryptoKey, publicKey: raw bytes}). */
export function saveCustodianKey(tenderId, index, key) {
  return put(custodianSlot(tenderId, index), {
    privateKey: key.privateKey,
    publicKey: key.publicKey,
    fingerprint: typeof key.fingerprint === 'string' ? key.fingerprint : bytesToHex(key.fingerprint),
    createdAt: new Date().toISOString(),
  });
}

/** This browser's signing key for the organisation, or null. */
export function loadSigningKey(orgId) {
  return get(signingSlot(orgId)).then((v) => v ?? null);
}

/** Base64 of a 64-byte r ‖ s ECDSA P-256 SHA-256 signature. */
export async function sign(privateKey, message) {
  return bytesToBase64(new Uint8Array(await crypto.subtle.sign(SIGN, privateKey, message)));
}

async function fingerprintHex(publicKey) {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', publicKey)));
}

/**
 * The organisation's signing key in this browser, registered with the hall: made here (private
 * part non-extractable) if this browser has none, registered (`POST /api/keys`) if the hall does
 * not list it. Resolves to `{ok, key, created, registered, error}`.
 */
export async function ensureSigningKey(orgId, label) {
  let stored = await loadSigningKey(orgId);
  let created = false;
  if (!stored) {
    const pair = await crypto.subtle.generateKey(ECDSA, false, ['sign', 'verify']);
    const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
    stored = { privateKey: pair.privateKey, publicKey, fingerprint: await fingerprintHex(publicKey), createdAt: new Date().toISOString() };
    await put(signingSlot(orgId), stored);
    created = true;
  }
  const listed = await api('GET', '/api/keys');
  if (!listed.ok) return { ok: false, key: stored, created, registered: false, error: listed.error };
  if (Array.isArray(listed.data) && listed.data.some((k) => k.fingerprint === stored.fingerprint)) {
    return { ok: true, key: stored, created, registered: false, error: null };
  }
  const b64 = bytesToBase64(stored.publicKey);
  const proof = await sign(stored.privateKey, signingKeyMessage(orgId, b64));
  const res = await api('POST', '/api/keys', { label, public_key: b64, proof });
  if (!res.ok) return { ok: false, key: stored, created, registered: false, error: res.error };
  return { ok: true, key: stored, created, registered: true, error: null };
}

/** Whether this browser holds a signing key for the organisation that the hall lists. */
export async function signingKeyState(orgId) {
  const stored = await loadSigningKey(orgId);
  if (!stored) return { stored: false, registered: false, fingerprint: null };
  const listed = await api('GET', '/api/keys');
  const registered = listed.ok && Array.isArray(listed.data) && listed.data.some((k) => k.fingerprint === stored.fingerprint);
  return { stored: true, registered, fingerprint: stored.fingerprint };
}
