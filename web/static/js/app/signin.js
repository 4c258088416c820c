// The sign-in page: posts the login to the API, which sets the HttpOnly session cookie, then goes
// to the workspace (owners, agents) or the notice board (everyone else).

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
  const role = res.data?.actor?.role;
  window.location.assign(role === 'owner' || role === 'agent' ? '/workspace' : '/');
});
