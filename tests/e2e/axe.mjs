// axe-core (npm, offline) in a real page: `axeViolations(page)` runs the WCAG 2.1 A and AA rules and
// returns the violations as short lines (rule, impact, targets, summary). It runs in the page's main
// world through CDP (no <script> tag: extension pages and the testbed's CRMs forbid inline script).
//
// The in-page UI lives in CLOSED shadow roots, which page scripts, and so axe, cannot see. With
// `closedShadowHosts: true`, every closed shadow root in the document is handed to axe: CDP (which
// sees them, as assistive technology does) resolves each host and its root, and the host gets a
// `shadowRoot` getter returning the root, in the main world only; axe then checks only those hosts
// and what is inside them (the CRM page around them is the testbed's, not ours).
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
export const WCAG21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

async function exposeClosedShadowRoots(page) {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { root } = await cdp.send('DOM.getDocument', { depth: -1, pierce: true });
    const hosts = [];
    const walk = (n) => {
      const shadow = n.shadowRoots?.find((r) => r.shadowRootType === 'closed');
      if (shadow) hosts.push([n.backendNodeId, shadow.backendNodeId]);
      for (const c of [...(n.shadowRoots ?? []), ...(n.children ?? [])]) walk(c);
    };
    walk(root);
    for (const [host, shadow] of hosts) {
      const { object: h } = await cdp.send('DOM.resolveNode', { backendNodeId: host });
      const { object: r } = await cdp.send('DOM.resolveNode', { backendNodeId: shadow });
      await cdp.send('Runtime.callFunctionOn', {
        objectId: h.objectId,
        arguments: [{ objectId: r.objectId }],
        functionDeclaration: `function (root) {
          Object.defineProperty(this, 'shadowRoot', { configurable: true, get: () => root });
          this.setAttribute('data-axe-target', '');
        }`,
      });
    }
    return hosts.length;
  } finally {
    await cdp.detach().catch(() => {});
  }
}

/**
 * The WCAG 2.1 A/AA violations on `page` (whole document, or only the closed-shadow-root hosts).
 * Returns `{ violations: string[], checked, insideShadow }` — `checked`: how many hosts (closed
 * mode) or 1; `insideShadow`: nodes inside shadow roots that passed a rule (0 in closed mode is
 * reported as a violation: axe would have seen nothing).
 */
export async function axeViolations(page, { closedShadowHosts = false } = {}) {
  const source = await AXE_SOURCE;
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(source);
  let checked = 1;
  if (closedShadowHosts) {
    checked = await exposeClosedShadowRoots(page);
    if (checked === 0) return { violations: ['no closed shadow root found'], checked };
  }
  const { violations, insideShadow } = await page.evaluate(async ([tags, closed]) => {
    const context = closed ? { include: [...document.querySelectorAll('[data-axe-target]')] } : document;
    const r = await window.axe.run(context, { runOnly: { type: 'tag', values: tags } });
    return {
      violations: r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => `${JSON.stringify(n.target)} ${n.failureSummary?.replace(/\s+/g, ' ')}`).join(' | ')}`),
      // axe names a node inside a shadow root by a path of selectors: [host, inner].
      insideShadow: r.passes.flatMap((p) => p.nodes).filter((n) => Array.isArray(n.target[0]) || n.target.length > 1).length,
    };
  }, [WCAG21_AA, closedShadowHosts]);
  if (closedShadowHosts && insideShadow === 0) violations.push('axe checked nothing inside the shadow roots');
  return { violations, checked, insideShadow };
}
