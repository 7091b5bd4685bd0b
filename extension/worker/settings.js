// Settings: a change of managed policy or of the user's options applies live — the cached
// settings are dropped and every CRM tab is evaluated again.
import { core, onMessage, run } from './core.js';

chrome.storage.onChanged.addListener((changes, area) => {
  if (area === 'managed' || (area === 'local' && 'options' in changes)) {
    run('settings change', -1, async () => {
      core.onSettingsChanged();
      await core.refreshAll();
    });
  }
});

onMessage('settings', 'page', () => core.effectiveSettings());
