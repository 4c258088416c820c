// Checking an announced line (开标一览表) against its receipted envelope, as anyone can after the
// opening: the envelope's SHA-256 against the receipt, the published announced key against the
// signed header's commitment, and the decrypted bid.json against the record. Pure: no DOM, no
// network; the page and the unit tests call it. It never touches the documents segment.

import { fromHex, openAnnounced, readHeader, sha256, toHex } from '../sealbox.js';

/** Deep equality of two JSON values (key order does not matter). */
export function sameJson(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
}

/**
 * `line` is one entry of `GET /api/tenders/{id}/opening/record`. Resolves to
 * `{ok: true, kind: 'verified' | 'sha_only' | 'not_opened', bid?}` or `{ok: false, reason}`.
 */
export async function verifyAnnouncedLine(envelope, line) {
  if (toHex(await sha256(envelope)) !== line.envelope_sha256) return { ok: false, reason: 'the envelope is not the receipted one (SHA-256)' };
  let header;
  let body;
  try {
    ({ header, body } = await readHeader(envelope));
  } catch (e) {
    return { ok: false, reason: e.code || e.message };
  }
  if (header.version !== line.version) return { ok: false, reason: 'the record names another envelope version' };
  if (header.version === 1) return { ok: true, kind: 'sha_only' };
  if (line.outcome?.status !== 'opened' || !line.announced_key) return { ok: true, kind: 'not_opened' };
  try {
    const bytes = await openAnnounced(header, fromHex(line.announced_key), body);
    const bid = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    if (!sameJson(bid, line.outcome.bid)) return { ok: false, reason: 'the decrypted bid.json differs from the record' };
    return { ok: true, kind: 'verified', bid };
  } catch (e) {
    return { ok: false, reason: e.code || e.message };
  }
}
