// Every page: the sign-out link ends the API session, then returns to the notice board.

import { api } from './api.js';

const signout = document.querySelector('[data-signout]');
signout?.addEventListener('click', async (event) => {
  event.preventDefault();
  await api('DELETE', '/api/session');
  window.location.assign('/');
});
