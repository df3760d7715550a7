// Self-test for oidc/provider.mjs: drives a full authorization code + PKCE flow
// with plain fetch (manual redirects and cookie jar, no browser) and checks the
// resulting ID token. Documents exactly what a relying party / browser does.
//
//   cd end2end && node oidc/selftest.mjs      -> prints "selftest ok", exit 0

import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import { strict as assert } from 'node:assert';

const CLIENT_ID = 'rewind';
const CLIENT_SECRET = `selftest-secret-${crypto.randomBytes(6).toString('hex')}`;
const REDIRECT_URI = 'http://127.0.0.1:13000/auth/oidc/callback';
const PASSWORD = 'selftest-password';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const randomToken = () => b64url(crypto.randomBytes(32));
const s256 = (verifier) => crypto.createHash('sha256').update(verifier).digest('base64url');

// --- tiny cookie jar (host-wide, honours Path and Max-Age=0 deletes) --------
class CookieJar {
  #cookies = new Map(); // key name|path -> { name, value, path }

  store(response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attrs] = header.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expired = false;
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        const key = k.toLowerCase();
        if (key === 'path') path = v;
        if (key === 'max-age' && Number(v) <= 0) expired = true;
        if (key === 'expires' && Date.parse(v) <= Date.now()) expired = true;
        if (key === 'secure') throw new Error(`cookie ${name} is marked Secure, breaks plain http`);
      }
      const id = `${name}|${path}`;
      if (expired || value === '') this.#cookies.delete(id);
      else this.#cookies.set(id, { name, value, path });
    }
  }

  header(url) {
    const { pathname } = new URL(url);
    return [...this.#cookies.values()]
      .filter(({ path }) => pathname === path || pathname.startsWith(path.endsWith('/') ? path : `${path}/`))
      .map(({ name, value }) => `${name}=${value}`)
      .join('; ');
  }

  names() {
    return [...new Set([...this.#cookies.values()].map((c) => c.name))];
  }
}

async function request(jar, url, init = {}) {
  const headers = new Headers(init.headers);
  const cookie = jar.header(url);
  if (cookie) headers.set('cookie', cookie);
  const res = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.store(res);
  return res;
}

// Follow 3xx redirects on the provider until we either reach a page (200/4xx)
// or a redirect to the relying party's callback.
async function follow(jar, res, baseUrl) {
  let current = res;
  let url = baseUrl;
  for (let i = 0; i < 10; i += 1) {
    if (current.status < 300 || current.status >= 400) return { res: current, url };
    const location = new URL(current.headers.get('location'), url).href;
    if (location.startsWith(REDIRECT_URI)) return { callback: new URL(location) };
    url = location;
    current = await request(jar, url);
  }
  throw new Error('too many redirects');
}

function formAction(html, pageUrl) {
  const m = /<form[^>]*action="([^"]+)"[^>]*method="post"/i.exec(html);
  assert.ok(m, 'login form not found');
  return new URL(m[1].replace(/&amp;/g, '&'), pageUrl).href;
}

function decodeJwt(jwt) {
  const [h, p, s] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url')),
    payload: JSON.parse(Buffer.from(p, 'base64url')),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, 'base64url'),
  };
}

function basicAuth(id, secret) {
  // RFC 6749 section 2.3.1: form-urlencode id and secret before base64
  const enc = (s) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}

// Starts an authorization request and returns the login page.
async function startAuthorization(jar, discovery, { scope = 'openid profile email groups' } = {}) {
  const state = randomToken();
  const nonce = randomToken();
  const verifier = randomToken();
  const authUrl = new URL(discovery.authorization_endpoint);
  authUrl.search = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    scope,
    state,
    nonce,
    code_challenge: s256(verifier),
    code_challenge_method: 'S256',
  }).toString();

  const first = await request(jar, authUrl.href);
  assert.equal(first.status, 303, `authorize should redirect to interaction, got ${first.status}`);
  const { res, url } = await follow(jar, first, authUrl.href);
  assert.equal(res.status, 200, 'login page');
  const html = await res.text();
  assert.match(html, /name="login"/);
  assert.match(html, /name="password"/);
  assert.match(html, />Sign-in</);
  return { state, nonce, verifier, loginUrl: url, html };
}

async function submitLogin(jar, page, login, password) {
  const action = formAction(page.html, page.loginUrl);
  const res = await request(jar, action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ prompt: 'login', login, password }).toString(),
  });
  return { res, action };
}

async function tokenRequest(discovery, params) {
  return fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicAuth(CLIENT_ID, CLIENT_SECRET),
    },
    body: new URLSearchParams(params).toString(),
  });
}

async function main() {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const providerPath = fileURLToPath(new URL('./provider.mjs', import.meta.url));
  const child = spawn(process.execPath, [providerPath], {
    env: {
      ...process.env,
      OIDC_PORT: String(port),
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: CLIENT_SECRET,
      OIDC_REDIRECT_URI: REDIRECT_URI,
      OIDC_USER_PASSWORD: PASSWORD,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const stop = () => { if (child.exitCode === null) child.kill('SIGTERM'); };
  process.on('exit', stop);

  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`provider did not start:\n${output}`)), 15000);
      child.stdout.on('data', () => {
        if (output.includes(`oidc provider listening on ${issuer}`)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (code) => reject(new Error(`provider exited ${code}:\n${output}`)));
    });

    // 1. discovery
    const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
    assert.equal(discovery.issuer, issuer);
    assert.deepEqual(discovery.code_challenge_methods_supported, ['S256']);
    assert.ok(discovery.token_endpoint_auth_methods_supported.includes('client_secret_basic'));
    assert.ok(discovery.id_token_signing_alg_values_supported.includes('RS256'));
    for (const s of ['openid', 'profile', 'email', 'groups']) {
      assert.ok(discovery.scopes_supported.includes(s), `scope ${s} supported`);
    }

    // 2. PKCE is mandatory: authorization request without code_challenge is refused
    {
      const u = new URL(discovery.authorization_endpoint);
      u.search = new URLSearchParams({
        response_type: 'code', client_id: CLIENT_ID, redirect_uri: REDIRECT_URI,
        scope: 'openid', state: 'x', nonce: 'y',
      }).toString();
      const res = await fetch(u, { redirect: 'manual' });
      assert.equal(res.status, 303);
      const loc = new URL(res.headers.get('location'));
      assert.ok(loc.href.startsWith(REDIRECT_URI), 'error goes back to the RP');
      assert.equal(loc.searchParams.get('error'), 'invalid_request', 'missing code_challenge rejected');
    }

    const jar = new CookieJar();

    // 3. wrong password (and unknown user) are rejected with a visible error
    const page = await startAuthorization(jar, discovery);
    for (const [login, password] of [['olivia', 'wrong-password'], ['mallory', PASSWORD]]) {
      const { res } = await submitLogin(jar, page, login, password);
      assert.equal(res.status, 401, `bad credentials for ${login} rejected`);
      const html = await res.text();
      assert.match(html, /Invalid login or password\./);
      assert.match(html, /name="password"/, 'form shown again');
    }

    // 4. correct login on the same interaction; consent is auto-granted
    const { res: loginRes, action } = await submitLogin(jar, page, 'olivia', PASSWORD);
    assert.equal(loginRes.status, 303, 'login accepted');
    const result = await follow(jar, loginRes, action);
    assert.ok(result.callback, `expected redirect to callback, got ${result.res?.status} at ${result.url}`);
    const cb = result.callback;
    assert.equal(cb.searchParams.get('error'), null, `callback error: ${cb.searchParams.get('error_description')}`);
    assert.equal(cb.searchParams.get('state'), page.state);
    assert.equal(cb.searchParams.get('iss'), issuer);
    const code = cb.searchParams.get('code');
    assert.ok(code, 'authorization code present');

    // 5. token request without code_verifier fails
    {
      const res = await tokenRequest(discovery, {
        grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI,
      });
      assert.equal(res.status, 400, 'token request without code_verifier rejected');
      const body = await res.json();
      assert.equal(body.error, 'invalid_grant');
    }

    // Run a second authorization to get a fresh code; the provider session cookie
    // (op_session) means no login form this time (single sign-on).
    const state = randomToken();
    const nonce = randomToken();
    const verifier = randomToken();
    const authUrl = new URL(discovery.authorization_endpoint);
    authUrl.search = new URLSearchParams({
      response_type: 'code', client_id: CLIENT_ID, redirect_uri: REDIRECT_URI,
      scope: 'openid profile email groups', state, nonce,
      code_challenge: s256(verifier), code_challenge_method: 'S256',
    }).toString();
    const second = await follow(jar, await request(jar, authUrl.href), authUrl.href);
    assert.ok(second.callback, 'second authorization redirects straight to callback (SSO session)');
    assert.equal(second.callback.searchParams.get('state'), state);
    const code2 = second.callback.searchParams.get('code');

    // wrong client secret is rejected
    {
      const res = await fetch(discovery.token_endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basicAuth(CLIENT_ID, 'not-the-secret'),
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code', code: code2, redirect_uri: REDIRECT_URI, code_verifier: verifier,
        }).toString(),
      });
      assert.equal(res.status, 401, 'wrong client secret rejected');
    }

    // 6. token exchange with code_verifier + client_secret_basic
    const tokenRes = await tokenRequest(discovery, {
      grant_type: 'authorization_code', code: code2, redirect_uri: REDIRECT_URI, code_verifier: verifier,
    });
    const tokens = await tokenRes.json();
    assert.equal(tokenRes.status, 200, `token endpoint: ${JSON.stringify(tokens)}`);
    assert.equal(tokens.token_type, 'Bearer');
    assert.ok(tokens.access_token);
    assert.ok(tokens.id_token);

    // 7. ID token claims
    const idt = decodeJwt(tokens.id_token);
    assert.equal(idt.header.alg, 'RS256');
    const c = idt.payload;
    assert.equal(c.iss, issuer);
    assert.equal(c.aud, CLIENT_ID);
    assert.equal(c.nonce, nonce);
    assert.equal(c.sub, 'olivia');
    assert.ok(Array.isArray(c.groups) && c.groups.includes('kafka-operators'), 'groups claim');
    assert.equal(c.name, 'Olivia Operator');
    assert.equal(c.email, 'olivia@example.test');
    assert.equal(c.preferred_username, 'olivia');
    const now = Math.floor(Date.now() / 1000);
    assert.ok(c.exp > now && c.iat <= now + 5);

    // 8. signature against JWKS
    const jwks = await (await fetch(discovery.jwks_uri)).json();
    const jwk = jwks.keys.find((k) => k.kid === idt.header.kid);
    assert.ok(jwk, 'kid found in JWKS');
    assert.equal(jwk.kty, 'RSA');
    assert.equal(jwk.d, undefined, 'JWKS must not expose private key');
    const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
    const ok = crypto.verify('RSA-SHA256', Buffer.from(idt.signingInput), key, idt.signature);
    assert.ok(ok, 'ID token RS256 signature verifies');
    // and a tampered token does not
    const bad = crypto.verify('RSA-SHA256', Buffer.from(`${idt.signingInput}x`), key, idt.signature);
    assert.equal(bad, false);

    // 9. userinfo with the access token
    const ui = await (await fetch(discovery.userinfo_endpoint, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })).json();
    assert.equal(ui.sub, 'olivia');
    assert.deepEqual(ui.groups, ['kafka-operators']);

    // 10. the secret never shows up in the provider's output
    assert.ok(!output.includes(CLIENT_SECRET), 'client secret must not be logged');

    if (process.env.SELFTEST_VERBOSE) {
      console.log('cookies seen:', jar.names().join(', '));
      console.log('id token claims:', JSON.stringify(c));
      console.log('provider output:\n' + output);
    }
    console.log('selftest ok');
  } finally {
    stop();
  }
}

main().then(() => process.exit(0), (err) => {
  console.error('selftest FAILED:', err);
  process.exit(1);
});
