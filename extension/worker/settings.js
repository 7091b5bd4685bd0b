// Settings: a change of managed policy or of the user's options applies live — the cached
// settings are dropped, every CRM tab is evaluated again, and queued reports are retried (the
// endpoint may have changed). The options page reads the key table and saves through here.
import { core, onMessage, run } from './core.js';
import { refreshAllTabs } from './tabs.js';

chrome.storage.onChanged.addListener((changes, area) => {
  if (area === 'managed' || (area === 'local' && 'options' in changes)) {
    run('settings change', -1, async () => {
      core.onSettingsChanged();
      await refreshAllTabs('settings change (tabs)');
      await core.reportingFlush();
    });
  }
});

onMessage('settings', 'page', (msg) => {
  // `fresh`: the page saw a storage change, maybe before this worker's own listener ran.
  if (msg.fresh === true) core.onSettingsChanged();
  return core.effectiveSettings();
});
onMessage('settingsSchema', 'page', () => core.settingsSchema());
// The reply carries the named errors of the saved values at once.
onMessage('saveOptions', 'page', (msg) => core.saveOptions(msg.options));
