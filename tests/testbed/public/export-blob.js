// A CRM page that builds an export in the page and downloads it as a blob: URL.
document.getElementById('blob')?.addEventListener('click', () => {
  const rows = [...document.querySelectorAll('#rows tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent).join(','));
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([`Name,Email\n${rows.join('\n')}\n`], { type: 'text/csv' }));
  a.download = 'contacts.csv';
  document.body.append(a);
  a.click();
});
