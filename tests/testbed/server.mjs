// Local CRM testbed: real host names over real HTTPS on 127.0.0.1.
//
// Chromium keeps the real host names; `--host-resolver-rules` sends port 443 of every host to our HTTPS
// server and port 80 to our HTTP server, and `--ignore-certificate-errors-spki-list` trusts the *pinned*
// certificate only (Firefox: `network.dns.localDomains` and real ports, and the CA that signed it). `badcert.acme.test` is served with a second, unpinned certificate (a real
// ERR_CERT_AUTHORITY_INVALID); `notls.acme.test` fails the TLS handshake.
//
// Library: `const tb = await startTestbed(); ... await tb.close();`
// CLI:     `node tests/testbed/server.mjs [--https-port N] [--http-port N]` serves until Ctrl-C.

import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { certificates as makeCertificates } from './certs.mjs';
import { exportGate, salesforceExports, salesforceLogin } from './exports.mjs';
import { rangeService } from './breach.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PUBLIC = path.join(HERE, 'public');

/**
 * The CRM catalog host served over plain http that Chromium does NOT upgrade by itself (not on the HSTS
 * preload list). Proven by tests/e2e/harness.test.mjs: with no extension, the plain-HTTP server receives
 * the GET for `http://<HTTP_CRM_HOST>/`.
 */
export const HTTP_CRM_HOST = 'acme.odoo.com';

/** Salesforce-like app hosts (same app on both). */
export const SALESFORCE_HOSTS = ['acme.my.salesforce.com', 'acme.lightning.force.com'];

/** Every host the testbed serves, with what it is for. */
export const HOSTS = {
  'acme.my.salesforce.com': 'Salesforce-like SPA (https, HSTS, strict CSP) + login/logout + password and network-finding pages',
  'acme.lightning.force.com': 'same app as acme.my.salesforce.com',
  'globex.my.salesforce.com': "another organisation's Salesforce (same app): a tenant that is not Acme's",
  'evil.my.site.com': "someone else's Salesforce Experience site (same app, login form): a phishing kit's home",
  'www.salesforce.com': 'marketing page (not a CRM tab)',
  'login.salesforce.com': 'Salesforce login host: password, then a one-time code for user "otp" (exports.mjs)',
  'app.hubspot.com': 'HubSpot-like CRM page (HSTS) + /login',
  [HTTP_CRM_HOST]: 'CRM page on http and https, no HSTS, not HSTS-preloaded',
  'crm.acme.test': 'self-hosted CRM (http and https, no HSTS)',
  'acme.myfreshworks.com': 'Freshsales-like CRM page (HSTS), any path',
  'notls.acme.test': 'plain http only (TLS handshake refused)',
  'badcert.acme.test': 'https with the UNPINNED certificate',
  'acme.salesforce-login.com': 'phishing lookalike with a password field',
  'example.test': 'non-CRM site: cookie keep=1, /login password page, /x.js, /p.png',
  'probe.acme.test': '/probe -> 200 trusted (setProbe)',
  'breach.acme.test': 'k-anonymity password ranges generated from a list (breach.mjs): /range/{5 hex}; /reset/… and /hang/… are down',
  'reports.acme.test': '/report records JSON bodies (setReportStatus), answers CORS preflight',
  'otel.acme.test': 'OpenTelemetry Collector OTLP/HTTP receiver: POST /v1/logs recorded in otlpLogs (setReportStatus), CORS',
  'splunk.acme.test': `Splunk HEC: POST /services/collector/event with "Authorization: Splunk ${'<token>'}" recorded in hecEvents, CORS`,
};

/** The HEC token the testbed's Splunk accepts (anything else: 403, as Splunk answers). */
export const HEC_TOKEN = '11111111-2222-3333-4444-555555555555';

const CERT_NAMES = [
  ...Object.keys(HOSTS).filter((h) => h !== 'badcert.acme.test'),
  '*.my.salesforce.com',
  '*.lightning.force.com',
  '*.my.site.com',
  '*.salesforce.com',
  '*.hubspot.com',
  `*.${HTTP_CRM_HOST.split('.').slice(1).join('.')}`,
  '*.acme.test',
  '*.salesforce-login.com',
  '*.example.test',
];

const MAX_BODY = 64 * 1024;
const HSTS = 'max-age=31536000';
const STRICT_CSP = "default-src 'self'; script-src 'self'; object-src 'none'";
// 1x1 transparent PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

// Certificates: tests/testbed/certs.mjs.

export { spkiHash } from './certs.mjs';

/** The pinned certificate (every testbed name) and the unpinned one, made once per process. */
export const certificates = () => makeCertificates(CERT_NAMES);

// ---------------------------------------------------------------------------------------------------------
// Pages.

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function html(title, body, scripts = []) {
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>` +
    scripts.map((s) => `<script src="${esc(s)}" defer></script>`).join('') +
    `</head><body>\n${body}\n</body></html>\n`
  );
}

const loginForm = (action, title) =>
  `<h1>${esc(title)}</h1>
<form method="post" action="${esc(action)}" id="login">
<label>Username <input type="text" name="username" id="username" autocomplete="username"></label>
<label>Password <input type="password" name="password" id="password" autocomplete="current-password"></label>
<button type="submit">Log In</button>
</form>`;

function salesforceShell(title) {
  return html(
    title,
    `<h1>Acme Salesforce</h1>
<nav><a href="/" data-spa>Home</a> <a href="/lightning/o/Account/home" data-spa id="accounts">Accounts</a>
<a href="/lightning/o/Contact/home" data-spa id="contacts">Contacts</a> <a href="/logout" id="logout">Log out</a></nav>
<main id="view">${esc(title)}</main>`,
    ['/static/spa.js'],
  );
}

function crmPage(name) {
  return html(`${name} CRM`, `<h1>${esc(name)} CRM</h1><p>Deals, contacts and pipelines.</p>`);
}

// ---------------------------------------------------------------------------------------------------------
// Server.

/**
 * Starts the testbed on 127.0.0.1 with dynamic ports (or `opts.httpsPort`/`opts.httpPort`).
 * @param {{httpsPort?: number, httpPort?: number, host?: string}} [opts]
 */
export async function startTestbed(opts = {}) {
  const bind = opts.host ?? '127.0.0.1';
  const certs = await certificates();
  const pinnedCtx = tls.createSecureContext(certs.pinned);
  const unpinnedCtx = tls.createSecureContext(certs.unpinned);

  const requests = [];
  const reports = [];
  const otlpLogs = [];
  const hecEvents = [];
  let probe = { status: 200, body: 'trusted' };
  let reportStatus = 204;
  let reportPreflight = true;
  const gate = exportGate();
  const breach = rangeService();

  const sockets = new Set();
  const track = (server) =>
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });

  async function handle(scheme, req, res) {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const url = new URL(req.url, `${scheme}://${host || 'unknown'}`);
    const rec = {
      scheme,
      host,
      method: req.method,
      path: url.pathname + url.search,
      headers: req.headers,
      body: null,
      time: Date.now(),
    };
    requests.push(rec);
    if (req.method !== 'GET' && req.method !== 'HEAD') rec.body = await readBody(req);
    else req.resume();
    try {
      await route({ scheme, host, url, req, res, rec });
    } catch (err) {
      if (!res.headersSent) send(res, 500, 'text/plain', String(err?.stack ?? err));
    }
  }

  async function route({ scheme, host, url, req, res, rec }) {
    const p = url.pathname;
    if (p.startsWith('/static/') && /^[\w.-]+\.js$/.test(p.slice(8))) {
      const file = await fs.readFile(path.join(PUBLIC, p.slice(8)), 'utf8').catch(() => null);
      if (file === null) return send(res, 404, 'text/plain', 'not found');
      return send(res, 200, 'text/javascript; charset=utf-8', file, secHeaders(scheme));
    }
    if (SALESFORCE_HOSTS.includes(host)) return salesforce({ scheme, host, url, req, res, rec });
    // Other organisations' tenants of the same CRM (issue 10, item 1): the same app, other owners.
    if (host === 'globex.my.salesforce.com' || host === 'evil.my.site.com') return salesforce({ scheme, host, url, req, res, rec });
    switch (host) {
      case 'login.salesforce.com':
        return salesforceLogin({ req, res, h: secHeaders(scheme), html, body: rec.body });
      case 'www.salesforce.com':
        return sendHtml(res, html('Salesforce: The #1 AI CRM', '<h1>Salesforce</h1><p>Marketing page.</p>'), secHeaders(scheme));
      case 'app.hubspot.com':
        if (p === '/login') {
          // Password reuse tests: a second CRM login (POST → 302 to the app, like /login on Salesforce).
          if (req.method === 'POST') {
            res.writeHead(302, { ...secHeaders(scheme), Location: '/' });
            return res.end();
          }
          return sendHtml(res, html('Log in | HubSpot', loginForm('/login', 'Log in to HubSpot')), secHeaders(scheme));
        }
        return sendHtml(res, crmPage('HubSpot'), secHeaders(scheme));
      case HTTP_CRM_HOST:
        return sendHtml(res, crmPage('Odoo'), { 'Content-Security-Policy': STRICT_CSP });
      case 'acme.myfreshworks.com':
        // Like the real service: HSTS on https (else CRM Guard rightly warns about it).
        return sendHtml(res, crmPage('Freshsales'), secHeaders(scheme));
      case 'crm.acme.test':
        return sendHtml(res, crmPage('Acme self-hosted'), { 'Content-Security-Policy': STRICT_CSP });
      case 'notls.acme.test':
        return sendHtml(res, html('No TLS', '<h1>Plain http only</h1>'));
      case 'badcert.acme.test':
        return sendHtml(res, html('Bad certificate', '<h1>You should not see this without a certificate error</h1>'));
      case 'acme.salesforce-login.com':
        if (req.method === 'POST') return sendHtml(res, html('Thanks', '<p>Got it.</p>'));
        return sendHtml(res, html('Login | Salesforce', loginForm('/login', 'Salesforce login')));
      case 'example.test':
        return exampleTest({ url, res });
      case 'probe.acme.test':
        if (p !== '/probe') return send(res, 404, 'text/plain', 'not found');
        if (probe === null) return res.socket?.destroy();
        // CORS: the extension fetches the probe from its service worker without host permission.
        return send(res, probe.status, 'text/plain', probe.body, { 'Access-Control-Allow-Origin': '*' });
      case 'breach.acme.test':
        return breach.handle({ req, res, path: p });
      case 'reports.acme.test':
        if (p !== '/report') return send(res, 404, 'text/plain', 'not found');
        if (req.method === 'OPTIONS') {
          // CORS preflight of the signed POST (custom X-CRM-Guard-Signature header): a reporting
          // endpoint must answer it (docs/policy.md). setReportPreflight(false) refuses it.
          if (!reportPreflight) return send(res, 404, 'text/plain', 'no preflight');
          res.writeHead(204, {
            'Access-Control-Allow-Origin': '*',
            'Access-Control-Allow-Methods': 'POST',
            'Access-Control-Allow-Headers': 'Content-Type, X-CRM-Guard-Signature',
            'Access-Control-Max-Age': '600',
          });
          return res.end();
        }
        if (req.method === 'POST') {
          let json = null;
          try {
            json = JSON.parse(rec.body ?? '');
          } catch {
            json = { unparsed: rec.body };
          }
          reports.push({ time: rec.time, headers: req.headers, json, raw: rec.body, status: reportStatus });
        }
        res.writeHead(reportStatus, { 'Access-Control-Allow-Origin': '*' });
        return res.end();
      case 'otel.acme.test':
      case 'splunk.acme.test':
        return siem({ host, p, req, res, rec });
      default:
        return send(res, 404, 'text/html', html('Unknown host', `<p>testbed: unknown host ${esc(host)}</p>`));
    }
  }

  // A SIEM's receiver, configured as docs/policy.md says: CORS for the extension's origin (any,
  // here), Authorization allowed; the status of setReportStatus for POSTs.
  function siem({ host, p, req, res, rec }) {
    const otel = host === 'otel.acme.test';
    if (p !== (otel ? '/v1/logs' : '/services/collector/event')) return send(res, 404, 'text/plain', 'not found');
    const cors = { 'Access-Control-Allow-Origin': req.headers.origin ?? '*' };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, 'Access-Control-Allow-Methods': 'POST',
        'Access-Control-Allow-Headers': 'Content-Type, Authorization', 'Access-Control-Max-Age': '600' });
      return res.end();
    }
    if (req.method !== 'POST') return send(res, 405, 'text/plain', 'POST only');
    if (otel) {
      let json = null;
      try { json = JSON.parse(rec.body ?? ''); } catch { json = { unparsed: rec.body }; }
      otlpLogs.push({ time: rec.time, headers: req.headers, raw: rec.body, json, status: reportStatus });
      return send(res, reportStatus, 'application/json', reportStatus < 300 ? '{"partialSuccess":{}}' : '{"code":13}', cors);
    }
    // HEC: concatenated JSON objects; a wrong token is refused before anything is recorded.
    if (req.headers.authorization !== `Splunk ${HEC_TOKEN}`) {
      return send(res, 403, 'application/json', '{"text":"Invalid token","code":4}', cors);
    }
    const events = [];
    try {
      for (const line of (rec.body ?? '').split('\n').filter(Boolean)) events.push(JSON.parse(line));
    } catch {
      return send(res, 400, 'application/json', '{"text":"Invalid data format","code":6}', cors);
    }
    hecEvents.push({ time: rec.time, headers: req.headers, raw: rec.body, events, status: reportStatus });
    return send(res, reportStatus, 'application/json', reportStatus < 300 ? '{"text":"Success","code":0}' : '{"text":"Internal server error","code":8}', cors);
  }

  function salesforce({ scheme, url, req, res }) {
    const p = url.pathname;
    const h = secHeaders(scheme);
    if (salesforceExports({ p, url, res, h, html, gate })) return;
    switch (p) {
      case '/':
      case '/lightning/o/Account/home':
      case '/lightning/o/Contact/home':
        return sendHtml(res, salesforceShell(p === '/' ? 'Home | Salesforce' : p.includes('Account') ? 'Accounts | Salesforce' : 'Contacts | Salesforce'), h);
      case '/login':
        if (req.method === 'POST') {
          const sid = crypto.randomBytes(12).toString('hex');
          res.writeHead(302, { ...h, Location: '/', 'Set-Cookie': `sid=${sid}; Path=/; Secure; HttpOnly; SameSite=Lax` });
          return res.end();
        }
        return sendHtml(res, html('Login | Salesforce', loginForm('/login', 'Log in to Acme Salesforce')), h);
      case '/logout':
      case '/secur/logout.jsp':
        return sendHtml(res, html('Logged out | Salesforce', '<h1>You are logged out</h1><a href="/login">Log in</a>'), {
          ...h,
          'Set-Cookie': 'sid=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax',
        });
      case '/setup/password':
        return sendHtml(res, html('Change Your Password | Salesforce', '<h1>Change your password</h1><pw-change></pw-change>', ['/static/shadow-password.js']), h);
      case '/setup/frame':
        return sendHtml(res, html('Dialog | Salesforce', '<h1>Settings</h1>', ['/static/frame-password.js']), h);
      case '/spa-late':
        return sendHtml(res, html('Settings | Salesforce', '<h1>Settings</h1><p>Loading…</p>', ['/static/spa-late.js']), h);
      case '/signup':
        return sendHtml(res, html('Sign Up | Salesforce', `<h1>Sign up</h1>
<form method="post" action="/signup" id="signup">
<label>Email <input type="email" name="email" id="email" autocomplete="email"></label>
<label>Password <input type="password" name="password" id="password" autocomplete="new-password"></label>
<label>Confirm <input type="password" name="confirm" id="confirm" autocomplete="new-password"></label>
<button type="submit">Sign up</button></form>`), h);
      case '/mixed-active':
        return sendHtml(res, html('Mixed active | Salesforce', '<h1>Mixed active content</h1>', ['http://example.test/x.js']), {
          ...h,
          'Content-Security-Policy': "default-src 'self'; script-src 'self' http://example.test; object-src 'none'",
        });
      case '/mixed-passive':
        return sendHtml(res, html('Mixed passive | Salesforce', '<h1>Mixed passive content</h1><img src="http://example.test/p.png" alt="pixel" id="pixel">'), {
          ...h,
          'Content-Security-Policy': "default-src 'self'; script-src 'self'; img-src 'self' http://example.test https://example.test; object-src 'none'",
        });
      case '/flood': {
        // A hostile CRM page (issue 10 item 4): `n` images, each from its own http: host (`load`
        // makes every load's hosts new). The CSP lets them load; CRM Guard reads them in the DOM.
        const n = Math.min(Number(url.searchParams.get('n') ?? 200), 1000);
        const load = esc(url.searchParams.get('load') ?? '0');
        const imgs = Array.from({ length: n }, (_, i) => `<img src="http://h${i}.l${load}.flood.test/p.png" alt="">`).join('');
        return sendHtml(res, html('Flood | Salesforce', `<h1>Many insecure images</h1>${imgs}`), {
          ...h,
          'Content-Security-Policy': "default-src 'self'; script-src 'self'; img-src 'self' http: https:; object-src 'none'",
        });
      }
      case '/no-hsts':
        return sendHtml(res, html('No HSTS | Salesforce', '<h1>No HSTS header here</h1>'), { 'Content-Security-Policy': STRICT_CSP });
      case '/insecure-cookie':
        return sendHtml(res, html('Insecure cookie | Salesforce', '<h1>Cookie without Secure</h1>'), {
          ...h,
          'Set-Cookie': 'sid=insecure-0123456789; Path=/; HttpOnly; SameSite=Lax',
        });
      case '/http-form':
        return sendHtml(res, html('HTTP form | Salesforce', `<h1>Form posting over http</h1>
<form method="post" action="http://acme.my.salesforce.com/submit" id="httpform">
<label>Name <input type="text" name="name" id="name"></label><button type="submit">Send</button>
<input type="hidden" name="action" value="save"><input type="hidden" name="method" value="dialog"></form>`), h);
      case '/submit':
        return sendHtml(res, html('Submitted | Salesforce', '<p>Submitted.</p>'), h);
      default:
        return send(res, 404, 'text/html', html('Not found | Salesforce', '<p>Not found</p>'), h);
    }
  }

  function exampleTest({ url, res }) {
    switch (url.pathname) {
      case '/':
        return sendHtml(res, html('Example', '<h1>Example (not a CRM)</h1><a href="/login">Log in</a>'), {
          'Set-Cookie': 'keep=1; Path=/; SameSite=Lax',
        });
      case '/login':
        return sendHtml(res, html('Example login', loginForm('/login', 'Example login')));
      case '/x.js':
        return fs.readFile(path.join(PUBLIC, 'x.js'), 'utf8').then((js) => send(res, 200, 'text/javascript', js));
      case '/p.png':
        return send(res, 200, 'image/png', PNG);
      default:
        return send(res, 404, 'text/plain', 'not found');
    }
  }

  const httpsServer = https.createServer(
    {
      ...certs.pinned,
      SNICallback(servername, cb) {
        const name = String(servername).toLowerCase();
        if (name === 'notls.acme.test') return cb(new Error('testbed: no TLS for notls.acme.test'));
        cb(null, name === 'badcert.acme.test' ? unpinnedCtx : pinnedCtx);
      },
    },
    (req, res) => handle('https', req, res),
  );
  const httpServer = http.createServer((req, res) => handle('http', req, res));
  track(httpsServer);
  track(httpServer);
  // WebSocket handshakes (issue 10): recorded like any request (`websocket: true`, so `count` and
  // `find` see a plaintext `ws:` handshake on the http server), answered with a minimal RFC 6455
  // handshake and one text frame ("hello"); frames from the client are ignored.
  const upgrade = (scheme) => (req, socket) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    requests.push({ scheme, host, method: req.method, path: req.url, headers: req.headers, body: null,
      time: Date.now(), websocket: true });
    socket.on('error', () => {});
    socket.on('data', () => {});
    const key = req.headers['sec-websocket-key'];
    if (!key || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return socket.destroy();
    const accept = crypto.createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.write(Buffer.concat([Buffer.from([0x81, 5]), Buffer.from('hello')]));
  };
  httpsServer.on('upgrade', upgrade('https'));
  httpServer.on('upgrade', upgrade('http'));
  // Failed handshakes (notls, badcert rejected by the browser) are expected: keep them quiet.
  httpsServer.on('tlsClientError', (_err, socket) => socket.destroy());

  await Promise.all([
    listen(httpsServer, opts.httpsPort ?? 0, bind),
    listen(httpServer, opts.httpPort ?? 0, bind),
  ]);
  const httpsPort = httpsServer.address().port;
  const httpPort = httpServer.address().port;

  const testbed = {
    httpsPort,
    httpPort,
    spki: certs.spki,
    pinnedCertPem: certs.pinned.cert,
    /** The CA that signed the pinned certificate (Firefox trusts it through policy). */
    caCertPem: certs.ca,
    unpinnedCertPem: certs.unpinned.cert,
    hosts: Object.keys(HOSTS),
    /** Every request seen: `{ scheme, host, method, path, headers, body, time }`. */
    requests,
    /** JSON bodies posted to https://reports.acme.test/report: `{ time, headers, json }`. */
    reports,
    /** OTLP bodies posted to https://otel.acme.test/v1/logs: `{ time, headers, raw, json, status }`. */
    otlpLogs,
    /** HEC posts to https://splunk.acme.test/services/collector/event with the token: `{ ..., events, status }`. */
    hecEvents,
    /** Number of recorded requests matching all given fields (pathPrefix matches the start of path). */
    count({ scheme, host, method, pathPrefix } = {}) {
      return this.find({ scheme, host, method, pathPrefix }).length;
    },
    find({ scheme, host, method, pathPrefix } = {}) {
      return requests.filter(
        (r) =>
          (scheme === undefined || r.scheme === scheme) &&
          (host === undefined || r.host === host) &&
          (method === undefined || r.method === method) &&
          (pathPrefix === undefined || r.path.startsWith(pathPrefix)),
      );
    },
    /** Forget recorded requests and reports. */
    clear() {
      requests.length = 0;
      reports.length = 0;
      otlpLogs.length = 0;
      hecEvents.length = 0;
    },
    /** `{status, body}` for https://probe.acme.test/probe, or null to drop its connections. */
    setProbe(p) {
      probe = p === null ? null : { status: p.status ?? 200, body: p.body ?? '' };
    },
    /** Lets the held report export bodies finish (exports.mjs). */
    releaseExports() {
      gate.release();
    },
    setReportStatus(status) {
      reportStatus = status;
    },
    /** Whether https://reports.acme.test/report answers CORS preflight (default true). */
    setReportPreflight(on) {
      reportPreflight = on;
    },
    /** `--host-resolver-rules` value: port 443 of every host → HTTPS server, port 80 → HTTP server. */
    resolverRules() {
      return `MAP *:443 127.0.0.1:${httpsPort}, MAP *:80 127.0.0.1:${httpPort}, EXCLUDE localhost`;
    },
    /** Chromium flags that make the testbed reachable and trusted (pinned certificate only). */
    chromiumArgs() {
      return [
        `--host-resolver-rules=${this.resolverRules()}`,
        `--ignore-certificate-errors-spki-list=${certs.spki}`,
      ];
    },
    async close() {
      breach.release();
      for (const s of sockets) s.destroy();
      httpsServer.closeAllConnections?.();
      httpServer.closeAllConnections?.();
      await Promise.all([close(httpsServer), close(httpServer)]);
    },
  };
  return testbed;
}

// ---------------------------------------------------------------------------------------------------------
// Helpers.

function secHeaders(scheme) {
  const h = { 'Content-Security-Policy': STRICT_CSP };
  if (scheme === 'https') h['Strict-Transport-Security'] = HSTS;
  return h;
}

function send(res, status, type, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', ...headers });
  res.end(body);
}

function sendHtml(res, body, headers = {}) {
  send(res, 200, 'text/html; charset=utf-8', body, headers);
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      if (size < MAX_BODY) chunks.push(c.subarray(0, MAX_BODY - size));
      size += c.length;
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server) {
  return new Promise((resolve) => server.close(() => resolve()));
}

// ---------------------------------------------------------------------------------------------------------
// CLI.

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const tb = await startTestbed({ httpsPort: arg('--https-port'), httpPort: arg('--http-port') });
  console.log(`CRM Guard testbed\n  https: 127.0.0.1:${tb.httpsPort}\n  http:  127.0.0.1:${tb.httpPort}`);
  console.log(`  pinned SPKI: ${tb.spki}\n\nChromium args:`);
  for (const a of tb.chromiumArgs()) console.log(`  '${a}'`);
  console.log('\nHosts:');
  for (const [h, what] of Object.entries(HOSTS)) console.log(`  ${h.padEnd(28)} ${what}`);
  console.log('\nPlaywright launches Chromium with HttpsUpgrades disabled; for a hand-launched Chromium add');
  console.log("  '--disable-features=HttpsUpgrades' so plain-http navigations stay plain http.");
  console.log('\nCtrl-C to stop.');
  const stop = async () => {
    await tb.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
