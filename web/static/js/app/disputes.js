// Questions, objections and complaints (docs/disputes.md): every form marked `data-dispute-form`
// posts its `data-field` inputs as JSON to its `data-url`, shows a refusal in the page's language
// beside its input, and reloads the page once the hall has it. The hall decides every rule.

import { api, t } from './api.js';
import { localToRfc3339 } from './format.js';
import { busy, clearFieldErrors, showApiError, showLocalErrors } from './fields.js';

/** The form's body, or the local errors `[{field, id}]` that keep it from being sent. */
function body(form) {
  const out = {};
  const errors = [];
  for (const el of form.querySelectorAll('[data-field]')) {
    if (el.closest('[hidden]')) continue;
    const field = el.dataset.field;
    const value = el.value.trim();
    if (value === '' && el.hasAttribute('data-optional')) continue;
    if (el.dataset.kind === 'bool') {
      out[field] = value === 'true';
    } else if (el.dataset.kind === 'datetime') {
      const rfc = localToRfc3339(value);
      if (!rfc) errors.push({ field, id: 'js_disputes_bad_time' });
      else out[field] = rfc;
    } else {
      if (value === '' && el.required) errors.push({ field, id: 'js_disputes_required' });
      out[field] = value;
    }
  }
  return { body: out, errors };
}

/** Shows only the prior-objection inputs the chosen matter takes. */
function followMatter(form) {
  const matter = form.querySelector('[data-field="matter"]');
  if (!matter) return;
  const show = () => {
    for (const el of form.querySelectorAll('[data-for-matter]')) {
      el.hidden = !el.dataset.forMatter.split(' ').includes(matter.value);
    }
  };
  matter.addEventListener('change', show);
  show();
}

for (const form of document.querySelectorAll('[data-dispute-form]')) {
  followMatter(form);
  const box = form.querySelector('[data-error]');
  const button = form.querySelector('button[type="submit"]');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    box.hidden = true;
    clearFieldErrors(form);
    const { body: payload, errors } = body(form);
    if (errors.length) {
      showLocalErrors(form, box, errors, t);
      return;
    }
    const res = await busy(button, () => api('POST', form.dataset.url, payload));
    if (!res.ok) {
      showApiError(form, box, res.error);
      return;
    }
    const done = document.querySelector('[data-dispute-done]');
    if (done) done.hidden = false;
    form.reset();
    window.location.reload();
  });
}
