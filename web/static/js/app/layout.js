// Every page: the sign-out link ends the API session, then returns to the notice board.

import { api } from './api.js';

const signout = document.querySelector('[data-signout]');
signout?.addEventListener('click', async (event) => {
  event.preventDefault();
  await api('DELETE', '/api/session');
  window.location.assign('/');
});

// The demo hall only: the trading centre moves the hall's clock forward, then the page shows the
// tender as it stands at the new time.
for (const button of document.querySelectorAll('[data-demo-clock]')) {
  button.addEventListener('click', async () => {
    await api('POST', '/api/demo/clock', { minutes: Number(button.dataset.demoClock) });
    window.location.reload();
  });
}
