// The first badge after a cold browser start: the browser is closed and started again on the
// same profile, a CRM page is opened, and the worker reports when the navigation committed and
// when its badge was painted. Chromium's first `storage.managed` read after a start takes seconds;
// the settings snapshot lets the badge skip that wait (the first start after install cannot).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { launch } from '../e2e/harness.mjs';
import { startTestbed } from '../testbed/server.mjs';
import { median, table } from './stats.mjs';

const SF = 'https://acme.my.salesforce.com/lightning/page/home';

/** One browser start on `profileDir`: ms from commit to badge, and to the options page's settings. */
async function firstBadge(testbed, profileDir) {
  const b = await launch({ testbed, profileDir });
  try {
    const { tabId } = await b.openTab(SF);
    const deadline = Date.now() + 15_000;
    let badge;
    while (!badge) {
      const t = await b.evalSw((id) => self.crmGuard.lastNavigation(id), tabId);
      if (t) badge = t.paintedAt - t.committedAt;
      else if (Date.now() > deadline) throw new Error('no badge within 15 s');
      else await new Promise((r) => setTimeout(r, 20));
    }
    const { page } = await b.openTab(`chrome-extension://${b.extensionId}/options.html`);
    await page.waitForFunction(() => document.body.dataset.settingsShownAt, null, { timeout: 15_000 });
    const options = Number(await page.evaluate(() => document.body.dataset.settingsShownAt));
    return { badge, options };
  } finally {
    await b.close();
  }
}

export default async function () {
  const runs = 5;
  const testbed = await startTestbed();
  const profileDir = await fs.mkdtemp(path.join(os.tmpdir(), 'crm-guard-bench-profile-'));
  const cold = [];
  let install;
  try {
    install = await firstBadge(testbed, profileDir);
    for (let i = 0; i < runs; i++) cold.push(await firstBadge(testbed, profileDir));
  } finally {
    await fs.rm(profileDir, { recursive: true, force: true, maxRetries: 3 });
    await testbed.close();
  }
  console.log(`## First badge after a browser start (Chromium, navigation committed → badge painted)`);
  const row = (what, xs) => [what, median(xs).toFixed(0), Math.min(...xs).toFixed(0), Math.max(...xs).toFixed(0), xs.length];
  table(['measure', 'median ms', 'min ms', 'max ms', 'runs'], [
    row('first badge, first start after install (no snapshot yet)', [install.badge]),
    row('first badge, cold browser start on the same profile', cold.map((c) => c.badge)),
    row('options page: opened → settings shown, first start after install', [install.options]),
    row('options page: opened → settings shown, cold browser start', cold.map((c) => c.options)),
  ]);
}
