// Minimal, standards-compliant OpenID Connect provider for local end-to-end
// tests, built on panva's `oidc-provider` (pinned in end2end/package.json).
//
// Start:   OIDC_CLIENT_SECRET=... \
//          OIDC_REDIRECT_URI=http://127.0.0.1:13000/auth/oidc/callback \
//          node oidc/provider.mjs
//
// Environment:
//   OIDC_PORT           port to listen on (default 14000); binds 127.0.0.1 only
//   OIDC_CLIENT_ID      client id (default "rewind")
//   OIDC_CLIENT_SECRET  client secret (required; never logged)
//   OIDC_REDIRECT_URI   the only registered redirect_uri (required)
//   OIDC_USER_PASSWORD  password accepted for every account (default "oidc-test-password")
//   OIDC_POST_LOGOUT_URI the registered post_logout_redirect_uri (default: /login on the
//                       origin of OIDC_REDIRECT_URI)
//
// Issuer: http://127.0.0.1:${OIDC_PORT}  (discovery at /.well-known/openid-configuration).
// Prints exactly "oidc provider listening on <issuer>" to stdout once ready.
//
// Accounts (sub = login name; any other login is rejected):
//   olivia  "Olivia Operator"  olivia@example.test  groups ["kafka-operators"]
//   vera    "Vera Viewer"      vera@example.test    groups ["kafka-viewers"]
//   ada     "Ada Admin"        ada@example.test     groups ["kafka-admins"]
//   mallory preferred_username "ada", unverified email "ada", no groups (a colliding name)
//   eve     no preferred_username, unverified email "ada", no groups
//   sam     no groups (granted by its subject alone)
//
// Client: one confidential client, token_endpoint_auth_method client_secret_basic
// (HTTP Basic with form-urlencoded id/secret, RFC 6749 2.3.1; client_secret_post is
// advertised but NOT accepted for this client, because oidc-provider enforces the
// single registered method), grant_types [authorization_code], response_types [code],
// PKCE required for every authorization request (S256 only), ID tokens signed RS256
// with an RSA key generated at each start (served at /jwks).
//
// Scopes: openid, profile (name, preferred_username, groups), email (email,
// email_verified), groups (groups). All requested claims are put into the ID token
// itself (conformIdTokenClaims: false), and are also available from /me (userinfo).
//
// ---------------------------------------------------------------------------
// BROWSER FLOW (what a Playwright test has to do)
// ---------------------------------------------------------------------------
// 1. The relying party redirects the browser to
//      GET /auth?response_type=code&client_id=...&redirect_uri=...&scope=openid+...
//          &state=...&nonce=...&code_challenge=...&code_challenge_method=S256
//    The provider answers 303 -> /interaction/<uid>.
// 2. GET /interaction/<uid> renders the login page (title "Sign-in"):
//      <form method="post" action="/interaction/<uid>">
//        <input type="hidden" name="prompt" value="login">
//        <input type="text"     name="login">      (e.g. "olivia")
//        <input type="password" name="password">   (OIDC_USER_PASSWORD)
//        <button type="submit">Sign-in</button>
//      </form>
//    Playwright: page.fill('input[name="login"]', 'olivia');
//                page.fill('input[name="password"]', password);
//                page.click('button:has-text("Sign-in")');
// 3. Wrong login or password: the same form is rendered again with HTTP 401 and a
//    visible error <p class="error" role="alert">Invalid login or password.</p>
//    (the interaction stays valid, so the user can simply retry).
// 4. Correct credentials: there is NO consent page. The provider continues
//    303 -> /auth/<uid> -> 303 /interaction/<uid2> (consent prompt, auto-granted:
//    every requested scope/claim is granted) -> 303 /auth/<uid2>
//    -> 303 <OIDC_REDIRECT_URI>?code=...&state=...&iss=http%3A%2F%2F127.0.0.1%3A<port>
//    i.e. the callback is reached with a plain GET (response_mode=query).
//    Later authorizations in the same browser session skip the login form
//    (the provider session cookie is remembered) unless prompt=login is sent.
// 5. "Cancel" link on the login page: GET /interaction/<uid>/abort, which redirects
//    to the callback with error=access_denied.
// 6. Sign-out (RP-initiated logout): GET /session/end?client_id=...&post_logout_redirect_uri=...
//    renders "Do you want to sign-out from 127.0.0.1:<port>?" with a button
//    "Yes, sign me out"; it ends op_session and redirects to the post-logout URI.
//
// Cookies (all on 127.0.0.1, no Secure flag over http, SameSite=Lax, HttpOnly, plus
// a ".sig" signature companion each): op_session (path /), op_interaction (path
// /interaction/<uid>), op_interaction_resume (path /auth/<uid>). Cookies are not
// port-scoped, so the browser will also send op_session* to the relying party on
// another port of 127.0.0.1; names are prefixed to avoid clashing with the RP's own.

import * as crypto from 'node:crypto';
import * as http from 'node:http';

import Provider, { errors } from 'oidc-provider';

const PORT = Number.parseInt(process.env.OIDC_PORT || '14000', 10);
const CLIENT_ID = process.env.OIDC_CLIENT_ID || 'rewind';
const CLIENT_SECRET = process.env.OIDC_CLIENT_SECRET;
const REDIRECT_URI = process.env.OIDC_REDIRECT_URI;
const USER_PASSWORD = process.env.OIDC_USER_PASSWORD || 'oidc-test-password';
const POST_LOGOUT_URI = process.env.OIDC_POST_LOGOUT_URI
  || (REDIRECT_URI ? new URL('/login', REDIRECT_URI).toString() : undefined);

function die(message) {
  console.error(`oidc provider: ${message}`);
  process.exit(2);
}

if (!Number.isInteger(PORT) || PORT <= 0 || PORT > 65535) die('OIDC_PORT must be a TCP port number');
if (!CLIENT_SECRET) die('OIDC_CLIENT_SECRET is required');
if (!REDIRECT_URI) die('OIDC_REDIRECT_URI is required');
try {
  new URL(REDIRECT_URI);
} catch {
  die('OIDC_REDIRECT_URI must be an absolute URL');
}

const HOST = '127.0.0.1';
const ISSUER = `http://${HOST}:${PORT}`;

const ACCOUNTS = {
  olivia: { name: 'Olivia Operator', email: 'olivia@example.test', groups: ['kafka-operators'] },
  vera: { name: 'Vera Viewer', email: 'vera@example.test', groups: ['kafka-viewers'] },
  ada: { name: 'Ada Admin', email: 'ada@example.test', groups: ['kafka-admins'] },
  // Hostile claims: names that collide with the local user "ada", who holds a `user:ada` grant.
  mallory: { name: 'Mallory', preferred_username: 'ada', email: 'ada', email_verified: false, groups: [] },
  eve: { name: 'Eve', preferred_username: '', email: 'ada', email_verified: false, groups: [] },
  // Granted by subject alone (`oidc:sam`), with no group.
  sam: { name: 'Sam Subject', email: 'sam@example.test', groups: [] },
};

function lookupAccount(id) {
  return typeof id === 'string' && Object.hasOwn(ACCOUNTS, id) ? ACCOUNTS[id] : undefined;
}

// Fresh RS256 signing key per start.
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = {
  ...privateKey.export({ format: 'jwk' }),
  kid: crypto.randomBytes(8).toString('hex'),
  alg: 'RS256',
  use: 'sig',
};

const configuration = {
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: [REDIRECT_URI],
      post_logout_redirect_uris: [POST_LOGOUT_URI],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
  ],
  clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
  responseTypes: ['code'],
  pkce: { required: () => true }, // oidc-provider 9.x only implements S256
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username', 'groups'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  conformIdTokenClaims: false,
  enabledJWA: { idTokenSigningAlgValues: ['RS256'] },
  jwks: { keys: [signingJwk] },
  cookies: {
    names: {
      session: 'op_session',
      interaction: 'op_interaction',
      resume: 'op_interaction_resume',
    },
    keys: [crypto.randomBytes(32).toString('base64url')],
    long: { httpOnly: true, sameSite: 'lax' },
    short: { httpOnly: true, sameSite: 'lax' },
  },
  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  interactions: {
    url: (ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 60,
    IdToken: 3600,
    Interaction: 600,
    Session: 8 * 3600,
    Grant: 8 * 3600,
  },
  async findAccount(ctx, sub) {
    const account = lookupAccount(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          name: account.name,
          preferred_username: account.preferred_username ?? sub,
          email: account.email,
          email_verified: account.email_verified ?? true,
          groups: [...account.groups],
        };
      },
    };
  },
};

const provider = new Provider(ISSUER, configuration);
provider.proxy = false;

for (const event of ['server_error', 'authorization.error', 'grant.error', 'userinfo.error']) {
  provider.on(event, (ctx, err) => {
    // error name/message/description only; never request bodies or headers
    const desc = err.error_description ? ` (${err.error_description})` : '';
    console.error(`oidc provider ${event}: ${err.name}: ${err.message}${desc}`);
  });
}

// ---------------------------------------------------------------------------
// Interaction routes (login form with password check, consent auto-granted)
// ---------------------------------------------------------------------------

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
}[c]));

function page(res, status, title, body) {
  const html = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:sans-serif;max-width:24rem;margin:3rem auto}
input,button{display:block;width:100%;margin:.5rem 0;padding:.5rem;box-sizing:border-box}
.error{color:#b00020;font-weight:bold}</style></head>
<body><h1>${esc(title)}</h1>
${body}
</body></html>`;
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  res.end(html);
}

function loginPage(res, status, { uid, clientId, loginValue = '', error }) {
  const errorHtml = error ? `<p class="error" role="alert">${esc(error)}</p>\n` : '';
  page(res, status, 'Sign-in', `<p>Sign in to continue to <strong>${esc(clientId)}</strong>.</p>
${errorHtml}<form autocomplete="off" action="/interaction/${esc(uid)}" method="post">
  <input type="hidden" name="prompt" value="login">
  <label>Login <input required type="text" name="login" value="${esc(loginValue)}" autofocus></label>
  <label>Password <input required type="password" name="password"></label>
  <button type="submit">Sign-in</button>
</form>
<p><a href="/interaction/${esc(uid)}/abort">Cancel</a></p>`);
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function passwordOk(given) {
  const a = crypto.hash('sha256', String(given ?? ''));
  const b = crypto.hash('sha256', USER_PASSWORD);
  return crypto.timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

async function autoGrantConsent(req, res, details) {
  const { prompt, grantId, session, params } = details;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const missing = prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  if (missing.missingResourceScopes) {
    for (const [indicator, scope] of Object.entries(missing.missingResourceScopes)) {
      grant.addResourceScope(indicator, scope.join(' '));
    }
  }
  const result = { consent: { grantId: await grant.save() } };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
}

async function handleInteraction(req, res, uid, action) {
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    if (err instanceof errors.SessionNotFound) {
      page(res, 400, 'Sign-in session expired',
        '<p class="error" role="alert">This sign-in session is no longer valid. Start again from the application.</p>');
      return;
    }
    throw err;
  }
  if (details.uid !== uid) {
    page(res, 400, 'Sign-in session mismatch',
      '<p class="error" role="alert">This sign-in session does not match. Start again from the application.</p>');
    return;
  }
  const clientId = details.params.client_id;

  if (action === 'abort' && req.method === 'GET') {
    await provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    }, { mergeWithLastSubmission: false });
    return;
  }

  if (action !== '') {
    page(res, 404, 'Not found', '<p>Not found.</p>');
    return;
  }

  if (req.method === 'GET') {
    switch (details.prompt.name) {
      case 'login':
        loginPage(res, 200, { uid, clientId, loginValue: details.params.login_hint || '' });
        return;
      case 'consent':
        await autoGrantConsent(req, res, details);
        return;
      default:
        page(res, 501, 'Not implemented', `<p>Unsupported prompt ${esc(details.prompt.name)}.</p>`);
        return;
    }
  }

  if (req.method === 'POST') {
    const form = await readForm(req);
    if (form.get('prompt') !== 'login' || details.prompt.name !== 'login') {
      page(res, 400, 'Bad request', '<p class="error" role="alert">Unexpected form submission.</p>');
      return;
    }
    const login = (form.get('login') || '').trim();
    const passOk = passwordOk(form.get('password'));
    if (!lookupAccount(login) || !passOk) {
      loginPage(res, 401, { uid, clientId, loginValue: login, error: 'Invalid login or password.' });
      return;
    }
    await provider.interactionFinished(req, res, {
      login: { accountId: login },
    }, { mergeWithLastSubmission: false });
    return;
  }

  res.statusCode = 405;
  res.setHeader('Allow', 'GET, POST');
  res.end();
}

const providerCallback = provider.callback();
const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(abort))?\/?$/;

const server = http.createServer((req, res) => {
  const { pathname } = new URL(req.url, ISSUER);
  const match = INTERACTION_PATH.exec(pathname);
  if (!match) {
    providerCallback(req, res);
    return;
  }
  handleInteraction(req, res, match[1], match[2] || '').catch((err) => {
    console.error(`oidc provider interaction error: ${err.name}: ${err.message}`);
    if (!res.headersSent) {
      page(res, 500, 'Error', '<p class="error" role="alert">Internal error.</p>');
    } else {
      res.end();
    }
  });
});

server.listen(PORT, HOST, () => {
  console.log(`oidc provider listening on ${ISSUER}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  });
}
