// Service-worker WASM start-up in Chromium: cold starts (worker stopped through CDP, then woken
// by a navigation), measured inside the worker: worker start → engine WASM instantiated; whether
// the scorer's module was fetched (every fetch of the worker recorded) and the WASM memory in use;
// then a password field: the scorer's module fetched, compiled, instantiated and warmed.
import { launch, poll } from '../e2e/harness.mjs';
import { startTestbed } from '../testbed/server.mjs';
import { median, table } from './stats.mjs';

const MIB = 1024 * 1024;

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
      const wake = await b.evalSw(async () => {
        await self.crmGuard.ready;
        return {
          init: self.crmGuard.readyAt,
          fetched: self.crmGuardPassword.scorerFetched(),
          memory: await self.crmGuardPassword.memory(),
        };
      });
      // Then a password field on the same worker.
      await page.goto(`https://acme.my.salesforce.com/signup?run=${i}`);
      const load = await poll(() => b.evalSw(() => self.crmGuardScorer.loadMs), 'the scorer loaded for the password field');
      const after = await b.evalSw(() => self.crmGuardPassword.memory());
      samples.push({ ...wake, load, after });
    }
  } finally {
    await b.close();
    await testbed.close();
  }
  const mib = (xs) => [median(xs), Math.min(...xs), Math.max(...xs)].map((x) => (x / MIB).toFixed(2));
  console.log(`## Service-worker cold start (Chromium, ${runs} cold starts)`);
  table(['measure', 'median', 'min', 'max'], [
    ['worker script start → engine WASM ready, ms', ...stats(samples.map((s) => s.init))],
    ['wake without a password field: scorer module fetched', `${samples.filter((s) => s.fetched).length} of ${runs}`, '', ''],
    ['  engine WASM memory, MiB', ...mib(samples.map((s) => s.memory.engine))],
    ['password field: scorer fetched + compiled + instantiated + warmed, ms', ...stats(samples.map((s) => s.load))],
    ['  engine WASM memory after scoring, MiB', ...mib(samples.map((s) => s.after.engine))],
    ['  scorer WASM memory, MiB', ...mib(samples.map((s) => s.after.scorer))],
  ]);
}

function stats(xs) {
  return [median(xs), Math.min(...xs), Math.max(...xs)].map((x) => x.toFixed(1));
}
