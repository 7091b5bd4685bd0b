// Idle and lock auto-logout (issue 5): forwards chrome.idle, the idle alarm, settings changes and
// the in-page warning's messages to the state machine in WASM (core.idleEvent). Calls run one at
// a time, in arrival order: each loads the machine from chrome.storage.session and saves it back.
import { core, onMessage, run } from './core.js';

const ALARM = 'crm-guard-idle';
let chain = Promise.resolve();

function serial(what, event) {
  chain = chain.then(() => run(`idle ${what}`, -1, () => core.idleEvent(event)));
  return chain;
}

// Every worker start reconciles first: an overdue countdown logs out at once, and the detection
// interval is set again.
serial('wake', { type: 'wake' });

chrome.idle.onStateChanged.addListener((state) => serial(state, { type: 'browser', state }));
chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name === ALARM) serial('alarm', { type: 'alarm' });
});
chrome.storage.onChanged.addListener((changes, area) => {
  if (area === 'managed' || (area === 'local' && ('options' in changes || 'idleTestOverride' in changes))) {
    serial('settings', { type: 'settings' });
  }
});

// From the in-page warning (content/idle-warning.js): a trusted click on "Stay signed in"; the
// countdown reached zero (wakes a stopped worker, which then reconciles); a page (re)loaded during
// the countdown asks whether to show it.
onMessage('idleStay', 'crm', () => serial('stay signed in', { type: 'staySignedIn' }));
onMessage('idleDeadline', 'crm', () => serial('deadline', { type: 'alarm' }));
onMessage('idleQuery', 'crm', (_msg, from) =>
  chain.then(() => (from.frameId === 0 ? core.idleWarningFor(from.url) : null)));
// From the popup: time left before the auto-logout.
onMessage('idleStatus', 'page', (msg) => chain.then(() => core.idleStatus(Number(msg.tabId))));
