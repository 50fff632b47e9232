// A real OAuth 2.0 / OIDC server on loopback for cmek-auth's integration tests.
//
// oauth2-mock-server (authorize, token with PKCE S256 checks, userinfo, revoke) behind a thin
// wrapper that adds: Google-faithful errors (a wrong or missing PKCE verifier and a replayed
// code answer 400 invalid_grant, as Google does), injectable failures, an `email` claim, a
// CockroachDB Cloud `GET /api/v1/organization`, and counters. Listens on 127.0.0.1:0 and
// prints one line `{"port":N}`. Control: `POST /__control` with a JSON body, e.g.
//   {"authorizeError":"access_denied"}                    next authorize redirects with it
//   {"tokenError":{"grant":"refresh_token","error":"invalid_grant","subtype":"invalid_rapt"}}
//   {"expiresIn":30} {"email":"x@example.com"} {"accessToken":"t"} {"reset":true}
//   {"revokeStatus":503}                                   the next revocations answer it
// `GET /__stats` returns counters: token requests per grant_type, revoked tokens, last
// token-request fields (names and non-secret values) for assertions.
import http from "node:http";
import fs from "node:fs";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { OAuth2Issuer, OAuth2Service } from "oauth2-mock-server";

// With OAUTH_ISSUED_FILE set (CMEK Desk's app tests), tokens get distinctive values and every
// secret that passes through (codes, verifiers, client secret, tokens) is appended to that file,
// one per line, for the secret scan of scripts/test.sh.
const ISSUED = process.env.OAUTH_ISSUED_FILE;
const issued = (...values) => {
  if (!ISSUED) return;
  for (const v of values) if (typeof v === "string" && v) fs.appendFileSync(ISSUED, v + "\n");
};

const issuer = new OAuth2Issuer();
await issuer.keys.generate("RS256");
const service = new OAuth2Service(issuer);
const app = service.requestHandler;

const fresh = () => ({ authorizeError: null, tokenError: null, expiresIn: null, email: "officer@example.com", accessToken: null, revokeStatus: null });
let mode = fresh();
let stats = { token: {}, revoked: [], lastToken: null, userinfo: 0 };

// Google answers invalid_grant where the mock says invalid_request about PKCE or a used code.
const origSend = app.response.send;
app.response.send = function (body) {
  if (process.env.OAUTH_TEST_DEBUG) console.error("send", this.statusCode, JSON.stringify(body));
  if (this.statusCode === 400 && body && body.error === "invalid_request" &&
      /code_verifier|code_challenge/.test(body.error_description ?? "")) {
    body = { error: "invalid_grant", error_description: "Bad Request" };
  }
  return origSend.call(this, body);
};

service.on("beforeAuthorizeRedirect", (redirect) => {
  issued(redirect.url.searchParams.get("code"));
  if (mode.authorizeError) {
    redirect.url.searchParams.delete("code");
    redirect.url.searchParams.set("error", mode.authorizeError);
    mode.authorizeError = null;
  }
});
service.on("beforeTokenSigning", (token) => {
  token.payload.email = mode.email;
  token.payload.email_verified = true;
});
service.on("beforeResponse", (response, req) => {
  const grant = req.body.grant_type;
  stats.token[grant] = (stats.token[grant] ?? 0) + 1;
  const b = req.body;
  issued(b.code, b.code_verifier, b.client_secret, b.refresh_token);
  stats.lastToken = {
    grant_type: grant, client_id: b.client_id, redirect_uri: b.redirect_uri,
    has_client_secret: "client_secret" in b, has_code_verifier: "code_verifier" in b,
  };
  const inj = mode.tokenError;
  if (inj && (!inj.grant || inj.grant === grant)) {
    response.statusCode = 400;
    response.body = { error: inj.error, error_description: inj.description ?? "Bad Request" };
    if (inj.subtype) response.body.error_subtype = inj.subtype;
    if (!inj.sticky) mode.tokenError = null;
    return;
  }
  if (mode.expiresIn !== null) response.body.expires_in = mode.expiresIn;
  if (grant === "refresh_token") delete response.body.refresh_token; // Google does not rotate
  if (ISSUED) {
    response.body.access_token = `ya29.e2e-access-${randomUUID()}`;
    if (response.body.refresh_token) response.body.refresh_token = `1//e2e-refresh-${randomUUID()}`;
    issued(response.body.access_token, response.body.refresh_token, response.body.id_token);
  }
  if (mode.accessToken) response.body.access_token = mode.accessToken; // a token another fake accepts
});
service.on("beforeUserinfo", (response) => {
  stats.userinfo += 1;
  response.body.email = mode.email;
});
service.on("beforeRevoke", (_response, req) => {
  stats.revoked.push(req.body?.token ?? null);
});

function readBody(req) {
  return new Promise((resolve) => {
    let data = "";
    req.on("data", (c) => (data += c));
    req.on("end", () => resolve(data));
  });
}
function json(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, "http://127.0.0.1");
  if (req.method === "POST" && url.pathname === "/__control") {
    const cmd = JSON.parse((await readBody(req)) || "{}");
    if (cmd.reset) { mode = fresh(); stats = { token: {}, revoked: [], lastToken: null, userinfo: 0 }; }
    for (const k of ["authorizeError", "tokenError", "expiresIn", "email", "accessToken", "revokeStatus"]) if (k in cmd) mode[k] = cmd[k];
    return json(res, 200, { ok: true });
  }
  if (req.method === "GET" && url.pathname === "/__stats") return json(res, 200, stats);
  if (req.method === "POST" && url.pathname === "/revoke") {
    // The mock's revoke route has no body parser; parse the form here for the stats.
    const form = new URLSearchParams(await readBody(req));
    issued(form.get("token"));
    stats.revoked.push(form.get("token"));
    if (mode.revokeStatus) return json(res, mode.revokeStatus, { error: "temporarily_unavailable" });
    res.writeHead(form.get("token") ? 200 : 400, { "content-type": "application/json" });
    return res.end(form.get("token") ? "" : JSON.stringify({ error: "invalid_token" }));
  }
  if (req.method === "GET" && url.pathname === "/__sa-key") {
    // A throwaway service-account key whose token_uri is this server (for gcp_auth).
    const { privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048, privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    return json(res, 200, {
      type: "service_account", project_id: "cmek-test", private_key_id: "k1", private_key: privateKey,
      client_email: "kms-admin@cmek-test.iam.gserviceaccount.com", client_id: "1",
      token_uri: `http://127.0.0.1:${server.address().port}/sa-token`,
    });
  }
  if (req.method === "POST" && url.pathname === "/sa-token") {
    // JWT-bearer grant (RFC 7523) as Google's token endpoint takes it from key files.
    const form = new URLSearchParams(await readBody(req));
    stats.token[form.get("grant_type")] = (stats.token[form.get("grant_type")] ?? 0) + 1;
    if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer" || !form.get("assertion"))
      return json(res, 400, { error: "invalid_grant" });
    return json(res, 200, { access_token: `sa-${randomUUID()}`, expires_in: 3600, token_type: "Bearer" });
  }
  if (req.method === "GET" && url.pathname === "/api/v1/organization") {
    // CockroachDB Cloud: API key "crl-good" is valid; Cc-Version must be sent.
    if (req.headers["cc-version"] !== "2024-09-16") return json(res, 400, { code: 3, message: "missing Cc-Version" });
    if (req.headers["authorization"] !== "Bearer crl-good") return json(res, 401, { code: 16, message: "unauthenticated" });
    return json(res, 200, { id: "org-1", name: "acme", label: "Acme Corp", created_at: "2024-01-01T00:00:00Z" });
  }
  return app(req, res);
});

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  issuer.url = `http://127.0.0.1:${port}`;
  process.stdout.write(JSON.stringify({ port }) + "\n");
});
// Exit with the test process: stdin closes when the Rust test drops the child.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
