// Options page, by audience: first what an employee needs (what is protected here, what the
// organisation locked and why, the security log with filters and export), then "Advanced
// settings": one control per setting, built from the core's key table (settingsSchema) and
// grouped as it says; keys set by managed policy are read-only with the value in force; each
// problem of the policy and of the user's options is named beside its field and in one table.
// Untrusted text (policy values, event details) only ever goes through textContent.
import { localise, message, t } from './i18n.js';
import './generated/protocol.js';

localise();

const send = (msg) => chrome.runtime.sendMessage(msg);
const $ = (id) => document.getElementById(id);
const { keys: KEYS, secretKeys, eventKinds: EVENT_KINDS } = globalThis.crmGuardProtocol;
const SECRET_KEYS = new Set(secretKeys);

let schema = [];
let renders = 0;

function el(tag, props = {}, text) {
  const e = Object.assign(document.createElement(tag), props);
  if (text !== undefined) e.textContent = text;
  return e;
}

// Localised text, or the fallback when the key has no message.
const tr = (key, subs, fallback) => message(key, subs) || fallback || key;

// ---------------------------------------------------------------------------------------------
// Settings form.

function defaultOf(spec) {
  switch (spec.type) {
    case 'bool': case 'int': case 'choice': return spec.default;
    case 'text': case 'httpsUrl': return null;
    case 'tenantMap': return {};
    default: return [];
  }
}

const isList = (spec) => ['hostList', 'crmIdList', 'crmList'].includes(spec.type);

function entryText(v) {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && v.name === 'Self-hosted CRM' && Array.isArray(v.hosts) && v.hosts.length === 1
      && !v.logoutUrl) return v.hosts[0];
  if (v && typeof v === 'object' && 'hosts' in v) {
    // A self-hosted CRM in the order an admin writes it (the worker's reply has sorted keys).
    const { name, hosts, logoutUrl, ...rest } = v;
    return JSON.stringify({ name, hosts, ...(logoutUrl == null ? {} : { logoutUrl }), ...rest });
  }
  return JSON.stringify(v);
}

/** The text a control shows for a value (from the settings in force or the stored options). */
function display(spec, v) {
  if (isList(spec)) return Array.isArray(v) ? v.map(entryText).join('\n') : (v == null ? '' : entryText(v));
  if (v == null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function control(spec, value, locked) {
  let c;
  if (spec.type === 'bool') {
    c = el('input', { type: 'checkbox', checked: value === true });
  } else if (spec.type === 'choice') {
    c = el('select');
    for (const v of spec.values) c.append(el('option', { value: v }, v));
    c.value = spec.values.includes(value) ? value : spec.default;
  } else if (isList(spec)) {
    c = el('textarea', { rows: 3, spellcheck: false, placeholder: t('options_onePerLine') });
    c.value = display(spec, value);
  } else {
    const secret = SECRET_KEYS.has(spec.key);
    // A secret set by policy never reaches this page (the worker masks it in every reply): it
    // reads "set (never shown)", beside "set by your organisation".
    const hidden = secret && locked;
    c = el('input', { type: secret && !hidden ? 'password' : 'text', autocomplete: 'off', spellcheck: false });
    if (spec.type === 'int') c.inputMode = 'numeric';
    c.value = shown(spec, value, hidden);
  }
  c.id = `f-${spec.key}`;
  c.name = spec.key;
  c.className = 'control';
  c.disabled = locked;
  return c;
}

/** The value of an unlocked control, as JSON for the core (which validates and names errors). */
function read(spec, c) {
  if (spec.type === 'bool') return c.checked;
  if (spec.type === 'choice') return c.value;
  if (isList(spec)) {
    return c.value.split('\n').map((l) => l.trim()).filter(Boolean).map((line) => {
      if (spec.type === 'crmList' && line.startsWith('{')) {
        try { return JSON.parse(line); } catch { return line; }
      }
      return line;
    });
  }
  const s = c.value.trim();
  if (spec.type === 'int') return /^-?\d+$/.test(s) ? Number(s) : (s === '' ? spec.default : s);
  // `tenants` is JSON ({"salesforce": ["acme.my.salesforce.com"]}); the core names what is wrong.
  if (spec.type === 'tenantMap') {
    if (s === '') return {};
    try { return JSON.parse(s); } catch { return s; }
  }
  return s === '' ? null : s;
}

// Every setting's title in the page's language (the schema's title is English, for IT tools).
const titleOf = (spec) => tr(`setting_${spec.key}`, undefined, spec.title);
const lockedWhy = (spec) => t(spec.enforcement ? 'options_lockedWhyEnforcement' : 'options_lockedWhyManaged');

function shown(spec, value, locked) {
  if (SECRET_KEYS.has(spec.key) && locked) return value ? t('options_secretSet') : '';
  return display(spec, value);
}

function renderForm(effective, stored) {
  const fields = $('fields');
  fields.replaceChildren();
  const locked = new Set(effective.locked);
  const groups = new Map();
  for (const spec of schema) {
    const group = spec.group ?? 'other';
    if (!groups.has(group)) {
      const set = el('fieldset', { className: 'group', id: `group-${group}` });
      set.dataset.group = group;
      set.append(el('legend', {}, tr(`options_group_${group}`, undefined, group)));
      groups.set(group, set);
      fields.append(set);
    }
    const isLocked = locked.has(spec.key);
    const value = isLocked || !(spec.key in stored) ? effective.settings[spec.key] : stored[spec.key];
    const row = el('div', { className: 'field' });
    row.dataset.key = spec.key;
    if (isLocked) { row.classList.add('locked'); row.dataset.locked = 'true'; }
    const label = el('label', { className: 'title', htmlFor: `f-${spec.key}` }, titleOf(spec));
    label.append(el('span', { className: 'key' }, spec.key));
    const cell = el('div', { className: 'cell' });
    const c = control(spec, value, isLocked);
    c.setAttribute('aria-describedby', `err-${spec.key} desc-${spec.key}`);
    cell.append(c);
    if (isLocked) {
      cell.append(el('span', { className: 'locked-note' }, t('options_locked')));
      cell.append(el('span', { className: 'locked-why' }, lockedWhy(spec)));
    }
    cell.append(el('p', { className: 'field-error', id: `err-${spec.key}` }));
    row.append(label, cell, el('div', { className: 'desc', id: `desc-${spec.key}` }, spec.description));
    groups.get(group).append(row);
  }
  markFieldErrors(effective.errors);
}

/** Each field's own problem, beside it (the table above lists them all). */
function markFieldErrors(errors) {
  for (const row of $('fields').querySelectorAll('.field')) {
    const mine = errors.filter((e) => e.key === row.dataset.key);
    row.classList.toggle('invalid', mine.length > 0);
    const c = row.querySelector('.control');
    if (mine.length) c.setAttribute('aria-invalid', 'true');
    else c.removeAttribute('aria-invalid');
    row.querySelector('.field-error').textContent = mine.map(reasonText).join(' · ');
  }
}

// What an employee needs first: what is protected here, in plain words.
function renderSummary(effective) {
  const s = effective.settings;
  const crms = [t('options_sumCrms')];
  const own = (s.crmHosts ?? []).map((c) => c.name ?? c.hosts?.[0]).filter(Boolean);
  if (own.length) crms.push(t('options_sumCrmsOwn', [own.join(', ')]));
  if (s.disabledCrms?.length) crms.push(t('options_sumCrmsIgnored', [s.disabledCrms.join(', ')]));
  $('sum-crms').textContent = crms.join(' ');
  const tenants = Object.entries(s.tenants ?? {}).filter(([, v]) => Array.isArray(v) && v.length);
  $('sum-tenants').textContent = tenants.length
    ? t('options_sumTenants', [tenants.map(([crm, v]) => `${crm}: ${v.join(', ')}`).join('; ')])
    : t('options_sumTenantsOff');
  $('sum-signout').textContent = [t('options_sumSignOut', [String(s.idleTimeoutMinutes), String(s.warningSeconds)]),
    ...(s.logoutOnLock ? [t('options_sumSignOutLock')] : [])].join(' ');
  $('sum-passwords').textContent = [t('options_sumPasswords', [String(s.passwordMinLength), String(s.passwordMinScore)]),
    t(s.passwordMode === 'block' ? 'options_sumPasswordsBlock' : 'options_sumPasswordsWarn'),
    ...(s.reuseGuard ? [t('options_sumReuse')] : [])].join(' ');
  $('summary').removeAttribute('aria-busy');
}

// What the organisation locked, with the value in force and why it cannot be changed here.
function renderLocked(effective) {
  const locked = new Set(effective.locked);
  const body = $('locked-list').tBodies[0];
  body.replaceChildren();
  for (const spec of schema.filter((x) => locked.has(x.key))) {
    const row = el('tr');
    row.dataset.lockedKey = spec.key; // not data-key: that names the field rows
    row.append(el('th', { scope: 'row' }, titleOf(spec)), el('td', {}, shown(spec, effective.settings[spec.key], true)),
      el('td', { className: 'why' }, lockedWhy(spec)));
    body.append(row);
  }
  $('locked-none').hidden = locked.size > 0;
  $('locked-some').hidden = locked.size === 0;
}

function reasonText(e) {
  const r = e.reason ?? {};
  const subs = {
    wrongType: [r.expected, r.found], outOfRange: [r.min, r.max], notOneOf: [(r.allowed ?? []).join(', ')],
    tooLong: [r.max], tooShort: [r.min], tooManyItems: [r.max], badPattern: [r.detail], badUrl: [r.detail],
    unknownField: [r.field], moreErrors: [r.count],
  }[r.code];
  return tr(`policyReason_${r.code}`, subs?.map(String), e.message);
}

function renderErrors(errors) {
  const body = $('errors').tBodies[0];
  body.replaceChildren();
  for (const e of errors) {
    const tr_ = el('tr');
    tr_.dataset.key = e.key;
    tr_.dataset.source = e.source;
    tr_.dataset.code = e.reason?.code ?? '';
    tr_.append(el('td', {}, e.key), el('td', {}, e.value), el('td', {}, reasonText(e)), el('td', {}, e.applied),
      el('td', { className: `source-${e.source}` }, t(`options_source_${e.source}`)));
    body.append(tr_);
  }
  $('errors').hidden = errors.length === 0;
  $('no-errors').hidden = errors.length > 0;
}

async function loadSettings() {
  const [effective, { [KEYS.options]: options }] = await Promise.all([
    send({ type: 'settings', fresh: true }),
    chrome.storage.local.get(KEYS.options),
  ]);
  if (!effective) throw new Error('no settings from the service worker');
  renderSummary(effective);
  renderLocked(effective);
  renderForm(effective, options && typeof options === 'object' ? options : {});
  $('settings-loading').hidden = true;
  $('fields').removeAttribute('aria-busy');
  // When the settings first showed, in ms since the page started loading (benchmarks read it).
  document.body.dataset.settingsShownAt ??= String(Math.round(performance.now()));
  renderErrors(effective.errors);
}

$('settings').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const options = {};
  for (const spec of schema) {
    const c = $(`f-${spec.key}`);
    if (!c || c.disabled) continue;
    const v = read(spec, c);
    if (JSON.stringify(v) !== JSON.stringify(defaultOf(spec))) options[spec.key] = v;
  }
  const effective = await send({ type: 'saveOptions', options });
  if (!effective) {
    $('save-status').textContent = t('options_saveFailed');
    return;
  }
  const mine = effective.errors.filter((e) => e.source === 'user').length;
  $('save-status').textContent = mine ? t('options_savedWithErrors', [String(mine)]) : t('options_saved');
  renderErrors(effective.errors);
  markFieldErrors(effective.errors);
  renderSummary(effective);
  document.body.dataset.saved = String(Number(document.body.dataset.saved ?? 0) + 1);
});

// "Reset to defaults": every unlocked setting back to its default (locked ones are IT's).
$('reset').addEventListener('click', async () => {
  const effective = await send({ type: 'saveOptions', options: {} });
  if (!effective) {
    $('save-status').textContent = t('options_saveFailed');
    return;
  }
  renderSummary(effective);
  renderLocked(effective);
  renderForm(effective, {});
  renderErrors(effective.errors);
  $('save-status').textContent = t('options_resetDone');
  document.body.dataset.reset = String(Number(document.body.dataset.reset ?? 0) + 1);
});

// ---------------------------------------------------------------------------------------------
// Event log.

function filter() {
  return { crmId: $('filter-crm').value, minLevel: $('filter-level').value, kind: $('filter-kind').value };
}

function fillSelect(select, entries) {
  const keep = select.value;
  select.replaceChildren(...entries.map(([value, label]) => el('option', { value }, label)));
  if (entries.some(([v]) => v === keep)) select.value = keep;
}

async function loadEvents() {
  const list = await send({ type: 'events', filter: filter() });
  if (!list) return;
  fillSelect($('filter-crm'), [['', t('options_all')], ...list.crms.map((c) => [c, c])]);
  const body = $('events').tBodies[0];
  body.replaceChildren();
  for (const e of list.events) {
    const row = el('tr');
    row.dataset.id = e.id;
    row.dataset.kind = e.kind;
    row.append(
      el('td', {}, new Date(e.timeMs).toLocaleString(chrome.i18n.getUILanguage())),
      el('td', {}, tr(`event_kind_${e.kind}`, undefined, e.kind)),
      el('td', {}, e.crmId ?? ''),
      el('td', {}, e.host ?? ''),
      el('td', { className: e.level ? `level-${e.level}` : '' }, e.level ? t(`level_${e.level}`) : ''),
      el('td', {}, e.detail ?? ''),
    );
    body.append(row);
  }
  $('events-count').textContent = t('options_eventsCount', [String(list.matching), String(list.total)]);
}

async function download(format) {
  const text = await send({ type: 'exportEvents', format, filter: filter() });
  if (typeof text !== 'string') return;
  const type = format === 'json' ? 'application/json' : 'text/csv';
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
  const a = el('a', { href: url, download: `crm-guard-events.${format}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

fillSelect($('filter-level'), [['', t('options_all')], ['warning', t('level_warning')], ['atRisk', t('level_atRisk')]]);
fillSelect($('filter-kind'), [['', t('options_all')], ...EVENT_KINDS.map((k) => [k, t(`event_kind_${k}`)])]);
for (const id of ['filter-crm', 'filter-level', 'filter-kind']) $(id).addEventListener('change', loadEvents);
$('export-json').addEventListener('click', () => download('json'));
$('export-csv').addEventListener('click', () => download('csv'));

// ---------------------------------------------------------------------------------------------
// Live: a policy change, options saved elsewhere, new events.

async function refresh(what) {
  if (what.settings) await loadSettings();
  if (what.events) await loadEvents();
  document.body.dataset.renders = String(++renders);
}

chrome.storage.onChanged.addListener((changes, area) => {
  const settings = area === 'managed' || (area === 'local' && KEYS.options in changes);
  const events = area === 'local' && KEYS.eventLog in changes;
  if (settings || events) refresh({ settings, events }).catch((e) => console.error('[crm-guard] options:', e));
});

schema = await send({ type: 'settingsSchema' });
await refresh({ settings: true, events: true });
document.body.dataset.ready = 'true';
