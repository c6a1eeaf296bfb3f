// The peer: node-oidc-provider with Pixie's endpoint paths, one public PKCE client, the
// provider's own in-memory adapter (its LRU, sized so pre-minted codes survive), and an
// interaction that answers like a user would: a login form checked with argon2id (the same
// parameters Pixie uses, so `login` compares like with like), then consent granted at once.
//
//   node bench/src/peer-oidc.mjs <port> opaque|jwt
//
// opaque: opaque access tokens; /v1/me is the provider's userinfo (needs the openid scope).
// jwt:    resource indicators with accessTokenFormat 'jwt' (ES256); /v1/me is a resource
//         server in this process that verifies the JWT locally with jose.
import { generateKeyPairSync } from 'node:crypto'
import { createServer } from 'node:http'
import { hash, verify } from '@node-rs/argon2'
import * as jose from 'jose'
import Provider from 'oidc-provider'
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js'
import LRU from 'oidc-provider/lib/helpers/lru.js'

const port = Number(process.argv[2])
const mode = process.argv[3] === 'jwt' ? 'jwt' : 'opaque'
const issuer = `http://127.0.0.1:${port}`
const RESOURCE = 'urn:pixie:api'
const CLIENT_ID = 'bench-spa'
const REDIRECT_URI = 'http://127.0.0.1:5173/callback'
const ARGON2 = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 }

// The default MemoryAdapter keeps 1,000 entries; the bench pre-mints tens of thousands of codes.
const storage = new LRU({ maxSize: 2_000_000 })
class Memory extends MemoryAdapter {
  constructor(model) {
    super(model, storage)
  }
}

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const jwk = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'ES256', kid: 'bench' }

// Accounts: bench-user-0..N, all with the same password (hashed once, verified per login).
const PASSWORD = process.env.BENCH_PASSWORD ?? 'correct horse battery staple'
const passwordHash = await hash(PASSWORD, ARGON2)
const account = (id) => ({
  accountId: id,
  async claims() {
    return { sub: id, name: `Bench ${id}`, email: `${id}@example.com` }
  },
})

const configuration = {
  adapter: Memory,
  clients: [
    {
      client_id: CLIENT_ID,
      token_endpoint_auth_method: 'none',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
    },
  ],
  jwks: { keys: [jwk] },
  cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
  routes: { authorization: '/authorize', token: '/api/token', userinfo: '/v1/me' },
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
  findAccount: (_ctx, id) => account(id),
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: mode === 'jwt',
      defaultResource: async () => RESOURCE,
      useGrantedResource: async () => true,
      getResourceServerInfo: async () => ({
        scope: 'profile email',
        audience: RESOURCE,
        accessTokenTTL: 3600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 600,
    RefreshToken: 30 * 24 * 3600,
    Grant: 30 * 24 * 3600,
    Session: 8 * 3600,
    Interaction: 600,
  },
}

const provider = new Provider(issuer, configuration)
provider.on('server_error', (_ctx, err) => process.stderr.write(`server_error ${err.stack}\n`))
const callback = provider.callback()

const loginPage = (uid) =>
  `<!doctype html><form method="post" action="/interaction/${uid}/login">` +
  `<input name="username"><input name="password" type="password"><button>Sign in</button></form>`

async function readBody(req) {
  const chunks = []
  for await (const c of req) chunks.push(c)
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res)
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    return res.end(loginPage(details.uid))
  }
  const form = await readBody(req)
  const username = form.get('username') ?? ''
  if (
    !/^bench-user-\d+$/.test(username) ||
    !(await verify(passwordHash, form.get('password') ?? ''))
  ) {
    res.writeHead(401, { 'content-type': 'text/html' })
    return res.end(loginPage(details.uid))
  }
  // Consent answered at once: a Grant with every requested scope (and the resource in jwt mode).
  const { params } = details
  const grant = new provider.Grant({ accountId: username, clientId: params.client_id })
  grant.addOIDCScope(String(params.scope))
  if (mode === 'jwt') grant.addResourceScope(RESOURCE, 'profile email')
  const grantId = await grant.save()
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: username }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  )
}

// jwt mode: the resource server verifies locally, no call to the provider.
const jwks = jose.createLocalJWKSet({
  keys: [{ ...publicKey.export({ format: 'jwk' }), alg: 'ES256', kid: 'bench' }],
})
async function resource(req, res) {
  const auth = req.headers.authorization ?? ''
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(auth)
  try {
    if (!m) throw new Error('no token')
    const { payload } = await jose.jwtVerify(m[1], jwks, {
      issuer,
      audience: RESOURCE,
      typ: 'at+jwt',
      algorithms: ['ES256'],
    })
    if (
      !String(payload.scope ?? '')
        .split(' ')
        .includes('profile')
    )
      throw new Error('scope')
    const body = JSON.stringify({ id: payload.sub, display_name: `Bench ${payload.sub}` })
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    res.end(body)
  } catch {
    res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' })
    res.end()
  }
}

const server = createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((err) => {
      process.stderr.write(`interaction failed: ${err.stack}\n`)
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  } else if (mode === 'jwt' && req.url.startsWith('/v1/me')) {
    resource(req, res)
  } else if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end('{"status":"ok"}')
  } else {
    callback(req, res)
  }
})
server.keepAliveTimeout = 30_000
server.listen(port, '127.0.0.1', () =>
  process.stdout.write(`oidc-provider (${mode}) on ${issuer}\n`),
)
process.on('SIGTERM', () => process.exit(0))
process.on('SIGINT', () => process.exit(0))
