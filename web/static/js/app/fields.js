// Putting the API's refusals next to the input they concern. An error names a field by its path in
// the request body (`spec.lots[0].bid_bond_fen`, `changes.bid_deadline`); inputs carry the same path
// in `data-field`, and the nearest enclosing path is used when no input matches exactly.

/** The `data-field` values to try for an API field path, most specific first. */
export function fieldCandidates(path) {
  if (!path || typeof path !== 'string') return [];
  const out = [];
  const add = (p) => { if (p && !out.includes(p)) out.push(p); };
  const bases = [path];
  for (const prefix of ['spec.', 'changes.']) {
    if (path.startsWith(prefix)) bases.push(path.slice(prefix.length));
  }
  // `lots[0].estimate_fen` after a `changes.` prefix still means a lot row.
  for (const base of bases) {
    let p = base;
    while (p) {
      add(p);
      const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
      p = cut > 0 ? p.slice(0, cut) : '';
    }
  }
  return out;
}

/** Clears every field error shown in `root`. */
export function clearFieldErrors(root) {
  for (const el of root.querySelectorAll('.field-error')) el.remove();
  for (const el of root.querySelectorAll('[aria-invalid="true"]')) {
    el.removeAttribute('aria-invalid');
    el.removeAttribute('aria-describedby');
  }
}

let counter = 0;

/** Shows `message` beside the input for `path`; false if the form has no such input. */
export function showFieldError(root, path, message) {
  for (const key of fieldCandidates(path)) {
    const input = root.querySelector(`[data-field="${CSS.escape(key)}"]`);
    if (!input) continue;
    const holder = input.closest('.field') || input.parentElement;
    const p = document.createElement('p');
    p.className = 'field-error';
    p.id = `field-error-${++counter}`;
    p.textContent = message;
    holder.appendChild(p);
    if (input.matches('input, select, textarea')) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', p.id);
      if (!root.querySelector('[aria-invalid="true"]:focus')) input.focus({ preventScroll: false });
    }
    return true;
  }
  return false;
}

/**
 * Shows an API error: its message in `box`, `details.field` beside its input, and each of
 * `details.violations` in `list` (with its article and earliest lawful value) and beside its input.
 * `t` translates message ids, `when` formats RFC 3339 times for people.
 */
export function showApiError(root, box, error, { list, t, when } = {}) {
  clearFieldErrors(root);
  const details = error.details || {};
  if (box) {
    box.textContent = error.message;
    box.hidden = false;
  }
  if (details.field) showFieldError(root, details.field, error.message);
  const violations = Array.isArray(details.violations) ? details.violations : [];
  if (list) {
    list.replaceChildren();
    for (const v of violations) {
      const li = document.createElement('li');
      li.dataset.rule = v.rule;
      const msg = document.createElement('span');
      msg.textContent = v.message;
      const art = document.createElement('span');
      art.className = 'article';
      art.textContent = ` (${t('js_article')} ${v.article})`;
      li.append(msg, art);
      if (v.earliest) {
        const e = document.createElement('span');
        e.className = 'earliest';
        e.textContent = ` — ${t('js_earliest')} ${when(v.earliest)}`;
        li.append(e);
      }
      list.append(li);
    }
    const holder = list.closest('[hidden], .violations');
    if (holder) holder.hidden = violations.length === 0;
  }
  for (const v of violations) {
    showFieldError(root, v.field, v.earliest ? `${v.message} — ${t('js_earliest')} ${when(v.earliest)}` : v.message);
  }
}

/** Shows client-side errors `[{field, id}]` beside their inputs. */
export function showLocalErrors(root, box, errors, t) {
  clearFieldErrors(root);
  for (const e of errors) showFieldError(root, e.field, t(e.id));
  if (box) {
    box.textContent = t(errors[0].id);
    box.hidden = false;
  }
}

/** Runs `work` with `button` disabled and marked busy. */
export async function busy(button, work) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
