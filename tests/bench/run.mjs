// `cargo xtask bench`: runs every tests/bench/*.bench.mjs in name order; each prints a
// Markdown section with its figures and, where there are peers, the peers in the same run.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.bench.mjs') && (!only || f.includes(only))).sort();
for (const f of files) {
  const mod = await import(path.join(dir, f));
  await mod.default();
  console.log();
}
