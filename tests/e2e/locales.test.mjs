// The popup and the options page in German and Spanish (issue 15): Chromium on Linux takes its UI
// language from LANGUAGE, and needs Debian's chromium-l10n for any language but English (xtask's
// setup installs it); the extension then speaks that language with no setting of its own.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { launch, REPO } from './harness.mjs';
import { startTestbed } from '../testbed/server.mjs';

const SF = 'https://acme.my.salesforce.com/';
const messages = async (lang) => JSON.parse(await fs.readFile(path.join(REPO, 'extension/_locales', lang, 'messages.json'), 'utf8'));

for (const [lang, posix] of [['de', 'de_DE'], ['es', 'es_ES']]) {
  describe(`the popup and options page in ${lang}`, () => {
    test(`${lang}: every line comes from _locales/${lang}`, async () => {
      const m = await messages(lang);
      const testbed = await startTestbed();
      const b = await launch({ testbed, extraArgs: [`--lang=${lang}`],
        launchOptions: { locale: lang, env: { ...process.env, LANGUAGE: lang, LANG: `${posix}.UTF-8` } } });
      try {
        const { tabId } = await b.openTab(SF);
        await b.waitForBadge(tabId, (x) => x.text === 'OK');
        assert.equal((await b.badge(tabId)).title, m.badgeTitle.message.replace('$1', 'Salesforce').replace('$2', m.level_secure.message));
        const popup = await b.popup(tabId);
        await popup.waitForSelector('body[data-ready="true"]');
        assert.equal(await popup.getAttribute('html', 'lang'), lang);
        assert.equal(await popup.textContent('.level'), m.level_secure.message);
        assert.equal(await popup.textContent('#sign-out-all'), m.popupSignOutAll.message);
        assert.equal(await popup.textContent('#options'), m.popupOptions.message);
        await popup.click('#sign-out-all');
        assert.equal(await popup.textContent('#sign-out-yes'), m.popupSignOutYes.message);
        await popup.close();
        const options = await b.extensionPage('options.html');
        await options.waitForSelector('body[data-ready="true"]');
        assert.equal(await options.textContent('#summary-title'), m.options_summaryTitle.message);
        assert.equal(await options.textContent('#advanced-title'), m.options_advancedTitle.message);
        assert.equal(await options.textContent('[data-key="idleTimeoutMinutes"] label'), `${m.setting_idleTimeoutMinutes.message}idleTimeoutMinutes`);
        assert.equal(await options.textContent('#group-signOut legend'), m.options_group_signOut.message);
        await options.close();
      } finally {
        await b.close();
        await testbed.close();
      }
    });
  });
}
