// "Signed out of <CRM> after N minutes idle", with a link to sign in again. The worker opens it in
// the CRM tab with ?crm=&reason=&minutes=&back=; `back` is used only if it is an http(s) URL.
import { localise, t } from './i18n.js';

localise();
const q = new URLSearchParams(location.search);
const crm = (q.get('crm') ?? '').slice(0, 100) || t('signedOutYourCrm');
const minutes = Math.max(0, Math.floor(Number(q.get('minutes')) || 0));
const reason = q.get('reason');
const what = document.getElementById('what');
if (reason === 'forced') what.textContent = t('signedOutForced', [crm]);
else if (reason === 'user') what.textContent = t('signedOutUser', [crm]);
else if (reason === 'locked') what.textContent = t('signedOutLocked', [crm]);
else if (minutes < 1) what.textContent = t('signedOutIdleShort', [crm]);
else what.textContent = t('signedOutIdle', [crm, String(minutes)]);
document.title = what.textContent;

const again = document.getElementById('again');
let back = null;
try {
  const u = new URL(q.get('back') ?? '');
  if (u.protocol === 'https:' || u.protocol === 'http:') back = u.origin + '/';
} catch {}
if (back) {
  again.href = back;
  again.textContent = t('signedOutAgain', [crm]);
} else {
  again.remove();
}
document.body.dataset.ready = 'true';
