// Diagnostics page for IT: one `diagnostics` reply from the worker (secrets already masked there)
// shown as tables and exported as the same JSON for a support ticket. Untrusted text (policy
// values, errors, endpoints) only ever goes through textContent.
import { localise, message, t } from './i18n.js';
import './generated/protocol.js';

localise();

const send = (msg) => chrome.runtime.sendMessage(msg);
const $ = (id) => document.getElementById(id);
const { keys: KEYS } = globalThis.crmGuardProtocol;
let last = null;
let renders = 0;

function el(tag, props = {}, text) {
  const e = Object.assign(document.createElement(tag), props);
  if (text !== undefined) e.textContent = text;
  return e;
}

const json = (v) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2));
const when = (ms) => (ms ? new Date(ms).toLocaleString() : t('diag_never'));

function rows(table, list) {
  const body = $(table).tBodies[0];
  body.replaceChildren(...list.map(({ cells, data = {} }) => {
    const tr = el('tr');
    Object.assign(tr.dataset, data);
    tr.append(...cells.map((c) => (c instanceof Node ? c : el('td', {}, c ?? ''))));
    return tr;
  }));
}

const pairs = (table, list) => rows(table, list.map(([k, v, name]) => ({ cells: [el('th', {}, t(k)), v], data: { name } })));

function sourceText(s) {
  if (s.locked) return t('diag_source_managedLocked');
  return t(`diag_source_${s.source}`);
}

function render(d) {
  last = d;
  pairs('extension', [['diag_id', d.extension.id, 'id'], ['diag_version', d.extension.version, 'version'],
    ['diag_browser', `${d.extension.browser} (${d.extension.userAgent})`, 'browser']]);
  const r = d.reporting;
  pairs('reporting', [
    ['diag_format', r.format, 'format'],
    ['diag_endpoint', r.enabled ? r.endpoint : t('diag_off'), 'endpoint'],
    ['diag_queued', String(r.queued), 'queued'],
    ['diag_lastSuccess', when(r.lastSuccessMs), 'lastSuccess'],
    ['diag_lastError', r.lastError ? `${r.lastError} (${when(r.lastErrorMs)})` : t('diag_none'), 'lastError'],
    ['diag_failures', String(r.failures), 'failures'],
  ]);
  rows('settings', d.settings.map((s) => ({
    cells: [s.key, json(s.value), el('td', { className: `source-${s.locked ? 'managed' : s.source}` }, sourceText(s))],
    data: { key: s.key, source: s.source, locked: String(s.locked) },
  })));
  rows('errors', d.errors.map((e) => ({
    cells: [e.key, e.value, message(`policyReason_${e.reason?.code}`) || e.message || '', e.applied, t(`options_source_${e.source}`)],
    data: { key: e.key, source: e.source },
  })));
  $('errors').hidden = d.errors.length === 0;
  $('no-errors').hidden = d.errors.length > 0;
  $('managed').textContent = json(d.managedPolicy);
  rows('catalog', d.catalog.map((c) => ({ cells: [`${c.name} (${c.id})`, c.hosts.join(' ')], data: { id: c.id } })));
  $('tenants').textContent = json(d.tenants);
  document.body.dataset.renders = String(++renders);
}

const load = async () => render(await send({ type: 'diagnostics' }));

$('export').addEventListener('click', () => {
  const url = URL.createObjectURL(new Blob([JSON.stringify(last, null, 2)], { type: 'application/json;charset=utf-8' }));
  const a = el('a', { href: url, download: 'crm-guard-diagnostics.json' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
});

$('send-test').addEventListener('click', async () => {
  const e = await send({ type: 'sendTestEvent' });
  $('test-status').textContent = t(last?.reporting.enabled ? 'diag_testSent' : 'diag_testOff', [String(e.id)]);
  $('test-status').dataset.eventId = String(e.id);
});

// Live: a policy change, options saved elsewhere, the queue moving.
chrome.storage.onChanged.addListener((changes, area) => {
  if (area === 'managed' || (area === 'local' && (KEYS.options in changes || KEYS.reportStatus in changes
    || KEYS.reportQueue in changes))) load().catch((e) => console.error('[crm-guard] diagnostics:', e));
});

await load();
document.body.dataset.ready = 'true';
