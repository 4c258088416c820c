// Managing one tender: edit and publish a draft (showing the articles of law it breaks), upload
// documents, and for a published tender publish clarifications and amendments, offering the
// earliest lawful deadline when an amendment comes too late. Every success reloads the page, so
// the version sent next is always the stored one.

import { api, pageData, t } from './api.js';
import { busy, clearFieldErrors, showApiError, showLocalErrors } from './fields.js';
import { beijingText, localToRfc3339, rfc3339ToLocal } from './format.js';
import { buildChanges, buildSpec } from './spec.js';
import { initTenderForm, readTenderForm } from './tender-form.js';

const data = pageData();
const tender = data.tender;
const base = `/api/tenders/${encodeURIComponent(tender.id)}`;
const flash = document.getElementById('flash');
const show = { t, when: beijingText };

function reloadWith(messageId) {
  sessionStorage.setItem('bidhall-flash', t(messageId));
  window.location.reload();
}

const pending = sessionStorage.getItem('bidhall-flash');
if (pending && flash) {
  sessionStorage.removeItem('bidhall-flash');
  flash.textContent = pending;
  flash.classList.add('success');
  flash.hidden = false;
}

// Draft: edit.
const tenderForm = document.getElementById('tender-form');
if (tenderForm) {
  initTenderForm(tenderForm, { orgs: data.orgs || {}, spec: tender.spec });
  tenderForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const box = document.getElementById('tender-form-error');
    box.hidden = true;
    const { spec, errors } = buildSpec(readTenderForm(tenderForm));
    if (errors.length) return showLocalErrors(tenderForm, box, errors, t);
    clearFieldErrors(tenderForm);
    const res = await busy(document.getElementById('tender-submit'), () => api('PUT', base, { version: tender.version, spec }));
    if (!res.ok) return showApiError(tenderForm, box, res.error, show);
    reloadWith('js_saved');
  });
}

// Draft: publish.
const publish = document.getElementById('publish');
publish?.addEventListener('click', async () => {
  const list = document.getElementById('violations-list');
  const box = document.getElementById('violations');
  const res = await busy(publish, () => api('POST', `${base}/publish`, { version: tender.version }));
  if (res.ok) return reloadWith('js_published');
  const root = tenderForm || document;
  showApiError(root, null, res.error, { ...show, list });
  if (!res.error.details?.violations?.length) {
    list.replaceChildren(Object.assign(document.createElement('li'), { textContent: res.error.message }));
  }
  box.hidden = false;
  box.scrollIntoView({ block: 'nearest' });
});

// Documents (draft documents, or staged ones for the next amendment).
const uploadForm = document.getElementById('upload-form');
uploadForm?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const box = document.getElementById('upload-error');
  box.hidden = true;
  const file = uploadForm.querySelector('#document_file').files[0];
  if (!file) {
    box.textContent = t('js_no_file');
    box.hidden = false;
    return;
  }
  const url = `${base}/documents?name=${encodeURIComponent(file.name)}`;
  const res = await busy(document.getElementById('upload-submit'), () => api('POST', url, undefined, { raw: file, contentType: file.type || 'application/octet-stream' }));
  if (!res.ok) return showApiError(uploadForm, box, res.error, show);
  reloadWith('js_uploaded');
});

// Published: clarifications and amendments.
const amendForm = document.getElementById('amendment-form');
if (amendForm) {
  const box = document.getElementById('amendment-form-error');
  const tooLate = document.getElementById('too-late');
  const list = document.getElementById('amendment-violations-list');
  let proposed = null;

  amendForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    box.hidden = true;
    tooLate.hidden = true;
    list.closest('.violations').hidden = true;
    const field = (id) => amendForm.querySelector(`#${id}`).value;
    const { changes, errors } = buildChanges({
      title: field('change_title'),
      docs_to: field('change_docs_to'),
      clarification_deadline: field('change_clarification_deadline'),
      bid_deadline: field('change_bid_deadline'),
    });
    if (errors.length) return showLocalErrors(amendForm, box, errors, t);
    clearFieldErrors(amendForm);
    const body = {
      version: tender.version,
      kind: field('amendment_kind'),
      summary: field('amendment_summary').trim(),
      body: field('amendment_body'),
      affects_bids: amendForm.querySelector('#affects_bids').checked,
      changes,
      documents: [...amendForm.querySelectorAll('input[name="documents"]:checked')].map((c) => c.value),
    };
    const res = await busy(document.getElementById('amendment-submit'), () => api('POST', `${base}/amendments`, body));
    if (res.ok) return reloadWith('js_saved');
    showApiError(amendForm, box, res.error, { ...show, list });
    proposed = res.error.details?.proposed_deadline || null;
    if (res.error.code === 'amendment_too_late' && proposed) {
      document.getElementById('too-late-message').textContent = `${res.error.message} ${t('js_too_late')} ${beijingText(proposed)}`;
      tooLate.hidden = false;
      box.hidden = true;
    }
  });

  document.getElementById('use-earliest').addEventListener('click', () => {
    const local = rfc3339ToLocal(proposed);
    if (!local) return;
    amendForm.querySelector('#change_bid_deadline').value = local;
    amendForm.requestSubmit();
  });
}

// Published: cancel.
const cancelForm = document.getElementById('cancel-form');
cancelForm?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const box = document.getElementById('cancel-form-error');
  box.hidden = true;
  if (!window.confirm(t('js_confirm_cancel'))) return;
  const reason = cancelForm.querySelector('#cancel_reason').value.trim();
  const res = await busy(document.getElementById('cancel-submit'), () => api('POST', `${base}/cancel`, { version: tender.version, reason }));
  if (!res.ok) return showApiError(cancelForm, box, res.error, show);
  reloadWith('js_cancelled');
});

// Published: request the tender's expert draw (评标专家抽取); the draw's page takes it from there.
const expertForm = document.getElementById('expert-draw-form');
expertForm?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const box = document.getElementById('expert-draw-form-error');
  box.hidden = true;
  const value = (name) => expertForm.elements.namedItem(name).value.trim();
  const errors = [];
  const time = (name) => {
    const rfc = localToRfc3339(value(name));
    if (!rfc) errors.push({ field: name, id: 'js_draw_bad_time' });
    return rfc;
  };
  const specialties = [...expertForm.querySelectorAll('input[name="specialty"]:checked')].map((i) => i.value);
  if (!specialties.length) errors.push({ field: 'expert_filter.specialties', id: 'js_draw_no_specialties' });
  const body = {
    kind: 'expert',
    tender_id: tender.id,
    purpose: value('purpose'),
    select: Number(value('select')),
    reserves: Number(value('reserves')),
    expert_filter: { specialties },
    commit_deadline: time('commit_deadline'),
    reveal_deadline: time('reveal_deadline'),
  };
  if (errors.length) return showLocalErrors(expertForm, box, errors, t);
  clearFieldErrors(expertForm);
  const res = await busy(document.getElementById('expert-draw-submit'), () => api('POST', '/api/draws', body));
  if (!res.ok) return showApiError(expertForm, box, res.error, show);
  window.location.assign(`/draws/${encodeURIComponent(res.data.id)}`);
});
