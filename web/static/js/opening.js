// The live opening (docs/opening.md) without the DOM: `foldEvents` turns the hall's event list into
// the view the hall page draws, and `OpeningStream` keeps a websocket to the hall open, delivering
// each event once and in order across reconnects. Nothing here decides a rule; the server does.

/** Phases in the order the ceremony passes them (section 1 of docs/opening.md). */
export const PHASES = ['scheduled', 'lobby', 'closed', 'failed', 'decrypting', 'announcing', 'announced', 'confirming', 'concluded'];

/** Phases after which nothing more happens. */
export const FINAL_PHASES = new Set(['failed', 'concluded']);

/** The view before any event: only what the page knew from the server's snapshot. */
export function emptyState({ deadline = null, lobby_from = null } = {}) {
  return {
    last_seq: 0,
    phase: 'scheduled',
    suspended: null,
    suspensions: [],
    deadline,
    lobby_from,
    participants: [],
    count: null,
    order: [],
    failure: null,
    not_opened: [],
    bonds: {},
    k: null,
    custodians: [],
    release_until: null,
    progress: {},
    missing: null,
    lines: {},
    announcement_complete: false,
    confirmation: null,
    objections: [],
    concluded: null,
    events: [],
  };
}

function clone(state) {
  return typeof structuredClone === 'function' ? structuredClone(state) : JSON.parse(JSON.stringify(state));
}

/** Phase moves only forwards: a late or replayed event never takes the view back. */
function advance(s, phase) {
  if (PHASES.indexOf(phase) > PHASES.indexOf(s.phase)) s.phase = phase;
}

function key(n) {
  return String(n);
}

/**
 * The view after `event` ({seq, at, kind, body}). An event at or below the last folded `seq` is
 * ignored, so folding a replayed backlog twice changes nothing. Unknown kinds are recorded in the
 * event list and otherwise ignored, so an older page survives a newer hall.
 */
export function foldEvents(state, event) {
  if (!event || !Number.isInteger(event.seq) || event.seq <= state.last_seq) return state;
  const s = clone(state);
  const b = event.body ?? {};
  const at = event.at ?? null;
  s.last_seq = event.seq;
  s.events.push({ seq: event.seq, at, kind: event.kind });
  switch (event.kind) {
    case 'lobby_opened':
      advance(s, 'lobby');
      if (b.deadline) s.deadline = b.deadline;
      break;
    case 'signed_in':
      if (!s.participants.some((p) => p.org_id === b.org_id && p.role === b.role)) {
        s.participants.push({ org_id: b.org_id, org_name: b.org_name, role: b.role, at });
      }
      break;
    case 'sign_ins_disclosed':
      // The tenderers who signed in from the lobby, told to the hall when the box closes.
      for (const p of b.participants ?? []) {
        if (!s.participants.some((q) => q.org_id === p.org_id && q.role === p.role)) {
          s.participants.push({ org_id: p.org_id, org_name: p.org_name, role: p.role, at: p.at });
        }
      }
      break;
    case 'box_closed':
      advance(s, 'closed');
      s.count = b.count ?? (b.order ?? []).length;
      s.order = (b.order ?? []).map((o) => ({ n: o.n, lot_id: o.lot_id, commitment: o.commitment }));
      break;
    case 'opening_failed':
      advance(s, 'failed');
      s.failure = { count: b.count, rule: b.rule, article: b.article, message: b.message };
      break;
    case 'lots_not_opened':
      // Lots with fewer than 3 bids are not opened (条例44); the other lots go on.
      s.not_opened = (b.lots ?? []).map((l) => ({ lot_id: l.lot_id, count: l.count }));
      break;
    case 'bonds_checked':
      for (const l of b.lines ?? []) s.bonds[key(l.n)] = { bond: l.bond, required_fen: l.required_fen };
      break;
    case 'decryption_started':
      advance(s, 'decrypting');
      s.k = b.k;
      s.release_until = b.release_until ?? null;
      s.custodians = (b.custodians ?? []).map((c) => ({ index: c.index, kind: c.kind, org_name: c.org_name ?? null, released: false, at: null }));
      break;
    case 'shares_released': {
      const c = s.custodians.find((x) => x.index === b.custodian);
      if (c) {
        c.released = true;
        c.at = at;
      } else {
        s.custodians.push({ index: b.custodian, kind: null, org_name: b.by ?? null, released: true, at });
        s.custodians.sort((x, y) => x.index - y.index);
      }
      for (const p of b.progress ?? []) s.progress[key(p.n)] = { released: p.released, needed: p.needed };
      break;
    }
    case 'custodians_missing':
      s.missing = { custodians: (b.missing ?? []).map((m) => ({ index: m.index, org_name: m.org_name })), waiting: [...(b.waiting ?? [])], at };
      break;
    case 'bid_announced': {
      advance(s, 'announcing');
      const prev = s.lines[key(b.n)];
      s.lines[key(b.n)] = {
        n: b.n,
        lot_id: b.lot_id,
        org_id: b.org_id,
        org_name: b.org_name,
        commitment: b.commitment ?? s.order.find((o) => o.n === b.n)?.commitment ?? null,
        status: b.status,
        price_fen: b.price_fen ?? null,
        duration_days: b.duration_days ?? null,
        quality: b.quality ?? null,
        bond: b.bond ?? s.bonds[key(b.n)]?.bond ?? null,
        reason: b.reason ?? null,
        fault: b.fault ?? null,
        at,
        confirmed: prev?.confirmed ?? null,
      };
      break;
    }
    case 'announcement_complete':
      advance(s, 'announced');
      s.announcement_complete = true;
      break;
    case 'confirmation_opened':
      advance(s, 'confirming');
      s.confirmation = { until: b.until, minutes: b.minutes, at };
      break;
    case 'line_confirmed': {
      const line = s.lines[key(b.n)];
      const confirmed = { at, seq: event.seq, org_name: b.org_name, line_sha256: b.line_sha256 };
      if (line) line.confirmed = confirmed;
      else s.lines[key(b.n)] = { n: b.n, org_id: b.org_id, org_name: b.org_name, status: null, confirmed };
      break;
    }
    case 'objection_raised':
      if (!s.objections.some((o) => o.id === b.id)) {
        s.objections.push({ id: b.id, n: b.n ?? null, org_id: b.org_id, org_name: b.org_name, text: b.text, raised_at: at, answer: null, answered_at: null });
      }
      break;
    case 'objection_answered': {
      const o = s.objections.find((x) => x.id === b.id);
      if (o) {
        o.answer = b.answer;
        o.answered_at = at;
      }
      break;
    }
    case 'suspended':
      s.suspended = { reason: b.reason, at };
      s.suspensions.push({ reason: b.reason, at, resumed_at: null, resume_reason: null });
      break;
    case 'resumed': {
      s.suspended = null;
      const open = s.suspensions.findLast((x) => x.resumed_at == null);
      if (open) {
        open.resumed_at = at;
        open.resume_reason = b.reason;
      }
      break;
    }
    case 'concluded':
      advance(s, 'concluded');
      s.suspended = null;
      s.concluded = { record_sha256: b.record_sha256, signature: b.signature, at };
      break;
    default:
      break;
  }
  return s;
}

/** Folds a list of events in order. */
export function foldAll(state, events) {
  return events.reduce(foldEvents, state);
}

/**
 * The bid table's rows in announcement order: every bid the box counted, with its bond mark and
 * decryption progress, and its announced line once there is one.
 */
export function tableRows(state) {
  const ns = new Set(state.order.map((o) => o.n));
  for (const n of Object.keys(state.lines)) ns.add(Number(n));
  return [...ns].sort((a, b) => a - b).map((n) => {
    const o = state.order.find((x) => x.n === n);
    return {
      n,
      lot_id: o?.lot_id ?? state.lines[key(n)]?.lot_id ?? null,
      commitment: o?.commitment ?? state.lines[key(n)]?.commitment ?? null,
      bond: state.lines[key(n)]?.bond ?? state.bonds[key(n)]?.bond ?? null,
      progress: state.progress[key(n)] ?? null,
      line: state.lines[key(n)] ?? null,
    };
  });
}

/**
 * The party at fault as a code and, for a custodian, its index: the hall writes `tenderer`,
 * `the tenderer`, `custodian 3`, `platform`…; anything else is kept as it came.
 */
export function faultOf(fault) {
  if (fault == null || fault === '') return null;
  const m = /^(?:the\s+)?([a-z_]+)(?:\s+#?(\d+))?$/i.exec(String(fault).trim());
  if (!m) return { code: String(fault), index: null };
  return { code: m[1].toLowerCase(), index: m[2] == null ? null : Number(m[2]) };
}

/** Milliseconds from `nowMs` to `iso`, never negative; null without a time. */
export function remainingMs(iso, nowMs) {
  const t = Date.parse(iso ?? '');
  if (Number.isNaN(t)) return null;
  return Math.max(0, t - nowMs);
}

/** "1:02:03" or "02:03" for a countdown. */
export function formatCountdown(ms) {
  const total = Math.floor(Math.max(0, ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  const pad = (x) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${pad(m)}:${pad(sec)}`;
}

/** `…/opening/ws?after=N` on the page's own origin (`ws:` or `wss:` as the page's scheme). */
export function socketUrl(origin, tenderId, after) {
  const u = new URL(`/api/tenders/${encodeURIComponent(tenderId)}/opening/ws`, origin);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.searchParams.set('after', String(after));
  return u.toString();
}

/**
 * A websocket to the hall that reconnects by itself. `connect(after)` opens a socket (a
 * WebSocket or anything with `onopen`, `onmessage`, `onclose`, `onerror` and `close()`) asking for
 * the events after `after`; `onEvent` gets each event exactly once, in `seq` order: anything at or
 * below the last delivered `seq` is dropped, so a backlog that overlaps what was already shown, or
 * a message repeated across a reconnect, never shows twice. After a drop it waits `minDelay`,
 * doubling up to `maxDelay`, and starts again from the last delivered `seq`.
 */
export class OpeningStream {
  constructor({ connect, onEvent, onStatus = () => {}, after = 0, minDelay = 500, maxDelay = 15_000, timers = globalThis }) {
    this.connect = connect;
    this.onEvent = onEvent;
    this.onStatus = onStatus;
    this.last = after;
    this.minDelay = minDelay;
    this.maxDelay = maxDelay;
    this.delay = minDelay;
    this.timers = timers;
    this.socket = null;
    this.timer = null;
    this.stopped = true;
    this.connects = 0;
  }

  /** The `seq` of the last event delivered. */
  get lastSeq() {
    return this.last;
  }

  start() {
    this.stopped = false;
    this.open();
    return this;
  }

  /** Closes the socket for good: no more reconnects, no more events. */
  close() {
    this.stopped = true;
    if (this.timer != null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onopen = s.onmessage = s.onclose = s.onerror = null;
      try {
        s.close();
      } catch {
        // already closed
      }
    }
    this.onStatus('closed');
  }

  open() {
    if (this.stopped) return;
    this.timer = null;
    this.connects += 1;
    this.onStatus('connecting');
    let socket;
    try {
      socket = this.connect(this.last);
    } catch {
      this.retry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.delay = this.minDelay;
      this.onStatus('open');
    };
    socket.onmessage = (m) => {
      if (this.socket !== socket) return;
      this.receive(m.data);
    };
    socket.onerror = () => {
      // onclose follows and reconnects
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.retry();
    };
  }

  retry() {
    if (this.stopped || this.timer != null) return;
    this.onStatus('reconnecting');
    const wait = this.delay;
    this.delay = Math.min(this.maxDelay, this.delay * 2);
    this.timer = this.timers.setTimeout(() => this.open(), wait);
  }

  receive(data) {
    let event;
    try {
      event = typeof data === 'string' ? JSON.parse(data) : data;
    } catch {
      return;
    }
    if (!event || !Number.isInteger(event.seq) || event.seq <= this.last) return;
    this.last = event.seq;
    this.onEvent(event);
  }
}
