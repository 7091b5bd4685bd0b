// Testbed pages of the export guard and the MFA check (issue 12), imitating each recipe's URLs:
//
// - acme.my.salesforce.com/00O5e000001abcD?export=1&enc=UTF-8&xf=csv — a report's "Export details"
//   (CSV, Content-Disposition: attachment). The body is held open after its first line until the
//   test calls `releaseExports()`: a download is still in progress while CRM Guard decides, so a
//   cancelled one never completes.
// - acme.my.salesforce.com/reports/contacts — a report page: 500 table rows, the export link, a
//   button that builds a CSV in the page and downloads it as a blob: (/static/export-blob.js).
// - login.salesforce.com/ — Salesforce's login host: a password form posting to `/`. User "otp"
//   gets a one-time-code form on the same URL (autocomplete="one-time-code"); any other user, or
//   a posted code, is sent to the Lightning app (acme.lightning.force.com).

export const REPORT_PATH = '/00O5e000001abcD';
export const ROWS = 500;

export function exportGate() {
  let open = null;
  let waiting = new Promise((r) => (open = r));
  return {
    wait: () => waiting,
    release() {
      open();
      waiting = new Promise((r) => (open = r));
    },
  };
}

/** Salesforce report routes; `null` when `p` is not one of them. */
export function salesforceExports({ p, url, res, h, html, gate }) {
  if (p === REPORT_PATH && url.searchParams.get('export') === '1') {
    res.writeHead(200, { ...h, 'Content-Type': 'text/csv; charset=utf-8', 'Cache-Control': 'no-store',
      'Content-Disposition': 'attachment; filename="report1700000000000.csv"' });
    res.write('"Name","Email"\n');
    gate.wait().then(() => {
      const rows = Array.from({ length: ROWS }, (_, i) => `"Contact ${i}","c${i}@acme.example"`).join('\n');
      res.end(`${rows}\n`);
    });
    res.on('error', () => {});
    return true;
  }
  if (p === '/reports/contacts') {
    const rows = Array.from({ length: ROWS }, (_, i) => `<tr><td>Contact ${i}</td><td>c${i}@acme.example</td></tr>`).join('');
    const body = `<h1>Contacts report</h1>
<p id="short">Twenty characters ok and then some more words that are not copied.</p>
<a id="export" href="${REPORT_PATH}?export=1&amp;enc=UTF-8&amp;xf=csv">Export details</a>
<button type="button" id="blob">Export (built in the page)</button>
<table id="rows"><thead><tr><th>Name</th><th>Email</th></tr></thead><tbody>${rows}</tbody></table>`;
    res.writeHead(200, { ...h, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(html('Contacts report | Salesforce', body, ['/static/export-blob.js']));
    return true;
  }
  return false;
}

/** login.salesforce.com: password, then (user "otp") a one-time code, then the app. */
export function salesforceLogin({ req, res, h, html, body }) {
  const app = 'https://acme.lightning.force.com/lightning/o/Account/home';
  const form = new URLSearchParams(body ?? '');
  if (req.method === 'POST' && (form.has('code') || form.get('username') !== 'otp')) {
    res.writeHead(302, { ...h, Location: app });
    return res.end();
  }
  const page = req.method === 'POST'
    ? `<h1>Verify your identity</h1><form method="post" action="/" id="otp">
<label>Verification code <input type="text" name="code" id="code" autocomplete="one-time-code" inputmode="numeric" maxlength="6"></label>
<button type="submit">Verify</button></form>`
    : `<h1>Log in to Salesforce</h1><form method="post" action="/" id="login">
<label>Username <input type="text" name="username" id="username" autocomplete="username"></label>
<label>Password <input type="password" name="password" id="password" autocomplete="current-password"></label>
<button type="submit">Log in</button></form>`;
  res.writeHead(200, { ...h, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  return res.end(html('Login | Salesforce', page));
}
