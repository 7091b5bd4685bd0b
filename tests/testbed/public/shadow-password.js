// A custom element whose password fields live inside an OPEN shadow root.
'use strict';
class PwChange extends HTMLElement {
  connectedCallback() {
    const root = this.attachShadow({ mode: 'open' });
    const form = document.createElement('form');
    form.method = 'post';
    form.action = '/setup/password';
    for (const [id, label] of [['current', 'Current password'], ['newpw', 'New password']]) {
      const l = document.createElement('label');
      l.textContent = label + ' ';
      const input = document.createElement('input');
      input.type = 'password';
      input.id = id;
      input.name = id;
      input.autocomplete = id === 'newpw' ? 'new-password' : 'current-password';
      l.appendChild(input);
      form.appendChild(l);
    }
    const b = document.createElement('button');
    b.type = 'submit';
    b.textContent = 'Save';
    form.appendChild(b);
    root.appendChild(form);
  }
}
customElements.define('pw-change', PwChange);
