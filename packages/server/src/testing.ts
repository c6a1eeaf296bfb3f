/**
 * Test helpers shared by the server's, the SDK's and the e2e suites: a real Pixie on a random
 * port with a real SQLite file or a fresh PostgreSQL schema, and a browser-like
 * form filler for the login and consent pages.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'node-html-parser'
import { parseConfig, type ClientConfig, type Config } from './config.ts'
import { startServer, type RunningServer } from './server.ts'

export const TEST_USER = {
  username: 'ada',
  password: 'correct horse battery staple',
  name: 'Ada Lovelace',
  email: 'ada@example.com',
}

export const TEST_CLIENT: ClientConfig = {
  client_id: 'test-spa',
  client_name: 'Test SPA',
  redirect_uris: ['http://127.0.0.1/callback', 'http://localhost:5173/callback'],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  scope: 'profile email',
}

export interface TestServer extends RunningServer {
  clientId: string
  username: string
  password: string
  config: Config
}

/**
 * The databases every HTTP suite runs against. PostgreSQL is the real server at
 * PIXIE_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test); set PIXIE_TEST_DATABASES=sqlite
 * to run only the embedded one locally. CI runs both.
 */
export type TestDatabase = 'sqlite' | 'postgres'
export const TEST_DATABASES: TestDatabase[] = (
  process.env.PIXIE_TEST_DATABASES ?? 'sqlite,postgres'
)
  .split(',')
  .map((s) => s.trim())
  .filter((s): s is TestDatabase => s === 'sqlite' || s === 'postgres')

export const TEST_PG_URL =
  process.env.PIXIE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/**
 * A fresh PostgreSQL schema, so concurrent runs never collide; the returned URL selects it
 * through search_path.
 */
export async function freshPgSchema(): Promise<{ url: string; drop: () => Promise<void> }> {
  const { default: pg } = await import('pg')
  const schema = `pixie_test_${randomBytes(6).toString('hex')}`
  const run = async (sql: string) => {
    const c = new pg.Client({ connectionString: TEST_PG_URL })
    await c.connect()
    try {
      await c.query(sql)
    } finally {
      await c.end()
    }
  }
  await run(`create schema ${schema}`)
  const url = new URL(TEST_PG_URL)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return { url: url.toString(), drop: () => run(`drop schema ${schema} cascade`) }
}

export async function startTestServer(
  overrides: Partial<Record<keyof Config, unknown>> & { clients?: ClientConfig[] } = {},
  db: TestDatabase = 'sqlite',
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pixie-test-'))
  const pgSchema = db === 'postgres' ? await freshPgSchema() : null
  const config = parseConfig({
    port: 0,
    host: '127.0.0.1',
    database: pgSchema ? pgSchema.url : `sqlite:${join(dir, 'pixie.db')}`,
    log_level: 'silent',
    clients: [TEST_CLIENT],
    users: [TEST_USER],
    ...overrides,
  })
  const running = await startServer(config)
  return {
    ...running,
    config: { ...config, issuer: running.issuer },
    clientId: TEST_CLIENT.client_id,
    username: TEST_USER.username,
    password: TEST_USER.password,
    async close() {
      await running.close()
      await pgSchema?.drop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A minimal cookie jar: name=value pairs of one origin. */
export class CookieJar {
  readonly cookies = new Map<string, string>()
  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const i = pair!.indexOf('=')
      const name = pair!.slice(0, i).trim()
      const value = pair!.slice(i + 1).trim()
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }
}

/** The fields of the page's first form, as a browser would submit them (without buttons). */
export function formFields(html: string): { action: string; fields: URLSearchParams } {
  const form = parse(html).querySelector('form')
  if (!form) throw new Error(`no form on page: ${html.slice(0, 200)}`)
  const fields = new URLSearchParams()
  for (const input of form.querySelectorAll('input')) {
    const name = input.getAttribute('name')
    if (name) fields.append(name, input.getAttribute('value') ?? '')
  }
  return { action: form.getAttribute('action') ?? '', fields }
}

/**
 * Signs in like a browser: follows /authorize, fills the login form and approves the consent
 * page when they appear, and returns the final redirect to the client (with code, state, iss).
 */
export async function signIn(
  authorizationUrl: string,
  credentials: { username: string; password: string },
  options: { jar?: CookieJar; decision?: 'allow' | 'deny' } = {},
): Promise<string> {
  const jar = options.jar ?? new CookieJar()
  const origin = new URL(authorizationUrl).origin
  let res = await get(authorizationUrl)
  for (let step = 0; step < 6; step++) {
    if (res.status === 302 || res.status === 303) {
      const location = new URL(res.headers.get('location')!, origin).toString()
      if (!location.startsWith(origin)) return location
      res = await get(location)
      continue
    }
    const html = await res.text()
    if (res.status !== 200) throw new Error(`unexpected ${res.status}: ${html.slice(0, 300)}`)
    const { action, fields } = formFields(html)
    if (action === '/login') {
      fields.set('username', credentials.username)
      fields.set('password', credentials.password)
    } else if (action === '/consent') {
      fields.set('decision', options.decision ?? 'allow')
    } else {
      throw new Error(`unknown form action ${action}`)
    }
    res = await post(new URL(action, origin).toString(), fields)
  }
  throw new Error('sign-in did not reach the client')

  async function get(url: string): Promise<Response> {
    const r = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } })
    jar.store(r)
    return r
  }
  async function post(url: string, body: URLSearchParams): Promise<Response> {
    const r = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: jar.header(),
        origin,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body,
    })
    jar.store(r)
    return r
  }
}
