// A real OpenID provider (oidc-provider) for tests/integration/test_oidc.py.
//
// It listens on a free port of 127.0.0.1 and prints one JSON line, {"issuer", "identity"}, when
// ready. One confidential client, whose redirect URI is the test's API. Its login needs no form:
// the next sign-in logs in the account the test chose with POST /_test/next?account=ID (or
// ends in error=access_denied with ?deny=1). GET /_test/identity answers the IDENTITY it was
// started with, so the test knows the server on that port is this one.
//
// Environment: CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, IDENTITY, ACCOUNTS (JSON: id -> claims).

import http from 'node:http';

import Provider from 'oidc-provider';

const { CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, IDENTITY } = process.env;
const ACCOUNTS = JSON.parse(process.env.ACCOUNTS);
let next = { account: Object.keys(ACCOUNTS)[0], deny: false };

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    features: { devInteractions: { enabled: false } },
    findAccount: async (ctx, sub) =>
      ACCOUNTS[sub] && { accountId: sub, claims: async () => ({ sub, ...ACCOUNTS[sub] }) },
    // A first-party client: every scope it asks for is granted without a consent screen.
    loadExistingGrant: async (ctx) => {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope(ctx.oidc.params.scope);
      await grant.save();
      return grant;
    },
  });
  const callback = provider.callback();

  server.on('request', async (req, res) => {
    const url = new URL(req.url, issuer);
    if (url.pathname === '/_test/identity') {
      res.end(IDENTITY);
    } else if (url.pathname === '/_test/next' && req.method === 'POST') {
      next = { account: url.searchParams.get('account'), deny: url.searchParams.has('deny') };
      res.end('ok');
    } else if (url.pathname.startsWith('/interaction/')) {
      try {
        await provider.interactionDetails(req, res);
        const result = next.deny
          ? { error: 'access_denied', error_description: 'End-User aborted interaction' }
          : { login: { accountId: next.account } };
        await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
      } catch (error) {
        res.statusCode = 500;
        res.end(String(error));
      }
    } else {
      callback(req, res);
    }
  });
  process.stdout.write(`${JSON.stringify({ issuer, identity: IDENTITY })}\n`);
});
