// Security event log and reporting endpoint: the options page lists and exports the log; the
// alarm retries queued reports (back-off decided in the core); start-up flushes what a closed
// browser left queued.
import { core, onMessage, ready, run } from './core.js';

const ALARM = 'crm-guard-report';

chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === ALARM) run('report alarm', -1, () => core.reportingFlush());
});
chrome.runtime.onStartup.addListener(() => run('report start-up', -1, () => core.reportingFlush()));

const filterOf = (f) => {
  if (typeof f !== 'object' || f === null) return {};
  const out = {};
  for (const k of ['crmId', 'minLevel', 'kind']) if (typeof f[k] === 'string' && f[k] !== '') out[k] = f[k];
  return out;
};

onMessage('events', 'page', (msg) => core.listEvents(filterOf(msg.filter)));
onMessage('exportEvents', 'page', (msg) => core.exportEvents(String(msg.format), filterOf(msg.filter)));
onMessage('reportingStatus', 'page', () => core.reportingStatus());

// Diagnostics for the end-to-end suite: callable from the worker's own realm only.
self.crmGuardEvents = {
  log: (event) => ready.then(() => core.logEvent(event)),
  flush: () => ready.then(() => core.reportingFlush()),
  status: () => ready.then(() => core.reportingStatus()),
};
