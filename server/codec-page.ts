import { inlinePageCsp } from './page-csp';

/**
 * `GET /codec`: where an operator (or a tenant admin) signs the browser in to the codec server,
 * so the Temporal Web UI's codec calls carry the key (the `keel_codec` cookie; the UI sends
 * cookies with “Include cross-origin credentials” on). The key goes once to `POST
 * /codec/session`, is never stored by the page, and the cookie is HttpOnly.
 */
const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}
input{font:inherit;width:100%;padding:.4rem;margin:.3rem 0 .8rem}button{font:inherit;padding:.4rem 1rem}`;
const SCRIPT = `const status = document.getElementById('status');
const field = document.getElementById('api-key');
document.getElementById('sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  const res = await fetch('/codec/session', {
    method: 'POST',
    headers: { authorization: 'Bearer ' + field.value.trim() },
  });
  field.value = '';
  status.textContent = res.ok
    ? 'Signed in for 8 hours: the Web UI decodes payloads through this server.'
    : 'Refused (' + res.status + '): use an operator or tenant admin key.';
});
document.getElementById('sign-out').addEventListener('click', async () => {
  await fetch('/codec/session', { method: 'DELETE' });
  status.textContent = 'Signed out.';
});`;

export const CODEC_PAGE_CSP = inlinePageCsp({ script: SCRIPT, style: STYLE });

export const CODEC_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Keel codec server</title><style>${STYLE}</style></head>
<body>
<h1>Keel codec server</h1>
<p>Temporal stores Keel's payloads encrypted. The Temporal Web UI shows them decoded through this
server, for operator keys (every job) and tenant admin keys. Sign in with your key: it is kept in
an HttpOnly cookie sent only to <code>/codec</code>, for 8 hours.</p>
<form id="sign-in">
<label for="api-key">API key</label>
<input id="api-key" type="password" autocomplete="off" required>
<button id="submit" type="submit">Sign in</button>
</form>
<p id="status" role="status"></p>
<p>In the Web UI, open the Data Encoder settings, keep this server's <code>/codec</code> as the
endpoint and tick “Include cross-origin credentials”.</p>
<button id="sign-out" type="button">Sign out</button>
<script>${SCRIPT}</script>
</body>
</html>
`;
