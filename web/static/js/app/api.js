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
  error.api_message = error.message;
  error.message = localize(error, t, document.documentElement.lang);
  return { ok: false, status: resp.status, data, error };
}

/**
 * A refusal `{code, message, details}` in the page's language: its code's words (`err_<code>`),
 * with the broken rule of an `invalid_field` and, for a law violation, each rule's article. On a
 * Chinese page the API's English never shows: a code without words says so in general terms.
 * `tr` looks a message up (returning the id when there is none); `lang` is the page's language.
 */
export function localize(error, tr, lang) {
  const has = (id) => tr(id) !== id;
  const english = !String(lang || '').startsWith('zh');
  const words = has(`err_${error.code}`) ? tr(`err_${error.code}`) : null;
  const d = error.details || {};
  if (error.code === 'invalid_field' && d.rule && has(`err_rule_${d.rule}`)) {
    return `${words}（${tr(`err_rule_${d.rule}`)}）`;
  }
  if (error.code === 'law_violation' && Array.isArray(d.violations) && d.violations.length) {
    const each = d.violations.map((v) => {
      const what = english ? v.message : (has(`err_rule_${v.rule}`) ? tr(`err_rule_${v.rule}`) : '');
      return [what, v.article ? `${tr('err_article')} ${v.article}` : ''].filter(Boolean).join(' ');
    });
    return `${words} ${each.join('；')}`;
  }
  if (words) return words;
  return english ? error.message : tr('err_generic');
}
