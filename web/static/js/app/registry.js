// The agents' registry pages (三表三制). On `/registry/agent` an agent fills in its three forms and
// accepts the three rules: this browser signs each acceptance with the organisation's signing key
// (made and registered here if it has none; the private key never leaves the browser) and submits
// them. On `/registry/agents` and `/registry/agents/{org}` the trading centre records credit
// records, approves or rejects a registration with its reason and records qualifications. Every
// refusal is shown in the page's language from its code.

import { api, pageData, t } from './api.js';
import { busy, clearFieldErrors, showApiError, showLocalErrors } from './fields.js';
import { beijingText } from './format.js';
import { ensureSigningKey, sign } from './keystore.js';
import { readAgentForms, readPeriod, ruleMessage } from './registry-forms.js';

const $ = (id) => document.getElementById(id);
const data = pageData();

function done(id) {
  sessionStorage.setItem('bidhall-registry-flash', id);
  window.location.reload();
}

const flash = sessionStorage.getItem('bidhall-registry-flash');
if (flash && $('flash')) {
  sessionStorage.removeItem('bidhall-registry-flash');
  $('flash').textContent = t(flash);
  $('flash').hidden = false;
}

// ---- the agent's own forms ------------------------------------------------------------------

const staffRows = $('staff-rows');

function addStaff(s = {}) {
  const row = $('staff-row').content.firstElementChild.cloneNode(true);
  const i = staffRows.children.length;
  for (const input of row.querySelectorAll('[data-staff]')) {
    input.value = s[input.dataset.staff] || '';
    input.dataset.field = `staff[${i}].${input.dataset.staff}`;
  }
  row.querySelector('[data-remove-staff]').addEventListener('click', () => {
    row.remove();
    renumber();
  });
  staffRows.append(row);
}

function renumber() {
  [...staffRows.children].forEach((row, i) => {
    for (const input of row.querySelectorAll('[data-staff]')) input.dataset.field = `staff[${i}].${input.dataset.staff}`;
  });
}

const agentForm = $('agent-form');
if (agentForm) {
  const prior = data.forms;
  const set = (id, value) => { if (value != null && $(id)) $(id).value = value; };
  if (prior) {
    set('org_address', prior.organisation.address);
    set('org_phone', prior.organisation.phone);
    set('org_capital', (prior.organisation.registered_capital_fen / 100).toFixed(2));
    set('legal_name', prior.legal_representative.name);
    set('legal_id', prior.legal_representative.id_number);
    set('legal_phone', prior.legal_representative.phone);
    set('signed_by', prior.commitments?.[0]?.signed_by);
    for (const s of prior.staff) addStaff(s);
  }
  if (!staffRows.children.length) addStaff();
  $('add-staff').addEventListener('click', () => addStaff());
  $('legal_name').addEventListener('change', () => {
    if (!$('signed_by').value.trim()) $('signed_by').value = $('legal_name').value.trim();
  });

  agentForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const box = $('agent-form-error');
    box.hidden = true;
    const accepted = {};
    for (const c of agentForm.querySelectorAll('[data-accept]')) accepted[c.dataset.accept] = c.checked;
    const { body, errors } = readAgentForms({
      orgName: $('org_name').value,
      creditCode: $('credit_code').value,
      address: $('org_address').value,
      phone: $('org_phone').value,
      capital: $('org_capital').value,
      legalName: $('legal_name').value,
      legalId: $('legal_id').value,
      legalPhone: $('legal_phone').value,
      staff: [...staffRows.children].map((row) => Object.fromEntries(
        [...row.querySelectorAll('[data-staff]')].map((i) => [i.dataset.staff, i.value]),
      )),
      accepted,
      rules: data.rules || [],
      signedBy: $('signed_by').value,
    });
    if (errors.length) return showLocalErrors(agentForm, box, errors, t);
    clearFieldErrors(agentForm);
    const res = await busy($('agent-submit'), async () => {
      // The organisation's key in this browser, registered with the hall, signs each acceptance.
      const key = await ensureSigningKey(data.org_id, `${t('js_browser_key_label')} ${new Date().toISOString().slice(0, 10)}`);
      if (!key.ok) return { ok: false, error: key.error };
      const listed = await api('GET', '/api/keys');
      if (!listed.ok) return listed;
      const registered = (listed.data || []).find((k) => k.fingerprint === key.key.fingerprint);
      if (!registered) return { ok: false, error: { code: 'generic', message: t('js_registry_no_key'), details: {} } };
      for (const c of body.commitments) {
        const message = await ruleMessage(data.org_id, c.rule, c.text_sha256, c.signed_by);
        c.key_id = registered.id;
        c.signature = await sign(key.key.privateKey, message);
      }
      return api('POST', '/api/registry/agents', body);
    });
    if (!res.ok) return showApiError(agentForm, box, res.error, { t, when: beijingText });
    done('js_registry_submitted');
  });
}

// ---- the trading centre: review, qualifications, credit -------------------------------------

const orgBase = data.org_id ? `/api/registry/agents/${encodeURIComponent(data.org_id)}` : null;

const reviewForm = $('review-form');
if (reviewForm) {
  reviewForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const box = $('review-form-error');
    box.hidden = true;
    const approve = event.submitter?.value !== 'reject';
    const reason = $('review_reason').value.trim();
    if (!approve && !reason) return showLocalErrors(reviewForm, box, [{ field: 'reason', id: 'js_registry_reason_required' }], t);
    clearFieldErrors(reviewForm);
    const res = await busy(event.submitter || $('approve'), () => api('POST', `${orgBase}/review`, { approve, reason }));
    if (!res.ok) return showApiError(reviewForm, box, res.error, { t, when: beijingText });
    done(approve ? 'js_registry_approved' : 'js_registry_rejected');
  });
}

const qualForm = $('qualification-form');
if (qualForm) {
  qualForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const box = $('qualification-form-error');
    box.hidden = true;
    const categories = [...qualForm.querySelectorAll('input[name="category"]:checked')].map((i) => i.value);
    const { from, to, errors } = readPeriod($('qual_from').value, $('qual_to').value, 'valid_from', 'valid_to');
    if (!categories.length) errors.unshift({ field: 'categories', id: 'js_registry_no_category' });
    if (errors.length) return showLocalErrors(qualForm, box, errors, t);
    clearFieldErrors(qualForm);
    const body = { categories, grade: Number($('qual_grade').value), valid_from: from, valid_to: to };
    const res = await busy($('qualification-submit'), () => api('POST', `${orgBase}/qualifications`, body));
    if (!res.ok) return showApiError(qualForm, box, res.error, { t, when: beijingText });
    done('js_registry_qualification_recorded');
  });
}

const creditForm = $('credit-form');
if (creditForm) {
  creditForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const box = $('credit-form-error');
    box.hidden = true;
    const org = $('credit-submit').dataset.org || $('credit_org')?.value;
    const { from, to, errors } = readPeriod($('credit_from').value, $('credit_to').value, 'from', 'to');
    const reason = $('credit_reason').value.trim();
    const source = $('credit_source').value.trim();
    if (!reason) errors.unshift({ field: 'reason', id: 'js_registry_required' });
    if (!source) errors.unshift({ field: 'source_document', id: 'js_registry_required' });
    if (errors.length) return showLocalErrors(creditForm, box, errors, t);
    clearFieldErrors(creditForm);
    const body = { org_id: org, colour: $('credit_colour').value, reason, source_document: source, from, to };
    const res = await busy($('credit-submit'), () => api('POST', '/api/registry/credit', body));
    if (!res.ok) return showApiError(creditForm, box, res.error, { t, when: beijingText });
    done('js_registry_credit_recorded');
  });
}
