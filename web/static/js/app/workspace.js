// The workspace: create a project (owners) and a tender draft, then open the draft; an owner
// announces an agent draw for a project and is taken to the draw's page.

import { api, pageData, t } from './api.js';
import { busy, clearFieldErrors, showApiError, showLocalErrors } from './fields.js';
import { beijingText, localToRfc3339 } from './format.js';
import { buildSpec } from './spec.js';
import { initTenderForm, readTenderForm } from './tender-form.js';

const data = pageData();

const projectForm = document.getElementById('project-form');
// A project whose agent is drawn names none by hand.
const byDraw = document.getElementById('project_agent_by_draw');
byDraw?.addEventListener('change', () => {
  const agent = document.getElementById('project_agent');
  agent.disabled = byDraw.checked;
  if (byDraw.checked) agent.value = '';
});
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
    agent_by_draw: projectForm.elements.namedItem('agent_by_draw').checked,
  };
  const res = await busy(document.getElementById('project-submit'), () => api('POST', '/api/projects', body));
  if (!res.ok) return showApiError(projectForm, box, res.error, { t, when: beijingText });
  window.location.reload();
});

const tenderForm = document.getElementById('tender-form');
if (tenderForm) {
  initTenderForm(tenderForm, { orgs: data.orgs || {}, spec: null, now: data.now });
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

/** The agent-draw request the form describes, or the fields it cannot send as they are. */
function readDrawForm(form) {
  const value = (name) => form.elements.namedItem(name).value.trim();
  const errors = [];
  const time = (name, field) => {
    const rfc = localToRfc3339(value(name));
    if (!rfc) errors.push({ field, id: 'js_draw_bad_time' });
    return rfc;
  };
  const parties = [...form.querySelectorAll('input[name="party"]:checked')].map((i) => i.value);
  if (!parties.length) errors.push({ field: 'parties', id: 'js_draw_no_parties' });
  const body = {
    kind: 'agent',
    project_id: value('project_id'),
    purpose: value('purpose'),
    select: Number(value('select')),
    reserves: Number(value('reserves')),
    agent_filter: { category: value('category') },
    parties,
    commit_deadline: time('commit_deadline', 'commit_deadline'),
    reveal_deadline: time('reveal_deadline', 'reveal_deadline'),
  };
  if (value('beacon_source') || value('beacon_round')) {
    body.beacon = {
      source: value('beacon_source'),
      round: value('beacon_round'),
      deadline: time('beacon_deadline', 'beacon.deadline'),
    };
  }
  return { body, errors };
}

const drawForm = document.getElementById('draw-form');
drawForm?.addEventListener('submit', async (event) => {
  event.preventDefault();
  const box = document.getElementById('draw-form-error');
  box.hidden = true;
  const { body, errors } = readDrawForm(drawForm);
  if (errors.length) return showLocalErrors(drawForm, box, errors, t);
  clearFieldErrors(drawForm);
  const res = await busy(document.getElementById('draw-submit'), () => api('POST', '/api/draws', body));
  if (!res.ok) return showApiError(drawForm, box, res.error, { t, when: beijingText });
  window.location.assign(`/draws/${encodeURIComponent(res.data.id)}`);
});
