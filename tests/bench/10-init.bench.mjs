// Service-worker WASM start-up in Chromium: cold starts (worker stopped through CDP, then woken
// by a navigation), measured inside the worker: worker start → WASM instantiated.
import { launch } from '../e2e/harness.mjs';
import { startTestbed } from '../testbed/server.mjs';
import { median, table } from './stats.mjs';

export default async function () {
  const runs = 7;
  const testbed = await startTestbed();
  const b = await launch({ testbed });
  const samples = [];
  try {
    const { page } = await b.openTab('https://acme.my.salesforce.com/');
    for (let i = 0; i < runs; i++) {
      await b.killServiceWorker();
      // A navigation wakes the worker, as in real use.
      await page.goto(`https://acme.my.salesforce.com/lightning/o/Account/home?run=${i}`);
      const ms = await b.evalSw(async () => {
        await self.crmGuard.ready;
        return { init: self.crmGuard.readyAt };
      });
      samples.push(ms);
    }
  } finally {
    await b.close();
    await testbed.close();
  }
  console.log(`## Service-worker cold start (Chromium, ${runs} cold starts)`);
  table(['measure', 'median ms', 'min ms', 'max ms'], [
    ['worker script start → WASM ready', ...stats(samples.map((s) => s.init))],
  ]);
}

function stats(xs) {
  return [median(xs), Math.min(...xs), Math.max(...xs)].map((x) => x.toFixed(1));
}
