import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { signIn, TEST_CLIENT, TEST_USER } from '../src/testing.ts'
import { authorizeUrl, pkcePair, tokenRequest } from './support.ts'

const repo = fileURLToPath(new URL('../../..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'pixie-cli-'))
after(() => rmSync(dir, { recursive: true, force: true }))

/** `npx pixie ...` exactly as the README shows it, from the repository root. */
function pixie(args: string[], input?: string) {
  const r = spawnSync('npx', ['pixie', ...args], {
    cwd: repo,
    input,
    encoding: 'utf8',
    env: { ...process.env, npm_config_loglevel: 'silent' },
  })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.replace(/^npm warn.*\n/gm, '') }
}

describe('npx pixie serve: the whole flow over real HTTP', () => {
  let child: ChildProcess
  let url: string
  const config = join(dir, 'serve.json')

  before(async () => {
    writeFileSync(
      config,
      JSON.stringify({
        database: `sqlite:${join(dir, 'serve.db')}`,
        clients: [TEST_CLIENT],
        users: [TEST_USER],
        log_level: 'silent',
      }),
    )
    child = spawn('npx', ['pixie', 'serve', '--config', config, '--port', '0'], {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: npx does not pass signals on, so the group is what we stop.
      detached: true,
    })
    url = await new Promise<string>((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 30_000)
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        const m = /Pixie listening on (http:\/\/\S+)/.exec(out)
        if (m) {
          clearTimeout(timer)
          resolve(m[1]!)
        }
      })
      child.once('exit', (code) => reject(new Error(`pixie exited ${code}: ${out}`)))
    })
  })
  after(() => {
    process.kill(-child.pid!, 'SIGTERM')
  })

  it('signs in with the forms, exchanges the code, reads /v1/me and refreshes', async () => {
    const meta = await (await fetch(`${url}/.well-known/oauth-authorization-server`)).json()
    assert.equal((meta as { issuer: string }).issuer, url)
    const { verifier, challenge } = pkcePair()
    const location = new URL(
      await signIn(
        authorizeUrl(
          { url },
          {
            client_id: TEST_CLIENT.client_id,
            response_type: 'code',
            redirect_uri: 'http://127.0.0.1/callback',
            scope: 'profile email',
            state: 'cli-state',
            code_challenge: challenge,
            code_challenge_method: 'S256',
          },
        ),
        TEST_USER,
      ),
    )
    assert.equal(location.searchParams.get('state'), 'cli-state')
    assert.equal(location.searchParams.get('iss'), url)
    const token = await tokenRequest(
      { url },
      {
        grant_type: 'authorization_code',
        code: location.searchParams.get('code')!,
        redirect_uri: 'http://127.0.0.1/callback',
        client_id: TEST_CLIENT.client_id,
        code_verifier: verifier,
      },
    )
    assert.equal(token.status, 200)
    const me = await fetch(`${url}/v1/me`, {
      headers: { authorization: `Bearer ${token.json.access_token}` },
    })
    assert.equal(me.status, 200)
    assert.equal(((await me.json()) as { email: string }).email, TEST_USER.email)
    const refreshed = await tokenRequest(
      { url },
      {
        grant_type: 'refresh_token',
        refresh_token: token.json.refresh_token as string,
        client_id: TEST_CLIENT.client_id,
      },
    )
    assert.equal(refreshed.status, 200)
    assert.equal((await fetch(`${url}/healthz`)).status, 200)
  })
})

describe('pixie client and user commands', () => {
  const db = ['--database', `sqlite:${join(dir, 'admin.db')}`]

  it('adds, lists and removes a public client', () => {
    const add = pixie([
      'client',
      'add',
      'spa',
      '--redirect-uri',
      'https://app.example/cb',
      '--name',
      'My SPA',
      ...db,
    ])
    assert.equal(add.status, 0, add.stderr)
    assert.match(add.stdout, /client spa added/)
    assert.doesNotMatch(add.stdout, /client_secret/)
    const list = pixie(['client', 'list', '--json', ...db])
    assert.equal(list.status, 0, list.stderr)
    const clients = JSON.parse(list.stdout) as Array<Record<string, unknown>>
    assert.deepEqual(
      clients.find((c) => c.client_id === 'spa'),
      {
        client_id: 'spa',
        client_name: 'My SPA',
        token_endpoint_auth_method: 'none',
        redirect_uris: ['https://app.example/cb'],
        grant_types: ['authorization_code', 'refresh_token'],
        scope: 'profile email',
      },
    )
    const again = pixie(['client', 'add', 'spa', '--redirect-uri', 'https://app.example/cb', ...db])
    assert.equal(again.status, 2)
    assert.match(again.stderr, /client spa already exists/)
    assert.equal(pixie(['client', 'remove', 'spa', ...db]).status, 0)
    const gone = pixie(['client', 'remove', 'spa', ...db])
    assert.equal(gone.status, 2)
    assert.match(gone.stderr, /no client spa/)
  })

  it('a confidential client gets a generated secret, shown once', () => {
    const add = pixie([
      'client',
      'add',
      'backend',
      '--auth-method',
      'client_secret_basic',
      '--redirect-uri',
      'https://api.example/cb',
      '--json',
      ...db,
    ])
    assert.equal(add.status, 0, add.stderr)
    const { client_secret: secret } = JSON.parse(add.stdout) as { client_secret: string }
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/)
    assert.doesNotMatch(pixie(['client', 'list', '--json', ...db]).stdout, new RegExp(secret))
  })

  it('an OIDC client: client_credentials, post-logout redirect URIs, opaque tokens', () => {
    const add = pixie([
      'client',
      'add',
      'oidc-backend',
      '--auth-method',
      'client_secret_post',
      '--redirect-uri',
      'https://rp.example/cb',
      '--scope',
      'openid profile',
      '--client-credentials',
      '--post-logout-redirect-uri',
      'https://rp.example/bye',
      '--access-token-format',
      'opaque',
      '--json',
      ...db,
    ])
    assert.equal(add.status, 0, add.stderr)
    const list = JSON.parse(pixie(['client', 'list', '--json', ...db]).stdout) as Array<
      Record<string, unknown>
    >
    const c = list.find((x) => x.client_id === 'oidc-backend')!
    assert.deepEqual(c.grant_types, ['authorization_code', 'refresh_token', 'client_credentials'])
    assert.equal(c.scope, 'openid profile')
    const publicCc = pixie([
      'client',
      'add',
      'public-cc',
      '--redirect-uri',
      'https://rp.example/cb',
      '--client-credentials',
      ...db,
    ])
    assert.equal(publicCc.status, 2)
    assert.match(publicCc.stderr, /--client-credentials: client_credentials needs a confidential/)
    const badFormat = pixie([
      'client',
      'add',
      'bad-format',
      '--redirect-uri',
      'https://rp.example/cb',
      '--access-token-format',
      'paseto',
      ...db,
    ])
    assert.equal(badFormat.status, 2)
    assert.match(badFormat.stderr, /--access-token-format/)
  })

  it('refuses bad client input with a clear error naming the option', () => {
    const bad = pixie(['client', 'add', 'x', '--redirect-uri', 'http://evil.example/cb', ...db])
    assert.equal(bad.status, 2)
    assert.match(bad.stderr, /--redirect-uri #1: redirect URI http is allowed only for loopback/)
    const scope = pixie([
      'client',
      'add',
      'y',
      '--redirect-uri',
      'https://a.example/cb',
      '--scope',
      'admin',
      ...db,
    ])
    assert.equal(scope.status, 2)
    assert.match(scope.stderr, /--scope: each scope must be one of/)
    const method = pixie([
      'client',
      'add',
      'z',
      '--redirect-uri',
      'https://a.example/cb',
      '--auth-method',
      'magic',
      ...db,
    ])
    assert.equal(method.status, 2)
    assert.match(method.stderr, /--auth-method/)
  })

  it('adds users with a password from stdin, lists and removes them; never prints the hash', () => {
    const add = pixie(
      [
        'user',
        'add',
        'grace',
        '--name',
        'Grace Hopper',
        '--email',
        'grace@example.com',
        '--password-stdin',
        ...db,
      ],
      'a long enough password\n',
    )
    assert.equal(add.status, 0, add.stderr)
    const list = pixie(['user', 'list', '--json', ...db])
    const users = JSON.parse(list.stdout) as Array<Record<string, unknown>>
    const grace = users.find((u) => u.username === 'grace')
    assert.equal(grace?.name, 'Grace Hopper')
    assert.equal(grace?.email, 'grace@example.com')
    assert.doesNotMatch(list.stdout, /argon2/)
    const dup = pixie(
      ['user', 'add', 'grace', '--name', 'G', '--password-stdin', ...db],
      'another password\n',
    )
    assert.equal(dup.status, 2)
    assert.match(dup.stderr, /user grace already exists/)
    assert.equal(pixie(['user', 'remove', 'grace', ...db]).status, 0)
    assert.equal(pixie(['user', 'remove', 'grace', ...db]).status, 2)
  })

  it('refuses bad user input: short password, bad email, no password', () => {
    const short = pixie(
      ['user', 'add', 'bob', '--name', 'Bob', '--password-stdin', ...db],
      'short\n',
    )
    assert.equal(short.status, 2)
    assert.match(short.stderr, /password: at least 8 characters/)
    const email = pixie(
      ['user', 'add', 'bob', '--name', 'Bob', '--email', 'not-an-email', '--password-stdin', ...db],
      'long enough pw\n',
    )
    assert.equal(email.status, 2)
    assert.match(email.stderr, /email/)
    const none = spawnSync('npx', ['pixie', 'user', 'add', 'bob', '--name', 'Bob', ...db], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, PIXIE_USER_PASSWORD: '' },
    })
    assert.equal(none.status, 2)
    assert.match(none.stderr, /a password is required/)
  })

  it('reports an invalid config file naming the bad field', () => {
    const file = join(dir, 'bad.json')
    writeFileSync(
      file,
      JSON.stringify({ port: 'eighty', clients: [{ client_id: 'a', redirect_uris: [] }] }),
    )
    const r = pixie(['serve', '--config', file])
    assert.equal(r.status, 2)
    assert.match(r.stderr, /port: /)
    assert.match(r.stderr, /clients\.0\.redirect_uris: /)
    writeFileSync(file, '{ not json')
    const r2 = pixie(['serve', '--config', file])
    assert.equal(r2.status, 2)
    assert.match(r2.stderr, /not valid JSON/)
    const r3 = pixie(['serve', '--config', join(dir, 'missing.json')])
    assert.equal(r3.status, 2)
    assert.match(r3.stderr, /cannot read config file/)
  })
})

describe('pixie keys list | rotate', () => {
  const db = ['--database', `sqlite:${join(dir, 'keys.db')}`]

  it('rotate publishes a pending key; rotating again activates the next and retires the old', () => {
    const empty = pixie(['keys', 'list', ...db])
    assert.equal(empty.status, 0, empty.stderr)
    assert.match(empty.stdout, /no signing keys/)

    const first = pixie(['keys', 'rotate', '--activate-in', '600', '--json', ...db])
    assert.equal(first.status, 0, first.stderr)
    const k1 = JSON.parse(first.stdout) as { kid: string; alg: string; activates_at: number }
    assert.equal(k1.alg, 'ES256')
    assert.ok(k1.activates_at > Date.now() / 1000 + 590)
    let keys = JSON.parse(pixie(['keys', 'list', '--json', ...db]).stdout) as Array<
      Record<string, unknown>
    >
    assert.deepEqual(
      keys.map((k) => [k.kid, k.state, k.encrypted]),
      [[k1.kid, 'pending', false]],
    )

    const second = spawnSync(
      'npx',
      ['pixie', 'keys', 'rotate', '--activate-in', '0', '--json', ...db],
      {
        cwd: repo,
        encoding: 'utf8',
        env: { ...process.env, PIXIE_SECRET: 'a test deployment secret' },
      },
    )
    assert.equal(second.status, 0, second.stderr)
    const k2 = JSON.parse(second.stdout) as { kid: string }
    keys = JSON.parse(pixie(['keys', 'list', '--json', ...db]).stdout) as Array<
      Record<string, unknown>
    >
    const byKid = Object.fromEntries(keys.map((k) => [k.kid, k]))
    assert.equal(byKid[k1.kid]!.state, 'retired') // still published, no longer signs
    assert.equal(byKid[k2.kid]!.state, 'active')
    assert.equal(byKid[k2.kid]!.encrypted, true) // PIXIE_SECRET was set
    assert.doesNotMatch(pixie(['keys', 'list', '--json', ...db]).stdout, /PRIVATE KEY|enc:v1/)
  })

  it('refuses a bad --activate-in', () => {
    const bad = pixie(['keys', 'rotate', '--activate-in', 'soon', ...db])
    assert.notEqual(bad.status, 0)
    assert.match(bad.stderr, /must be a number of seconds/)
  })
})
