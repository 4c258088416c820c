// The workspace: create a project (owners) and a tender draft, then open the draft.

import { api, pageData, t } from './api.js';
import { busy, clearFieldErrors, showApiError, showLocalErrors } from './fields.js';
import { beijingText } from './format.js';
import { buildSpec } from './spec.js';
import { initTenderForm, readTenderForm } from './tender-form.js';

const data = pageData();

const projectForm = document.getElementById('project-form');
projectForm?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const box = document.getElementById('project-form-error');
  box.hidden = true;
  clearFieldErrors(projectForm);
  const body = {
    name: projectForm.elements.namedItem('name').value.trim(),
    code: projectForm.elements.namedItem('code').value.trim(),
    region: projectForm.elements.namedItem('region').value.trim(),
    agent_org_id: projectForm.elements.namedItem('agent_org_id').value || null,
  };
  const res = await busy(document.getElementById('project-submit'), () => api('POST', '/api/projects', body));
  if (!res.ok) return showApiError(projectForm, box, res.error, { t, when: beijingText });
  window.location.reload();
});

const tenderForm = document.getElementById('tender-form');
if (tenderForm) {
  initTenderForm(tenderForm, { orgs: data.orgs || {}, spec: null });
  tenderForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const box = document.getElementById('tender-form-error');
    box.hidden = true;
    const { spec, errors } = buildSpec(readTenderForm(tenderForm));
    if (errors.length) return showLocalErrors(tenderForm, box, errors, t);
    clearFieldErrors(tenderForm);
    const body = { project_id: tenderForm.querySelector('#project_id').value, spec };
    const res = await busy(document.getElementById('tender-submit'), () => api('POST', '/api/tenders', body));
    if (!res.ok) return showApiError(tenderForm, box, res.error, { t, when: beijingText });
    window.location.assign(`/workspace/tenders/${encodeURIComponent(res.data.id)}`);
  });
}
