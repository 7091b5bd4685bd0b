// A same-origin about:blank frame whose change-password form is written by the parent page's script
// (like a CRM dialog rendered into an iframe).
'use strict';
const frame = document.createElement('iframe');
frame.id = 'dialog';
frame.title = 'Change password';
frame.style.width = '480px';
frame.style.height = '220px';
document.body.appendChild(frame);
const doc = frame.contentDocument;
const form = doc.createElement('form');
form.method = 'post';
form.action = '/setup/frame';
const input = doc.createElement('input');
input.type = 'password';
input.id = 'newpw';
input.name = 'newpw';
input.autocomplete = 'new-password';
const b = doc.createElement('button');
b.type = 'submit';
b.textContent = 'Save';
form.append(input, b);
doc.body.appendChild(form);
