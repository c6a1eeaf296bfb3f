// The OAuth steps every scenario is made of, the same for every server. Each request is timed
// as one step; any status other than the expected one throws (and is counted as an error).
import { util } from 'undici'
import { Jar, pkce, randomState, readForm } from './http.mjs'

export const CLIENT_ID = 'bench-spa'
export const REDIRECT_URI = 'http://127.0.0.1:5173/callback'
export const PASSWORD = 'correct horse battery staple'
const FORM = 'application/x-www-form-urlencoded'

export class StepError extends Error {}

/** A virtual user: its own cookies (browser), its own tokens. */
export function virtualUser(i, users) {
  return { i, user: `bench-user-${i % users}`, jar: new Jar(), tokens: null }
}

/**
 * One request through undici's dispatch API, the body gathered in memory: `request()` wraps
 * every response in a stream behind a promise, and the driver shares the machine's CPU with the
 * servers it measures.
 */
function send(dispatcher, opts) {
  return new Promise((resolve, reject) => {
    let statusCode = 0
    let rawHeaders = []
    const chunks = []
    dispatcher.dispatch(opts, {
      onConnect() {},
      onHeaders(status, raw) {
        statusCode = status
        rawHeaders = raw
        return true
      },
      onData(chunk) {
        chunks.push(chunk)
        return true
      },
      onComplete() {
        resolve({ statusCode, rawHeaders, chunks })
      },
      onError: reject,
    })
  })
}

const text = (chunks) => Buffer.concat(chunks).toString()

async function call(ctx, name, opts, expect, read = 'dump') {
  const t = performance.now()
  const res = await send(ctx.dispatcher, opts)
  let body
  // Bodies only asked for are joined; the rest are dropped as they came.
  if (read === 'json' && res.statusCode === 200) body = JSON.parse(text(res.chunks))
  else if (read === 'text' || res.statusCode >= 400) body = text(res.chunks)
  ctx.rec.step(name, performance.now() - t)
  if (!expect.includes(res.statusCode)) {
    const detail = typeof body === 'string' ? body.slice(0, 160).replace(/\s+/g, ' ') : ''
    throw new StepError(`${name}: HTTP ${res.statusCode} ${detail}`)
  }
  return { status: res.statusCode, headers: util.parseHeaders(res.rawHeaders), body }
}

export function authorizePath(target, state, challenge) {
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    scope: target.scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  })
  return `/authorize?${q}`
}

function codeFrom(location, state) {
  const url = new URL(location)
  if (url.searchParams.get('state') !== state) throw new StepError('state not echoed')
  const code = url.searchParams.get('code')
  if (!code) throw new StepError(`no code in redirect: ${url.search.slice(0, 120)}`)
  return code
}

const stepName = (method, path) =>
  `${method} ${path.split('?')[0].replace(/\/(interaction|authorize)\/[^/]+/, '/$1/:uid')}`

/**
 * A browser signing in: follows redirects on the server's origin, fills the login form (and
 * approves consent when the server asks), until the redirect to the client. Returns the code.
 */
export async function browserSignIn(ctx, vu, jar = vu.jar) {
  const { verifier, challenge } = pkce()
  const state = randomState()
  let method = 'GET'
  let path = authorizePath(ctx.target, state, challenge)
  let body
  const seen = new Set()
  for (let hop = 0; hop < 8; hop++) {
    let name = stepName(method, path)
    if (seen.has(name)) name += ' (again)'
    seen.add(name)
    const headers = { cookie: jar.header() }
    if (method === 'POST') {
      headers['content-type'] = FORM
      headers.origin = ctx.target.base
    }
    const res = await call(ctx, name, { method, path, headers, body }, [200, 302, 303], 'text')
    jar.store(res.headers['set-cookie'])
    if (res.status !== 200) {
      const location = res.headers.location
      if (location.startsWith(REDIRECT_URI)) return { code: codeFrom(location, state), verifier }
      const url = new URL(location, ctx.target.base)
      if (url.origin !== ctx.target.base) throw new StepError(`redirect off-site: ${location}`)
      method = 'GET'
      path = url.pathname + url.search
      body = undefined
      continue
    }
    const form = readForm(res.body)
    if (/login/.test(form.action)) {
      form.fields.set('username', vu.user)
      form.fields.set('password', PASSWORD)
    } else if (/consent/.test(form.action)) {
      form.fields.set('decision', 'allow')
    } else {
      throw new StepError(`unknown form ${form.action}`)
    }
    method = 'POST'
    path = new URL(form.action, ctx.target.base + path).pathname
    body = form.fields.toString()
  }
  throw new StepError('sign-in did not reach the client')
}

/** The front half of `flow`: a signed-in, consented browser gets a code at once. */
export async function authorizeSignedIn(ctx, vu, name = 'GET /authorize') {
  const { verifier, challenge } = pkce()
  const state = randomState()
  const res = await call(
    ctx,
    name,
    {
      method: 'GET',
      path: authorizePath(ctx.target, state, challenge),
      headers: { cookie: vu.jar.header() },
    },
    [302, 303],
  )
  const location = res.headers.location ?? ''
  if (!location.startsWith(REDIRECT_URI)) throw new StepError(`not an immediate code: ${location}`)
  return { code: codeFrom(location, state), verifier }
}

export async function exchangeCode(ctx, { code, verifier }, name = 'POST /api/token (code)') {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    client_id: CLIENT_ID,
    code_verifier: verifier,
  }).toString()
  const res = await call(
    ctx,
    name,
    { method: 'POST', path: '/api/token', headers: { 'content-type': FORM }, body },
    [200],
    'json',
  )
  if (!res.body.access_token || !res.body.refresh_token)
    throw new StepError('token response lacks tokens')
  return res.body
}

export async function refresh(ctx, refreshToken) {
  const body = new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: CLIENT_ID,
  }).toString()
  const res = await call(
    ctx,
    'POST /api/token (refresh)',
    { method: 'POST', path: '/api/token', headers: { 'content-type': FORM }, body },
    [200],
    'json',
  )
  if (!res.body.access_token || !res.body.refresh_token)
    throw new StepError('refresh response lacks tokens')
  return res.body
}

export async function me(ctx, accessToken) {
  await call(
    ctx,
    'GET /v1/me',
    { method: 'GET', path: '/v1/me', headers: { authorization: `Bearer ${accessToken}` } },
    [200],
  )
}

export async function hello(ctx) {
  await call(ctx, 'GET /', { method: 'GET', path: '/' }, [200])
}
