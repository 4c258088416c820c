// Pure conversions between what people type and what the API speaks: yuan ↔ integer fen (never
// floats), and datetime-local values in Beijing time ↔ RFC 3339 with +08:00. No DOM here, so
// node --test can check every rule.

const BEIJING_OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;
/** The hall's largest amount: 10 trillion yuan, in fen. */
export const MAX_FEN = 1_000_000_000_000_000;

/**
 * Fen from a yuan amount as typed: "1234.5", "1,234,567.89", "¥ 20000". Null if it is not a
 * non-negative amount with at most two decimals, or exceeds the hall's maximum.
 */
export function yuanToFen(text) {
  if (typeof text !== 'string' && typeof text !== 'number') return null;
  const s = String(text).trim().replace(/^[¥￥]\s*/, '').replace(/[,，\s]/g, '');
  const m = /^(\d+)(?:\.(\d{0,2}))?$/.exec(s);
  if (!m) return null;
  const fen = Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'));
  if (!Number.isSafeInteger(fen) || fen > MAX_FEN) return null;
  return fen;
}

/** "1234.50" from 123450 fen, for an input's value. */
export function fenToYuan(fen) {
  const n = Math.trunc(Number(fen));
  const sign = n < 0 ? '-' : '';
  const abs = Math.abs(n);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** "¥1,234,567.89" from fen, as the pages print amounts. */
export function formatYuan(fen) {
  const [whole, frac] = fenToYuan(fen).split('.');
  return `¥${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac}`;
}

/** "2026-12-01T09:30" (a datetime-local value meant as Beijing time) → "2026-12-01T09:30:00+08:00". */
export function localToRfc3339(local) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(String(local || '').trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, sec] = m;
  const ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +(sec || 0));
  // Refuse dates the calendar does not have (2026-02-30), which Date.UTC would roll over.
  const back = new Date(ms);
  if (back.getUTCMonth() !== +mo - 1 || back.getUTCDate() !== +d || +h > 23 || +mi > 59) return null;
  return `${y}-${mo}-${d}T${h}:${mi}:${sec || '00'}+08:00`;
}

/** The Beijing datetime-local value ("YYYY-MM-DDTHH:MM") of an instant in milliseconds. */
export function beijingLocal(ms) {
  return new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 16);
}

/** "2026-12-01T01:30:00.000Z" (any offset) → "2026-12-01T09:30" in Beijing; null if unparseable. */
export function rfc3339ToLocal(rfc) {
  const ms = Date.parse(String(rfc || ''));
  return Number.isNaN(ms) ? null : beijingLocal(ms);
}

/** "2026-12-01 09:30" for people. */
export function beijingText(rfc) {
  const local = rfc3339ToLocal(rfc);
  return local ? local.replace('T', ' ') : String(rfc || '');
}

/**
 * A lawful starting schedule from `nowMs`: documents on sale from the next whole hour for 7 days,
 * clarifications until day 12, bids until day 25 at 09:30 Beijing time (≥ 20 days, ≥ 10 days after
 * the clarification deadline).
 */
export function defaultSchedule(nowMs) {
  const hour = 3600 * 1000;
  const from = Math.ceil((nowMs + hour) / hour) * hour;
  const deadlineDay = beijingLocal(from + 25 * DAY_MS).slice(0, 10);
  return {
    docs_from: beijingLocal(from),
    docs_to: beijingLocal(from + 7 * DAY_MS),
    clarification_deadline: beijingLocal(from + 12 * DAY_MS),
    bid_deadline: `${deadlineDay}T09:30`,
  };
}
