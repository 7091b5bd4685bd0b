// Extension pages when Chromium hands a page an empty message bundle (seen once in e2e: the
// signed-out page read "signedOutForced"). No browser: extension/i18n.js is loaded in node with a
// `chrome` whose getMessage returns '' as Chromium's did, and must read the packaged locale files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { REPO } from './harness.mjs';

const EXT = path.join(REPO, 'extension');

async function loadI18n(uiLanguage, { empty }) {
  const warnings = [];
  globalThis.chrome = {
    i18n: { getMessage: (key) => (empty ? '' : `native:${key}`), getUILanguage: () => uiLanguage },
    runtime: { getURL: (p) => pathToFileURL(path.join(EXT, p)).href },
  };
  globalThis.fetch = async (url) => {
    try {
      const text = await fs.readFile(new URL(url), 'utf8');
      return { ok: true, json: async () => JSON.parse(text) };
    } catch {
      return { ok: false };
    }
  };
  const warn = console.warn;
  console.warn = (...a) => warnings.push(a.join(' '));
  try {
    // A fresh module instance per case (the bundle is read once, at import).
    const mod = await import(`${pathToFileURL(path.join(EXT, 'i18n.js')).href}?case=${uiLanguage}-${empty}`);
    return { ...mod, warnings };
  } finally {
    console.warn = warn;
  }
}

test('an empty browser bundle: pages read the packaged messages, with positional and named substitutions', async () => {
  const en = await loadI18n('en-US', { empty: true });
  assert.equal(en.t('signedOutForced', ['Salesforce']), 'Your organisation signed you out of Salesforce.');
  assert.equal(en.t('options_eventsCount', [3, 10]), '3 of 10 events shown (newest first).');
  assert.equal(en.t('noSuchKey'), 'noSuchKey', 'an unknown key is shown as itself, as before');
  assert.equal(en.warnings.length, 1, 'the fallback says so in the console');
  const fr = await loadI18n('fr', { empty: true });
  assert.equal(fr.t('signedOutForced', ['Salesforce']), 'Votre organisation vous a déconnecté de Salesforce.');
});

test('a working browser bundle is used as is: no file is read', async () => {
  const ok = await loadI18n('de', { empty: false });
  assert.equal(ok.t('signedOutForced', ['Salesforce']), 'native:signedOutForced');
  assert.equal(ok.warnings.length, 0);
});
