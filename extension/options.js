// Options page: one control per setting, built from the core's key table (settingsSchema);
// keys set by managed policy are read-only with the value in force; every problem of the policy
// and of the user's options is listed by name; the security event log with filters and export.
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
    c.value = hidden ? (value ? t('options_secretSet') : '') : display(spec, value);
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

function renderForm(effective, stored) {
  const fields = $('fields');
  fields.replaceChildren();
  const locked = new Set(effective.locked);
  const invalid = new Set(effective.errors.map((e) => e.key));
  for (const spec of schema) {
    const isLocked = locked.has(spec.key);
    const value = isLocked || !(spec.key in stored) ? effective.settings[spec.key] : stored[spec.key];
    const row = el('div', { className: 'field' });
    row.dataset.key = spec.key;
    if (isLocked) { row.classList.add('locked'); row.dataset.locked = 'true'; }
    if (invalid.has(spec.key)) row.classList.add('invalid');
    const label = el('label', { className: 'title', htmlFor: `f-${spec.key}` }, spec.title);
    label.append(el('span', { className: 'key' }, spec.key));
    const cell = el('div');
    cell.append(control(spec, value, isLocked));
    if (isLocked) cell.append(el('span', { className: 'locked-note' }, t('options_locked')));
    row.append(label, cell, el('div', { className: 'desc' }, spec.description));
    fields.append(row);
  }
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
  for (const row of $('fields').children) {
    row.classList.toggle('invalid', effective.errors.some((e) => e.key === row.dataset.key));
  }
  document.body.dataset.saved = String(Number(document.body.dataset.saved ?? 0) + 1);
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
