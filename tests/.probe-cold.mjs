import { launch } from './e2e/harness.mjs';
import { startTestbed } from './testbed/server.mjs';
const SF = 'https://acme.my.salesforce.com';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function contentWorld(page) {
  const cdp = await page.context().newCDPSession(page);
  const contexts = [];
  cdp.on('Runtime.executionContextCreated', (e) => contexts.push(e.context));
  await cdp.send('Runtime.enable');
  const read = async (expr) => {
    for (const c of contexts.filter((c) => c.auxData?.type === 'isolated' && c.name === 'CRM Guard')) {
      const r = await cdp.send('Runtime.evaluate', { expression: expr, contextId: c.id, returnByValue: true }).catch(() => null);
      if (r?.result?.value !== undefined) return r.result.value;
    }
  };
  return { cdp, read };
}
const testbed = await startTestbed();
const b = await launch({ testbed, extensionDir: process.env.EXT });
for (let i = 0; i < Number(process.env.N ?? 5); i++) {
  const p = await b.context.newPage();
  await p.goto(`${SF}/signup?cold=${i}`);
  const w = await contentWorld(p);
  for (let j = 0; j < 100 && !(await p.locator('#password').getAttribute('aria-describedby')); j++) { await p.locator('#password').fill('x'); await sleep(50); }
  await p.locator('#password').fill('');
  await sleep(200);
  await b.killServiceWorker();
  await p.locator('#password').focus();
  await p.keyboard.type('k');
  let t;
  for (let j = 0; j < 200; j++) {
    t = await w.read('({o: performance.timeOrigin, focus: globalThis.__crmGuardPwTimings.lastFocusAt, keys: [...globalThis.__crmGuardPwTimings.keys.values()]})');
    const last = t?.keys.at(-1);
    if (last?.renderedAt && last.inputAt > t.focus) break;
    await sleep(25);
  }
  const last = t.keys.at(-1);
  const sw = await b.evalSw(() => ({ o: performance.timeOrigin, t: self.__t, readyAt: self.crmGuard?.readyAt, loadMs: self.crmGuardScorer.loadMs }));
  const base = t.o + t.focus;
  const rel = (x) => (x - base).toFixed(1);
  const ev = [['focus', 0], ['key', rel(t.o + last.inputAt)], ['rendered', rel(t.o + last.renderedAt)], ['sw origin', rel(sw.o)], ['engine ready', rel(sw.o + sw.readyAt)], ...(sw.t ?? []).map(([n, x]) => [n, rel(sw.o + x)])];
  ev.sort((a, b) => a[1] - b[1]);
  console.log(`run ${i}: focus→meter ${(last.renderedAt - t.focus).toFixed(1)}  key→meter ${(last.renderedAt - last.inputAt).toFixed(1)}\n  ` + ev.map(([n, x]) => `${n}@${x}`).join('  '));
  await w.cdp.detach().catch(() => {});
  await p.close();
}
await b.close(); await testbed.close();
