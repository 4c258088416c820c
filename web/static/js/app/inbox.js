// The inbox: mark a notice read, and set where the organisation's notices are mailed.

import { api, t } from './api.js';
import { busy, clearFieldErrors, showApiError } from './fields.js';
import { beijingText } from './format.js';

for (const button of document.querySelectorAll('[data-read]')) {
  button.addEventListener('click', async () => {
    const id = button.dataset.read;
    const res = await busy(button, () => api('POST', `/api/inbox/${encodeURIComponent(id)}/read`));
    if (res.ok) {
      button.closest('.notice')?.classList.remove('unread');
      button.remove();
    }
  });
}

const form = document.getElementById('contact-form');
form?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const box = document.getElementById('contact-error');
  const done = document.getElementById('contact-done');
  box.hidden = true;
  done.hidden = true;
  clearFieldErrors(form);
  const email = form.elements.namedItem('email').value.trim();
  const res = await busy(document.getElementById('contact-submit'), () => api('PUT', '/api/inbox/contact', { email: email || null }));
  if (!res.ok) return showApiError(form, box, res.error, { t, when: beijingText });
  done.hidden = false;
});
