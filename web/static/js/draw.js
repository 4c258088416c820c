// bidhall-draw/1 in the browser: pool lines, commitments, the seed, the HMAC word stream, uniform,
// the partial Fisher–Yates and a transcript verifier that names the first step that differs.
// Written from docs/draw.md, independently of the Rust code; it must never use Math.random, a
// library shuffle or anything but WebCrypto (globalThis.crypto.subtle) for hashing.

export const ALGORITHM = 'bidhall-draw/1';
export const COMMIT_DOMAIN = 'bidhall-draw/1/commit';
export const MEMBER_DOMAIN = 'bidhall-draw/1/pool-member';
export const SECRET_LEN = 32;

const TWO_64 = 1n << 64n;
const encoder = new TextEncoder();

/** An error at a named verification step (the same step names as the Rust verifier). */
export class DrawError extends Error {
  constructor(step, message) {
    super(message);
    this.name = 'DrawError';
    this.step = step;
  }
}

function fail(step, message) {
  throw new DrawError(step, message);
}

function subtle() {
  const s = globalThis.crypto && globalThis.crypto.subtle;
  if (!s) throw new Error('WebCrypto (crypto.subtle) is not available here');
  return s;
}

export function utf8(text) {
  return encoder.encode(text);
}

/** Bytewise comparison; ids are ordered by their UTF-8 bytes, not by JS's UTF-16 string order. */
export function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) {
    if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

function compareIds(a, b) {
  return compareBytes(utf8(a), utf8(b));
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u32be(n) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, false);
  return out;
}

/** lp(x) = u32be(len(x)) ‖ x */
function lp(bytes) {
  if (bytes.length > 0xffffffff) fail('malformed_transcript', 'a field is longer than a u32 length prefix allows');
  return concat([u32be(bytes.length), bytes]);
}

export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Lower-case, even-length, non-empty hex only (one spelling per value). */
export function hexToBytes(text, field = 'value') {
  if (typeof text !== 'string' || !/^(?:[0-9a-f]{2})+$/.test(text)) {
    fail('malformed_hex', `${field} is not lower-case hexadecimal`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let k = 0; k < out.length; k++) out[k] = parseInt(text.slice(2 * k, 2 * k + 2), 16);
  return out;
}

function fixedHex(text, field) {
  const bytes = hexToBytes(text, field);
  if (bytes.length !== SECRET_LEN) {
    fail('wrong_length', `${field} is ${bytes.length} bytes, expected ${SECRET_LEN}`);
  }
  return bytes;
}

function bytesEqual(a, b) {
  return compareBytes(a, b) === 0;
}

export async function sha256(bytes) {
  return new Uint8Array(await subtle().digest('SHA-256', bytes));
}

async function hmacKey(keyBytes) {
  return subtle().importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

export async function hmacSha256(keyBytes, message) {
  return new Uint8Array(await subtle().sign('HMAC', await hmacKey(keyBytes), message));
}

// ---- the pool ----

/** Checks the candidates and returns them NFC-normalised in line order (bytewise by id). */
export function canonicalPool(candidates) {
  const checked = [];
  for (const c of candidates) {
    if (c.id === '') fail('pool_invalid', 'a candidate has an empty id');
    if (/[\t\n]/.test(c.id)) fail('pool_invalid', `candidate ${JSON.stringify(c.id)}: its id contains a tab or a line feed`);
    if (/[\t\n]/.test(c.name)) fail('pool_invalid', `candidate ${JSON.stringify(c.id)}: its display name contains a tab or a line feed`);
    checked.push({ id: c.id, name: c.name.normalize('NFC'), key: utf8(c.id) });
  }
  checked.sort((a, b) => compareBytes(a.key, b.key));
  for (let k = 1; k < checked.length; k++) {
    if (bytesEqual(checked[k - 1].key, checked[k].key)) {
      fail('pool_invalid', `candidate id ${JSON.stringify(checked[k].id)} appears more than once in the pool`);
    }
  }
  return checked.map(({ id, name }) => ({ id, name }));
}

/** The canonical pool bytes: id ‖ TAB ‖ NFC(name) ‖ LF per candidate, sorted by id bytewise. */
export function poolLines(candidates) {
  return utf8(canonicalPool(candidates).map((c) => `${c.id}\t${c.name}\n`).join(''));
}

export async function poolHash(candidates) {
  return sha256(poolLines(candidates));
}

// ---- sealed pools (expert draws: names secret until the result is determined) ----

/** c_i = SHA-256(lp("bidhall-draw/1/pool-member") ‖ lp(draw id) ‖ lp(id) ‖ lp(NFC(name)) ‖ salt_i) */
export async function memberCommitment(drawId, id, name, salt) {
  if (!(salt instanceof Uint8Array) || salt.length !== SECRET_LEN) {
    fail('wrong_length', `a member's salt must be exactly ${SECRET_LEN} bytes`);
  }
  return sha256(concat([lp(utf8(MEMBER_DOMAIN)), lp(utf8(drawId)), lp(utf8(id)), lp(utf8(name.normalize('NFC'))), salt]));
}

/** The sealed pool's bytes: decimal(i) ‖ TAB ‖ "sealed" ‖ TAB ‖ hex(c_i) ‖ LF for i = 1 … N. */
export function sealedLines(commitments) {
  return utf8(commitments.map((c, k) => `${k + 1}\tsealed\t${typeof c === 'string' ? c : bytesToHex(c)}\n`).join(''));
}

export async function sealedPoolHash(commitments) {
  return sha256(sealedLines(commitments));
}

// ---- commitments and the seed ----

/** c_j = SHA-256(lp("bidhall-draw/1/commit") ‖ lp(draw id) ‖ lp(party id) ‖ r_j) */
export async function commitment(drawId, partyId, r) {
  if (!(r instanceof Uint8Array) || r.length !== SECRET_LEN) {
    fail('wrong_length', `r of party ${JSON.stringify(partyId)} must be exactly ${SECRET_LEN} bytes`);
  }
  return sha256(concat([lp(utf8(COMMIT_DOMAIN)), lp(utf8(drawId)), lp(utf8(partyId)), r]));
}

/**
 * seed = HMAC-SHA256(key = lp("bidhall-draw/1") ‖ lp(draw id),
 *                    message = lp(pool_hash) ‖ u32be(P) ‖ (lp(party) ‖ lp(c) ‖ lp(r))* ‖ lp(beacon))
 * reveals: [{ party, commitment: Uint8Array, r: Uint8Array }] in any order; beacon: Uint8Array or null.
 */
export async function seed({ drawId, poolHash: hash, reveals, beacon = null }) {
  const sorted = [...reveals].sort((a, b) => compareIds(a.party, b.party));
  for (let k = 1; k < sorted.length; k++) {
    if (sorted[k - 1].party === sorted[k].party) {
      fail('duplicate_party', `party ${JSON.stringify(sorted[k].party)} contributes more than once`);
    }
  }
  const salt = concat([lp(utf8(ALGORITHM)), lp(utf8(drawId))]);
  const parts = [lp(hash), u32be(sorted.length)];
  for (const rv of sorted) parts.push(lp(utf8(rv.party)), lp(rv.commitment), lp(rv.r));
  parts.push(lp(beacon || new Uint8Array(0)));
  return hmacSha256(salt, concat(parts));
}

// ---- the stream, uniform and the shuffle ----

/** block_i = HMAC-SHA256(seed, "drbg" ‖ u64be(i)), four big-endian u64 words each, never reused. */
export class Stream {
  #key;
  #block = 0n;
  #words = [];

  constructor(key) {
    this.#key = key;
  }

  static async create(seedBytes) {
    return new Stream(await hmacKey(seedBytes));
  }

  async nextWord() {
    if (this.#words.length === 0) {
      const msg = new Uint8Array(12);
      msg.set(utf8('drbg'), 0);
      new DataView(msg.buffer).setBigUint64(4, this.#block, false);
      this.#block += 1n;
      const tag = new DataView(await subtle().sign('HMAC', this.#key, msg));
      for (let k = 0; k < 4; k++) this.#words.push(tag.getBigUint64(8 * k, false));
    }
    return this.#words.shift();
  }
}

/** Uniform BigInt in [0, m): reject x ≥ 2^64 − (2^64 mod m), then x mod m. */
export async function uniform(stream, m) {
  const mm = BigInt(m);
  if (mm < 1n || mm >= TWO_64) throw new RangeError('uniform(m) needs 1 <= m < 2^64');
  const limit = TWO_64 - (TWO_64 % mm);
  for (;;) {
    const x = await stream.nextWord();
    if (x < limit) return x % mm;
  }
}

/** Partial Fisher–Yates: for i < s + r, j = i + uniform(N − i), swap a[i], a[j]. */
export async function shuffle(items, select, reserves, stream) {
  if (select < 1) fail('nothing_to_select', 'a draw must select at least one candidate');
  const needed = select + reserves;
  if (needed > items.length) {
    fail('pool_too_small', `the pool has ${items.length} candidates but the draw needs ${needed} (selected plus reserves)`);
  }
  const a = items.slice();
  for (let i = 0; i < needed; i++) {
    const j = i + Number(await uniform(stream, BigInt(a.length - i)));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return { selected: a.slice(0, select), reserves: a.slice(select, needed) };
}

// ---- RFC 8785 ----

/** RFC 8785 canonical JSON: JSON.stringify already writes ECMAScript numbers and strings. */
export function canonicalJson(value) {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError('not a JSON value');
    return text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  // The default sort compares UTF-16 code units, which is the order RFC 8785 fixes.
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
}

// ---- the transcript ----

const TOP_KEYS = {
  algorithm: 'string', draw_id: 'string', purpose: 'string', select_count: 'u32', reserve_count: 'u32',
  parties: 'strings', deadlines: 'deadlines', missed_reveal_rule: 'rule', beacon: '?beacon', pool: '?pool',
  sealed_pool: '?strings', openings: '?openings', pool_hash: 'string', commitments: 'commitments', reveals: 'reveals', missed_reveals: 'strings',
  seed: '?string', result: '?result', replacements: 'replacements', audit: '?array',
};

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The shape a Rust `Transcript` deserialises from (unknown members refused, options may be null). */
function checkShape(t) {
  const bad = (where, what) => fail('malformed_transcript', `${where}: ${what}`);
  const object = (v, where, fields) => {
    if (!isObject(v)) bad(where, 'expected an object');
    for (const k of Object.keys(v)) if (!(k in fields)) bad(where, `unknown member ${JSON.stringify(k)}`);
    for (const [k, type] of Object.entries(fields)) value(v[k], `${where}.${k}`, type);
  };
  const array = (v, where, each) => {
    if (!Array.isArray(v)) bad(where, 'expected an array');
    v.forEach((item, k) => each(item, `${where}[${k}]`));
  };
  const value = (v, where, type) => {
    if (type.startsWith('?')) {
      if (v === undefined || v === null) return;
      type = type.slice(1);
    } else if (v === undefined) {
      bad(where, 'missing');
    }
    switch (type) {
      case 'string':
        if (typeof v !== 'string') bad(where, 'expected a string');
        break;
      case 'u32':
        if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) bad(where, 'expected an unsigned 32-bit integer');
        break;
      case 'strings':
        array(v, where, (s, w) => value(s, w, 'string'));
        break;
      case 'array':
        if (!Array.isArray(v)) bad(where, 'expected an array');
        break;
      case 'rule':
        if (v !== 'fail_draw' && v !== 'exclude_party') bad(where, 'expected "fail_draw" or "exclude_party"');
        break;
      case 'reason':
        if (v !== 'declined' && v !== 'disqualified') bad(where, 'expected "declined" or "disqualified"');
        break;
      case 'deadlines':
        object(v, where, { commit: 'string', reveal: 'string', beacon: '?string' });
        break;
      case 'beacon':
        object(v, where, { source: 'string', round: 'string', value: '?string' });
        break;
      case 'pool':
        array(v, where, (c, w) => object(c, w, { id: 'string', name: 'string' }));
        break;
      case 'openings':
        array(v, where, (c, w) => object(c, w, { position: 'u32', id: 'string', name: 'string', salt: 'string' }));
        break;
      case 'commitments':
        array(v, where, (c, w) => object(c, w, { party: 'string', commitment: 'string' }));
        break;
      case 'reveals':
        array(v, where, (c, w) => object(c, w, { party: 'string', r: 'string' }));
        break;
      case 'result':
        object(v, where, { selected: 'strings', reserves: 'strings' });
        break;
      case 'replacements':
        array(v, where, (c, w) => object(c, w, { replaced: 'string', replacement: 'string', reason: 'reason', note: '?string' }));
        break;
      default:
        throw new Error(`unknown shape ${type}`);
    }
  };
  object(t, 'transcript', TOP_KEYS);
  const hasPool = t.pool != null;
  const hasSealed = t.sealed_pool != null;
  if (hasPool && hasSealed) bad('transcript', 'both an open pool and a sealed pool');
  if (!hasPool && !hasSealed) bad('transcript', 'no pool');
  if (t.openings != null && !hasSealed) bad('transcript.openings', 'openings belong to a sealed pool only');
}

const DEADLINE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/** A sortable key for `YYYY-MM-DDTHH:MM:SS[.f]Z`, or null if the text is not in that exact form. */
function deadlineKey(text) {
  const m = DEADLINE.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= days && hour < 24 && minute < 60 && second < 60)) return null;
  return `${m[1]}${m[2]}${m[3]}${m[4]}${m[5]}${m[6]}${(m[7] || '').padEnd(9, '0')}`;
}

function checkDeadlines(t) {
  const parse = (which, text) => {
    const key = deadlineKey(text);
    if (key === null) fail('bad_deadline', `the ${which} deadline ${JSON.stringify(text)} is not a UTC time of the form YYYY-MM-DDTHH:MM:SS[.f]Z`);
    return key;
  };
  const commit = parse('commit', t.deadlines.commit);
  const reveal = parse('reveal', t.deadlines.reveal);
  const beacon = t.deadlines.beacon == null ? null : parse('beacon', t.deadlines.beacon);
  if (commit >= reveal) fail('deadlines_out_of_order', 'the commit deadline must come before the reveal deadline');
  const announced = t.beacon != null;
  if ((beacon !== null) !== announced) fail('beacon_deadline_mismatch', 'a beacon and a beacon deadline must be announced together');
  if (beacon !== null && reveal >= beacon) fail('deadlines_out_of_order', 'the reveal deadline must come before the beacon deadline');
}

function knownOnce(list, announced, seen, party) {
  if (!announced.has(party)) fail('unknown_party', `party ${JSON.stringify(party)} in ${list} was not announced`);
  if (seen.has(party)) fail('duplicate_party', `party ${JSON.stringify(party)} appears twice in ${list}`);
  seen.add(party);
}

async function run(t) {
  checkShape(t);

  // Step 1: the announcement.
  if (t.algorithm !== ALGORITHM) fail('bad_algorithm', `unknown algorithm ${JSON.stringify(t.algorithm)}: this verifier checks ${ALGORITHM} only`);
  if (t.draw_id === '') fail('empty_draw_id', 'the draw id is empty');
  if (t.select_count === 0) fail('nothing_to_select', 'the announcement selects nobody');
  if (t.parties.length === 0) fail('no_parties', 'no party was announced to contribute randomness');
  const announced = new Set();
  for (const p of t.parties) {
    if (p === '') fail('empty_party_id', 'an announced party has an empty id');
    if (announced.has(p)) fail('duplicate_party', `party ${JSON.stringify(p)} appears twice in parties`);
    announced.add(p);
  }
  checkDeadlines(t);
  const hasBeacon = t.beacon != null;
  if (!hasBeacon && t.missed_reveal_rule === 'exclude_party') {
    fail('exclude_without_beacon', 'leaving out a party who misses its reveal needs a beacon');
  }

  // Step 2: the frozen pool, open (ids in line order) or sealed (positions "1" … "N").
  let hash;
  let handles;
  if (t.pool != null) {
    const pool = canonicalPool(t.pool);
    hash = await sha256(utf8(pool.map((c) => `${c.id}\t${c.name}\n`).join('')));
    handles = pool.map((c) => c.id);
  } else {
    const seen = new Map();
    t.sealed_pool.forEach((c, k) => {
      fixedHex(c, `sealed_pool[${k + 1}]`);
      if (seen.has(c)) fail('pool_invalid', `sealed pool positions ${seen.get(c)} and ${k + 1} carry the same commitment`);
      seen.set(c, k + 1);
    });
    hash = await sealedPoolHash(t.sealed_pool);
    handles = t.sealed_pool.map((_, k) => String(k + 1));
  }
  if (!bytesEqual(fixedHex(t.pool_hash, 'pool_hash'), hash)) {
    fail('pool_hash_mismatch', `the pool hashes to ${bytesToHex(hash)} but the transcript says ${t.pool_hash}`);
  }
  const needed = t.select_count + t.reserve_count;
  if (handles.length < needed) {
    fail('pool_too_small', `the pool has ${handles.length} candidates but the draw needs ${needed}`);
  }

  // Step 3: commitments.
  const commitments = new Map();
  for (const c of t.commitments) {
    knownOnce('commitments', announced, new Set(commitments.keys()), c.party);
    commitments.set(c.party, fixedHex(c.commitment, `commitment of party ${JSON.stringify(c.party)}`));
  }

  // Step 4: reveals, each against its commitment.
  const revealed = new Set();
  const inputs = [];
  for (const rv of t.reveals) {
    knownOnce('reveals', announced, revealed, rv.party);
    const r = fixedHex(rv.r, `r of party ${JSON.stringify(rv.party)}`);
    const committed = commitments.get(rv.party);
    if (committed === undefined) fail('reveal_missing_commitment', `party ${JSON.stringify(rv.party)} revealed without having committed`);
    if (!bytesEqual(await commitment(t.draw_id, rv.party, r), committed)) {
      fail('commitment_mismatch', `party ${JSON.stringify(rv.party)} revealed a value that does not match its commitment`);
    }
    inputs.push({ party: rv.party, commitment: committed, r });
  }
  const missed = new Set();
  for (const p of t.missed_reveals) {
    knownOnce('missed_reveals', announced, missed, p);
    if (revealed.has(p)) fail('revealed_and_missed', `party ${JSON.stringify(p)} is listed both as revealed and as having missed its reveal`);
  }
  for (const p of t.parties) {
    if (!revealed.has(p) && !missed.has(p)) {
      fail('party_unaccounted', `announced party ${JSON.stringify(p)} neither revealed nor is listed as having missed its reveal`);
    }
  }

  // Step 5: the beacon.
  const beaconValue = hasBeacon && t.beacon.value != null ? hexToBytes(t.beacon.value, 'beacon.value') : null;

  let failure = null;
  if (inputs.length === 0) failure = 'no_reveals';
  else if (missed.size > 0 && !hasBeacon) failure = 'missed_reveal_without_beacon';
  else if (missed.size > 0 && t.missed_reveal_rule === 'fail_draw') failure = 'missed_reveal_under_fail_rule';

  const base = {
    drawId: t.draw_id,
    sealed: t.sealed_pool != null,
    poolHash: bytesToHex(hash),
    revealed: inputs.map((i) => i.party).sort(compareIds),
    missed: [...t.missed_reveals],
  };
  if (failure !== null) return { ...base, failure };
  if (hasBeacon && beaconValue === null) fail('beacon_value_missing', 'the beacon was announced but its value is missing');

  // Steps 6 and 7: the seed, the stream and the partial Fisher–Yates.
  const s = await seed({ drawId: t.draw_id, poolHash: hash, reveals: inputs, beacon: beaconValue });
  const order = await shuffle(handles, t.select_count, t.reserve_count, await Stream.create(s));
  return { ...base, seed: s, ...order };
}

/** Step 20: every position opened once, each opening matching its commitment, ids in order. */
async function checkOpenings(t) {
  if (t.sealed_pool == null || t.openings == null) return [];
  const n = t.sealed_pool.length;
  const opened = new Array(n).fill(null);
  for (const [k, o] of t.openings.entries()) {
    if (o.position < 1 || o.position > n) fail('opening_invalid', `opening ${k + 1}: its position is not in the sealed pool`);
    if (opened[o.position - 1] !== null) fail('opening_invalid', `opening ${k + 1}: its position was opened before`);
    const salt = fixedHex(o.salt, `salt of opening ${k + 1}`);
    const [member] = canonicalPool([{ id: o.id, name: o.name }]);
    if (bytesToHex(await memberCommitment(t.draw_id, o.id, o.name, salt)) !== t.sealed_pool[o.position - 1]) {
      fail('opening_mismatch', `the opening of position ${o.position} does not match its commitment in the sealed pool`);
    }
    opened[o.position - 1] = member;
  }
  const missing = opened.indexOf(null);
  if (missing >= 0) fail('opening_missing', `position ${missing + 1} of the sealed pool has no opening`);
  const keys = opened.map((c) => utf8(c.id));
  const sorted = keys.slice().sort(compareBytes);
  for (let k = 1; k < sorted.length; k++) {
    if (bytesEqual(sorted[k - 1], sorted[k])) fail('pool_invalid', 'an opened candidate id appears more than once');
  }
  for (let k = 1; k < keys.length; k++) {
    if (compareBytes(keys[k - 1], keys[k]) >= 0) {
      fail('opening_out_of_order', `positions ${k} and ${k + 1}: the opened ids are not in bytewise order`);
    }
  }
  return opened;
}

async function compareResult(t, draw) {
  if (draw.failure) {
    for (const [field, present] of [['seed', t.seed != null], ['result', t.result != null], ['replacement', t.replacements.length > 0]]) {
      if (present) fail('failed_draw_has_result', `the draw failed, yet the transcript carries a ${field}: a failed draw has no result and is never re-run`);
    }
    const opened = await checkOpenings(t);
    return { ok: true, outcome: 'failed', reason: draw.failure, drawId: draw.drawId, sealed: draw.sealed, opened, poolHash: draw.poolHash, revealed: draw.revealed, missed: draw.missed, selected: [], reserves: [], panel: [], reservesLeft: [] };
  }
  if (t.seed == null) fail('seed_missing', 'the transcript has no seed');
  if (!bytesEqual(fixedHex(t.seed, 'seed'), draw.seed)) {
    fail('seed_mismatch', `the seed recomputes to ${bytesToHex(draw.seed)} but the transcript says ${t.seed}`);
  }
  if (t.result == null) fail('result_missing', 'the transcript has no result');
  const { selected, reserves } = draw;
  if (t.result.selected.length !== selected.length) {
    fail('selection_count_mismatch', `the announcement selects ${selected.length} but the result lists ${t.result.selected.length}`);
  }
  if (t.result.reserves.length !== reserves.length) {
    fail('reserve_count_mismatch', `the announcement asks for ${reserves.length} reserves but the result lists ${t.result.reserves.length}`);
  }
  selected.forEach((id, k) => {
    if (t.result.selected[k] !== id) {
      fail('selection_mismatch', `selected position ${k + 1}: the re-run draws ${JSON.stringify(id)} but the transcript says ${JSON.stringify(t.result.selected[k])}`);
    }
  });
  reserves.forEach((id, k) => {
    if (t.result.reserves[k] !== id) {
      fail('reserve_mismatch', `reserve position ${k + 1}: the re-run draws ${JSON.stringify(id)} but the transcript says ${JSON.stringify(t.result.reserves[k])}`);
    }
  });
  const panel = selected.slice();
  let next = 0;
  t.replacements.forEach((rep, k) => {
    const seat = panel.indexOf(rep.replaced);
    if (seat < 0) fail('replacement_invalid', `replacement ${k + 1}: ${JSON.stringify(rep.replaced)} is not on the panel at that point`);
    if (next >= reserves.length) fail('replacement_invalid', `replacement ${k + 1}: no reserve is left to bring in`);
    if (rep.replacement !== reserves[next]) {
      fail('replacement_invalid', `replacement ${k + 1}: the next reserve in order is ${JSON.stringify(reserves[next])}, but ${JSON.stringify(rep.replacement)} was brought in`);
    }
    panel[seat] = reserves[next];
    next += 1;
  });
  const opened = await checkOpenings(t);
  return {
    ok: true, outcome: 'completed', drawId: draw.drawId, sealed: draw.sealed, opened, poolHash: draw.poolHash,
    revealed: draw.revealed, missed: draw.missed, seed: bytesToHex(draw.seed), selected, reserves, panel,
    reservesLeft: reserves.slice(next),
  };
}

function parse(json) {
  if (typeof json === 'string') return JSON.parse(json);
  if (json instanceof ArrayBuffer || ArrayBuffer.isView(json)) {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  }
  return json;
}

/**
 * Re-runs a transcript (JSON text, bytes or an already parsed object). Resolves to
 * { ok: true, outcome: 'completed' | 'failed', selected, reserves, panel, sealed, opened, … } or
 * { ok: false, step, message } naming the first step that differs.
 */
export async function verifyTranscript(json) {
  try {
    let t;
    try {
      t = parse(json);
    } catch (e) {
      fail('malformed_transcript', `not JSON: ${e.message}`);
    }
    return await compareResult(t, await run(t));
  } catch (e) {
    if (e instanceof DrawError) return { ok: false, step: e.step, message: e.message };
    throw e;
  }
}
