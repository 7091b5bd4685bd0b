// The export page: asks for a reason before a held download from a CRM is saved (`?id=`), or
// explains why one was blocked (`?blocked=<kind>&crm=<name>`). The worker decides and logs;
// this page only shows and forwards the user's answer.
import { localise, t } from './i18n.js';

localise();

const params = new URLSearchParams(location.search);
const kindText = (kind) => t(`export_kind_${['table', 'report', 'other'].includes(kind) ? kind : 'other'}`);
// The CRM and its host: another organisation's tenant must not read as "from Salesforce".
const named = (crm, host) => (crm ? (host ? `${crm} (${host})` : crm) : '?');
const show = (id) => {
  document.getElementById(id).hidden = false;
};
const finish = (text) => {
  document.getElementById('ask').hidden = true;
  const done = document.getElementById('done');
  done.textContent = text;
  done.hidden = false;
  document.body.dataset.answered = 'true';
};

if (params.has('blocked')) {
  document.getElementById('heading').textContent = t('export_blockedTitle');
  document.title = t('export_blockedTitle');
  document.getElementById('blockedWhy').textContent = t('export_blockedBody', [kindText(params.get('blocked')), named(params.get('crm'), params.get('host'))]);
  show('blocked');
} else {
  const id = Number(params.get('id'));
  const info = await chrome.runtime.sendMessage({ type: 'exportPromptInfo', id });
  if (!info) {
    finish(t('export_gone'));
  } else {
    document.getElementById('askWhy').textContent = t('export_askBody', [kindText(info.kind), named(info.crm, info.host)]);
    show('ask');
    const reason = document.getElementById('reason');
    reason.focus();
    const answer = async (proceed) => {
      const r = await chrome.runtime.sendMessage({ type: 'exportDecision', id, proceed, reason: reason.value });
      if (r?.needReason) {
        show('needReason');
        reason.focus();
        return;
      }
      finish(t(proceed ? 'export_proceeded' : 'export_cancelled'));
      setTimeout(() => window.close(), 1500);
    };
    document.getElementById('ask').addEventListener('submit', (e) => {
      e.preventDefault();
      answer(true);
    });
    document.getElementById('cancel').addEventListener('click', () => answer(false));
  }
}
document.body.dataset.ready = 'true';
