// The testbed's certificates (tests/testbed/server.mjs serves them), made with the openssl CLI.

import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

// Certificates (generated once per process with the openssl CLI, in a temp dir removed right after).

let certsPromise = null;

async function opensslSelfSigned(dir, name, cn, sans) {
  const key = path.join(dir, `${name}.key`);
  const crt = path.join(dir, `${name}.crt`);
  await execFileP('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', crt, '-days', '30', '-subj', `/CN=${cn}`,
    '-addext', `subjectAltName=${sans.map((s) => `DNS:${s}`).join(',')}`,
    '-addext', 'basicConstraints=critical,CA:FALSE',
    '-addext', 'keyUsage=critical,digitalSignature',
    '-addext', 'extendedKeyUsage=serverAuth',
  ]);
  return { key: await fs.readFile(key, 'utf8'), cert: await fs.readFile(crt, 'utf8') };
}

/** A CA (for browsers that trust a CA, as Firefox does through policy `Certificates.Install`) and
 * a leaf it signs for `sans`. Chromium pins the leaf's key instead (spki), so both work. */
async function opensslCaSigned(dir, name, cn, sans) {
  const caKey = path.join(dir, `${name}-ca.key`);
  const caCrt = path.join(dir, `${name}-ca.crt`);
  await execFileP('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', caKey, '-out', caCrt, '-days', '30', '-subj', `/CN=${cn} CA`,
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const crt = path.join(dir, `${name}.crt`);
  const ext = path.join(dir, `${name}.ext`);
  await execFileP('openssl', [
    'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`,
  ]);
  await fs.writeFile(ext, [
    `subjectAltName=${sans.map((s) => `DNS:${s}`).join(',')}`,
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
  ].join('\n'));
  await execFileP('openssl', [
    'x509', '-req', '-in', csr, '-CA', caCrt, '-CAkey', caKey, '-CAcreateserial', '-out', crt,
    '-days', '30', '-extfile', ext,
  ]);
  return {
    key: await fs.readFile(key, 'utf8'),
    cert: await fs.readFile(crt, 'utf8'),
    ca: await fs.readFile(caCrt, 'utf8'),
  };
}

/** base64(sha256(DER SubjectPublicKeyInfo)) — the value Chromium's --ignore-certificate-errors-spki-list wants. */
export function spkiHash(certPem) {
  const der = new crypto.X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return crypto.createHash('sha256').update(der).digest('base64');
}

/** Generates (once per process) the pinned certificate for `names` and the unpinned one. */
export function certificates(names) {
  certsPromise ??= (async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'crm-guard-certs-'));
    try {
      const { ca, ...pinned } = await opensslCaSigned(dir, 'pinned', 'CRM Guard testbed', names);
      const unpinned = await opensslSelfSigned(dir, 'unpinned', 'CRM Guard testbed (unpinned)', [
        'badcert.acme.test',
      ]);
      return { pinned, unpinned, ca, spki: spkiHash(pinned.cert) };
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  })();
  return certsPromise;
}

