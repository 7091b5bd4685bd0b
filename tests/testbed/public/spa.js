// Salesforce-like single-page navigation: links marked data-spa change the URL with history.pushState.
'use strict';
const views = {
  '/': 'Home',
  '/lightning/o/Account/home': 'Accounts',
  '/lightning/o/Contact/home': 'Contacts',
};
function render(path) {
  const name = views[path] || 'Home';
  document.title = name + ' | Salesforce';
  const main = document.getElementById('view');
  if (main) main.textContent = name + ' view';
}
document.addEventListener('click', (ev) => {
  const a = ev.target.closest('a[data-spa]');
  if (!a) return;
  ev.preventDefault();
  const path = new URL(a.href).pathname;
  history.pushState({ path }, '', path);
  render(path);
});
window.addEventListener('popstate', () => render(location.pathname));
render(location.pathname);
