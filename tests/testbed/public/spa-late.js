// Adds a change-password form 500 ms after load (like a lazily rendered SPA view).
'use strict';
setTimeout(() => {
  const form = document.createElement('form');
  form.id = 'late-form';
  form.method = 'post';
  form.action = '/spa-late';
  const input = document.createElement('input');
  input.type = 'password';
  input.id = 'newpw';
  input.name = 'newpw';
  input.autocomplete = 'new-password';
  const b = document.createElement('button');
  b.type = 'submit';
  b.textContent = 'Change password';
  form.append(input, b);
  document.body.appendChild(form);
}, 500);
