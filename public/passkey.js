// Passkeys for Gatehouse: the browser's side of WebAuthn, loaded only on
// the pages that offer a passkey (login, its second step, the security
// page). Each element with `data-passkey` names its ceremony: `sign-in`
// and `verify` are buttons, `register` is a form (name, current password).
// The server keeps each ceremony's state; this script only carries the
// options to `navigator.credentials` and the browser's answer back, then
// goes where the server says. Messages come from the page (`data-failed`)
// or from the server's answer, in the page's language.
(function () {
  'use strict';
  if (window.gatehousePasskeys) return;
  window.gatehousePasskeys = true;
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function bytes(text) {
    var b64 = text.replace(/-/g, '+').replace(/_/g, '/');
    return Uint8Array.from(atob(b64), function (c) { return c.charCodeAt(0); });
  }
  function text(buffer) {
    var s = '';
    new Uint8Array(buffer).forEach(function (b) { s += String.fromCharCode(b); });
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  // The server's options, with their base64url fields as the bytes the
  // browser wants.
  function decode(options) {
    var key = options.publicKey;
    key.challenge = bytes(key.challenge);
    if (key.user) key.user.id = bytes(key.user.id);
    (key.excludeCredentials || []).concat(key.allowCredentials || []).forEach(function (c) {
      c.id = bytes(c.id);
    });
    return options;
  }
  // The browser's credential as JSON, its bytes in base64url.
  function encode(credential) {
    var r = credential.response;
    var response = { clientDataJSON: text(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = text(r.attestationObject);
      if (r.getTransports) response.transports = r.getTransports();
    } else {
      response.authenticatorData = text(r.authenticatorData);
      response.signature = text(r.signature);
      if (r.userHandle) response.userHandle = text(r.userHandle);
    }
    return {
      id: credential.id,
      rawId: text(credential.rawId),
      type: credential.type,
      response: response,
      extensions: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
    };
  }
  function post(path, body, json) {
    return fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': json ? 'application/json' : 'application/x-www-form-urlencoded' },
      body: body,
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (!response.ok) throw new Error(answer.error || '');
        return answer;
      });
    });
  }
  function run(host, mode, start) {
    var out = host.querySelector('[data-passkey-message]');
    var button = host.querySelector('button');
    if (out) out.textContent = '';
    if (button) button.disabled = true;
    var next = new URLSearchParams(location.search).get('next') || '';
    var create = mode === 'register';
    post('/webauthn/' + mode + '/start', start, false)
      .then(function (answer) {
        var options = decode(answer.options);
        return create ? navigator.credentials.create(options) : navigator.credentials.get(options);
      })
      .then(function (credential) {
        var body = JSON.stringify({ credential: encode(credential), next: next });
        return post('/webauthn/' + mode + '/finish', body, true);
      })
      .then(function (answer) {
        location.href = answer.go;
      })
      .catch(function (error) {
        if (button) button.disabled = false;
        var message = error && error.name === 'Error' && error.message ? error.message : host.dataset.failed;
        if (out) out.textContent = message || '';
      });
  }
  function ready() {
    document.querySelectorAll('[data-passkey][hidden]').forEach(function (el) {
      el.hidden = false;
    });
    document.querySelectorAll('[data-passkey-needs-script]').forEach(function (el) {
      el.hidden = true;
    });
  }
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('[data-passkey] button[type=button]');
    if (!button) return;
    var host = button.closest('[data-passkey]');
    run(host, host.dataset.passkey, '');
  });
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!form.matches || !form.matches('form[data-passkey=register]')) return;
    event.preventDefault();
    run(form, 'register', new URLSearchParams(new FormData(form)).toString());
  });
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', ready);
  else ready();
})();
