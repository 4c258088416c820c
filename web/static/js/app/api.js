// Talking to the JSON API and reading what the page gave the scripts (its strings and data).
// Every call resolves to `{ok, status, data, error}`; `error` is the API's `{code, message, details}`
// or a network error in the page's language, so callers never need try/catch.

function readJson(id) {
  const el = document.getElementById(id);
  if (!el) return {};
  try {
    return JSON.parse(el.textContent);
  } catch {
    return {};
  }
}

let strings = null;

/** The page's message `id` in its language. */
export function t(id) {
  strings ??= readJson('bidhall-i18n');
  return strings[id] ?? id;
}

/** The data the server rendered for the page's scripts. */
export function pageData() {
  return readJson('bidhall-page');
}

/** `method url` with a JSON body (or `opts.raw` bytes with `opts.contentType`). */
export async function api(method, url, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  let payload;
  if (opts.raw !== undefined) {
    payload = opts.raw;
    headers['Content-Type'] = opts.contentType || 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  let resp;
  try {
    resp = await fetch(url, { method, headers, body: payload, credentials: 'same-origin' });
  } catch {
    return { ok: false, status: 0, data: null, error: { code: 'network', message: t('js_network_error'), details: {} } };
  }
  let data = null;
  const text = await resp.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (resp.ok) return { ok: true, status: resp.status, data, error: null };
  const error = data?.error ?? { code: `http_${resp.status}`, message: `${resp.status} ${resp.statusText}`, details: {} };
  error.details ??= {};
  return { ok: false, status: resp.status, data, error };
}
