// The sign-in page: posts the login to the API, which sets the HttpOnly session cookie, then goes
// to the organisation's home: what is its own and what awaits it.

import { api, t } from './api.js';
import { busy, showApiError } from './fields.js';

const form = document.getElementById('signin-form');
const box = document.getElementById('signin-error');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  box.hidden = true;
  const body = { login: form.elements.namedItem('login').value.trim(), password: form.elements.namedItem('password').value };
  const res = await busy(document.getElementById('signin-submit'), () => api('POST', '/api/session', body));
  if (!res.ok) {
    showApiError(form, box, res.error, { t });
    form.elements.namedItem('password').select();
    return;
  }
  window.location.assign('/home');
});
