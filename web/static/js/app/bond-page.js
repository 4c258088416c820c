// The tenderer's bond page: asks the hall for the tender's sub-account (opened on first request)
// and uploads an electronic guarantee (电子保函), showing the hall's verdict. Both go through the
// JSON API; the page itself only shows what the server rendered.

import { api, pageData, t } from './api.js';
import { busy } from './fields.js';

const { tender_id: tenderId } = pageData();
const base = `/api/tenders/${encodeURIComponent(tenderId ?? '')}`;

const getSubAccount = document.getElementById('get-sub-account');
const subAccountResult = document.getElementById('sub-account-result');

getSubAccount?.addEventListener('click', async () => {
  const res = await busy(getSubAccount, () => api('POST', `${base}/sub-account`));
  if (res.ok) {
    window.location.reload();
    return;
  }
  subAccountResult.classList.add('error');
  subAccountResult.textContent = res.error.message;
});

const form = document.getElementById('guarantee-form');
const verdict = document.getElementById('guarantee-verdict');

function say(ok, text) {
  verdict.hidden = false;
  verdict.classList.toggle('success', ok);
  verdict.classList.toggle('error', !ok);
  verdict.textContent = text;
}

form?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = form.elements.document.value.trim();
  const signature = form.elements.signature.value.trim();
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    say(false, t('js_guarantee_not_json'));
    return;
  }
  const button = form.querySelector('button[type="submit"]');
  const res = await busy(button, () => api('POST', `${base}/guarantees`, { document: doc, signature }));
  if (res.ok) {
    say(true, `${t('js_guarantee_accepted')} ${res.data?.document?.guarantee_number ?? ''}`);
    window.setTimeout(() => window.location.reload(), 1200);
    return;
  }
  const id = `js_verdict_${res.error.code}`;
  const words = t(id);
  const reason = words === id ? res.error.message : words;
  say(false, `${t('js_guarantee_refused')} ${reason}`);
});
