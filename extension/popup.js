// Popup: asks the worker for the current tab's verdict and explains each finding.
import { localise, t } from './i18n.js';

localise();

async function currentTabId() {
  const param = new URLSearchParams(location.search).get('tabId');
  if (param !== null) return Number(param);
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  return tab?.id;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function render(v) {
  const main = document.getElementById('main');
  main.replaceChildren();
  if (!v) {
    main.append(el('p', 'none', t('popupNotCrm')));
    return;
  }
  main.append(el('span', `level ${v.level}`, t(`level_${v.level}`)));
  // Whose tenant of the CRM this is (the engine decides: own, shared sign-in, foreign, checks off).
  const tenant = v.lookalike ? null : v.tenant;
  const foreign = tenant?.status === 'foreign';
  main.append(el('p', 'crm', v.lookalike ? t('popupImitates', [v.crmName]) : foreign ? t('popupTenantForeign', [v.crmName]) : v.crmName));
  main.append(el('p', 'host', v.host));
  const tenantKey = { own: 'popupTenantOwn', shared: 'popupTenantShared', off: 'popupTenantsOff' }[tenant?.status];
  if (tenantKey) {
    const line = el('p', `tenant ${tenant.status}`, t(tenantKey, [v.crmName, tenant.tenant ?? '']));
    line.id = 'tenant';
    main.append(line);
  }
  if (v.findings.length === 0) {
    main.append(el('p', 'ok', t('popupNoFindings')));
    return;
  }
  const list = el('ul', 'findings');
  for (const f of v.findings) {
    const li = el('li', f.level);
    li.dataset.kind = f.kind;
    // An aggregate (many hosts on one page) lists the first few and counts the rest.
    const detail = f.more ? `${f.detail} ${t('finding_more', [String(f.more)])}` : f.detail;
    li.append(el('strong', null, t(`finding_${f.kind}_title`, detail ? [detail] : undefined)));
    li.append(el('div', 'action', t(`finding_${f.kind}_action`, f.detail ? [f.detail] : undefined)));
    list.append(li);
  }
  main.append(list);
}

// Time left before the idle auto-logout, on CRM tabs only (worker/idle.js).
function renderIdle(s) {
  if (!s?.crmTab) return;
  const left = s.timeLeftMs;
  let text;
  if (left === null || left === undefined) text = t('popupIdleSignedOut');
  else if (s.phase.phase === 'warning') {
    const sec = Math.ceil(left / 1000);
    text = t('popupIdleCountdown', [`${Math.floor(sec / 60)}:${String(sec % 60).padStart(2, '0')}`]);
  } else text = t('popupIdleAfter', [String(Math.round(left / 60000))]);
  document.getElementById('main').append(el('p', `idle ${s.phase.phase}`, text));
}

const tabId = await currentTabId();
render(tabId === undefined ? null : await chrome.runtime.sendMessage({ type: 'verdict', tabId }));
if (tabId !== undefined) renderIdle(await chrome.runtime.sendMessage({ type: 'idleStatus', tabId }));
// Phishing guard (worker/password.js): IT policy wants it but host access to all sites is not granted yet;
// chrome.permissions.request needs this click (a user gesture).
const phishing = await chrome.runtime.sendMessage({ type: 'pwPhishingStatus' });
if (phishing?.wanted && !phishing.granted) {
  const grant = el('button', 'grant', t('popupPhishingGrant'));
  grant.type = 'button';
  grant.id = 'phishing-grant';
  grant.addEventListener('click', () =>
    chrome.permissions.request({ origins: ['<all_urls>'] }).then((ok) => ok && grant.remove(), () => {}));
  document.getElementById('main').append(el('p', 'phishing', t('popupPhishingExplain')), grant);
}
document.body.dataset.ready = 'true';
