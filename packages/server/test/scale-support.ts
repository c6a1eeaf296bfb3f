/** Helpers of the scale-out suites: real `pixie serve` processes, a cuttable TCP proxy. */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, connect, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CookieJar, formFields } from '../src/testing.ts'

const BIN = new URL('../bin/pixie.cjs', import.meta.url).pathname

export async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address() as { port: number }
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

export interface PixieProcess {
  url: string
  child: ChildProcess
  /** Everything the process wrote to stderr. */
  stderr(): string
  alive(): boolean
  stop(): Promise<void>
}

/** Spawns `pixie serve --config <file>` and waits for "Pixie listening on <url>". */
export async function spawnPixie(
  config: Record<string, unknown>,
  args: string[] = [],
  /** More environment; an undefined value removes the variable. */
  env: Record<string, string | undefined> = {},
): Promise<PixieProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'pixie-proc-'))
  const file = join(dir, 'pixie.json')
  writeFileSync(file, JSON.stringify(config))
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    PIXIE_DATABASE_URL: '',
    PIXIE_REDIS_URL: '',
    ...env,
  }
  for (const [k, v] of Object.entries(childEnv)) if (v === undefined) delete childEnv[k]
  const child = spawn(process.execPath, [BIN, 'serve', '--config', file, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: childEnv,
  })
  let out = ''
  let err = ''
  let exited = false
  child.stderr!.on('data', (d) => (err += d))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pixie did not start: ${err}`)), 30_000)
    child.stdout!.on('data', (d) => {
      out += d
      const m = /Pixie listening on (\S+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
    child.once('exit', (code) => {
      exited = true
      clearTimeout(timer)
      reject(new Error(`pixie exited with ${code}: ${err}`))
    })
  })
  return {
    url,
    child,
    stderr: () => err,
    alive: () => !exited && child.exitCode === null,
    async stop() {
      if (child.exitCode === null) {
        const done = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await done
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * A TCP proxy in front of PostgreSQL. `cut()` closes the listener and destroys every connection
 * (the database "goes away": refused connections, broken sockets); `restore()` listens again on
 * the same port.
 */
export class TcpProxy {
  private server: Server | null = null
  private readonly sockets = new Set<Socket>()
  port = 0

  constructor(private readonly target: { host: string; port: number }) {}

  async start(port = 0): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host)
      for (const s of [client, upstream]) {
        this.sockets.add(s)
        s.on('close', () => this.sockets.delete(s))
        s.on('error', () => {})
      }
      client.pipe(upstream).pipe(client)
      client.on('close', () => upstream.destroy())
      upstream.on('close', () => client.destroy())
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => resolve())
    })
    this.server = server
    this.port = (server.address() as { port: number }).port
  }

  async cut(): Promise<void> {
    const server = this.server
    this.server = null
    const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve()
    for (const s of this.sockets) s.destroy()
    await closed
  }

  restore(): Promise<void> {
    return this.start(this.port)
  }
}

/** Opens the login page through /authorize and returns what a browser would post back. */
export async function loginForm(
  base: string,
  authorizeQuery: URLSearchParams,
  jar = new CookieJar(),
): Promise<{ jar: CookieJar; fields: URLSearchParams }> {
  const res = await fetch(`${base}/authorize?${authorizeQuery}`, {
    redirect: 'manual',
    headers: { cookie: jar.header() },
  })
  jar.store(res)
  const html = await res.text()
  if (res.status !== 200) throw new Error(`expected the login page, got ${res.status}: ${html}`)
  const { action, fields } = formFields(html)
  if (action !== '/login') throw new Error(`expected the login form, got ${action}`)
  return { jar, fields }
}

export async function postForm(
  url: string,
  fields: URLSearchParams,
  jar: CookieJar,
  origin: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  const res = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      cookie: jar.header(),
      origin,
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    },
    body: fields,
  })
  jar.store(res)
  return res
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
