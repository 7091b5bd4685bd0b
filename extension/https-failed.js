// "HTTPS failed" page: a CRM navigation that CRM Guard upgraded to https could not be completed
// securely. Explains why; offers to continue over http only if IT lists the host in
// httpsExceptionHosts (the worker checks that again before it allows anything).
import { localise, t } from './i18n.js';

localise();

const url = new URLSearchParams(location.search).get('url') ?? '';
const info = url ? await chrome.runtime.sendMessage({ type: 'network.httpsFailedInfo', url }) : null;

document.getElementById('why').textContent = t('httpsFailed_body', [info?.host ?? '?']);
document.getElementById('policy').textContent = t(info?.canContinue ? 'httpsFailed_exception' : 'httpsFailed_noException');

const retry = document.getElementById('retry');
retry.disabled = !info;
retry.addEventListener('click', () => location.replace(url));

const cont = document.getElementById('continue');
cont.hidden = !info?.canContinue;
cont.addEventListener('click', async () => {
  cont.disabled = true;
  const allowed = await chrome.runtime.sendMessage({ type: 'network.continueHttp', url });
  if (typeof allowed === 'string' && allowed.startsWith('http:')) location.replace(allowed);
  else cont.hidden = true;
});
document.body.dataset.ready = 'true';
