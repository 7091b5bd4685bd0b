// Idle auto-logout latency in a headed Chromium under Xvfb (`cargo xtask bench` provides it): how
// late the logout lands after the deadline, measured as the testbed's receipt of the CRM logout
// request minus the machine's deadline (same clock), with and without the service worker killed
// during the countdown. Timeout shortened with the unpacked-only `idleTestOverride` (15 s to the
// warning, 4 s of warning).
import { execFileSync } from 'node:child_process';
import { launch } from '../e2e/harness.mjs';
import { startTestbed } from '../testbed/server.mjs';
import { median, table } from './stats.mjs';

const SF = 'https://acme.my.salesforce.com';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(fn, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await sleep(50);
  }
}

export default async function () {
  const runs = Number(process.env.CRM_GUARD_BENCH_RUNS ?? 5);
  if (!process.env.DISPLAY) {
    console.log('## Idle logout latency\n\nskipped: needs a display (run through `cargo xtask bench`, which uses Xvfb)');
    return;
  }
  const testbed = await startTestbed();
  const b = await launch({ testbed, headless: false });
  const results = { plain: [], killed: [] };
  try {
    await b.evalSw(() => chrome.storage.local.set({
      options: { idleTimeoutMinutes: 1, warningSeconds: 45 },
      idleTestOverride: { timeoutMs: 19_000, warningMs: 4_000 },
    }));
    for (let i = 0; i < runs * 2; i++) {
      const kill = i % 2 === 1;
      const page = (await b.openTab(`${SF}/`)).page;
      await page.evaluate(() => fetch('/login', { method: 'POST', body: 'username=u&password=p' }));
      testbed.clear();
      execFileSync('xset', ['s', 'reset']);
      const deadline = await until(() => b.evalSw(async () =>
        (await chrome.storage.session.get('idleMachine')).idleMachine?.phase?.deadlineMs), 25_000);
      if (kill) await b.killServiceWorker();
      await until(() => testbed.find({ pathPrefix: '/secur/logout.jsp' })[0], 20_000);
      const late = testbed.find({ pathPrefix: '/secur/logout.jsp' })[0].time - deadline;
      (kill ? results.killed : results.plain).push(late);
      await until(() => page.url().startsWith('chrome-extension://'), 5000);
      await page.close();
    }
  } finally {
    await b.close();
    await testbed.close();
  }
  console.log(`## Idle logout latency (Chromium under Xvfb, ${runs} runs each)`);
  table(['case', 'median ms late', 'min ms', 'max ms'], [
    ['worker alive', ...stats(results.plain)],
    ['worker killed during the countdown', ...stats(results.killed)],
  ]);
  console.log('\nGoal: at most 5000 ms late. Raw:', JSON.stringify(results));
}

function stats(xs) {
  return [median(xs), Math.min(...xs), Math.max(...xs)].map((x) => x.toFixed(0));
}
