// The public tender page: a signed-in tenderer obtains the tender documents.

import { api, t } from './api.js';
import { beijingText } from './format.js';
import { busy } from './fields.js';

const button = document.getElementById('obtain');
const result = document.getElementById('obtain-result');

button?.addEventListener('click', async () => {
  const id = button.dataset.tender;
  const res = await busy(button, () => api('POST', `/api/tenders/${encodeURIComponent(id)}/obtain`));
  result.classList.toggle('error', !res.ok);
  result.textContent = res.ok ? `${t('js_obtained')} ${beijingText(res.data?.obtained_at)}` : res.error.message;
});
