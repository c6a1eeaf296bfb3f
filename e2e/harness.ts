/**
 * What every browser test needs: the demo built once per file into a temp dir, Pixie + the demo
 * served by `pixie dev`'s own code on random ports with a fresh SQLite file, and Debian's
 * Chromium driven by playwright-core.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { build } from 'vite'
import { randomUUID } from 'node:crypto'
import { DEMO_USER, startDev, type RunningDev } from '../packages/server/src/cli/serve.ts'
import { hashPassword } from '../packages/server/src/crypto/password.ts'

export { DEMO_USER }
export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const DEMO_DIR = join(ROOT, 'apps/demo')
/** Each run's screenshots (gitignored); docs/screenshots holds the committed ones. */
export const SCREENSHOT_DIR = process.env.PIXIE_SCREENSHOTS
  ? join(ROOT, process.env.PIXIE_SCREENSHOTS)
  : join(ROOT, 'e2e/screenshots')

export const CHROMIUM_PATH = process.env.PIXIE_CHROMIUM ?? '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export interface Stack {
  /** Pixie's issuer, e.g. http://127.0.0.1:41234 */
  issuer: string
  /** The demo's origin, e.g. http://127.0.0.1:41235 */
  demo: string
  browser: Browser
  dev: RunningDev
  close(): Promise<void>
}

export async function buildDemo(outDir: string): Promise<void> {
  await build({
    root: DEMO_DIR,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  })
}

export async function startStack(): Promise<Stack> {
  const tmp = mkdtempSync(join(tmpdir(), 'pixie-e2e-'))
  const cleanups: Array<() => Promise<unknown> | void> = [
    () => rmSync(tmp, { recursive: true, force: true }),
  ]
  const close = async () => {
    for (const c of cleanups.reverse()) await c()
  }
  try {
    const dist = join(tmp, 'dist')
    await buildDemo(dist)
    const dev = await startDev({
      port: 0,
      host: '127.0.0.1',
      database: `sqlite:${join(tmp, 'pixie.db')}`,
      demoDir: dist,
      demoPort: 0,
      logLevel: 'silent',
    })
    cleanups.push(() => dev.close())
    const browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
      headless: true,
    })
    cleanups.push(() => browser.close())
    return { issuer: dev.pixie.issuer, demo: dev.demoUrl!, browser, dev, close }
  } catch (err) {
    await close()
    throw err
  }
}

export function newContext(stack: Stack, scale = 1): Promise<BrowserContext> {
  return stack.browser.newContext({
    viewport: { width: 1100, height: 760 },
    deviceScaleFactor: scale,
    locale: 'en-US',
    timezoneId: 'UTC',
  })
}

/** The path (and query, when asked) of where the page is, with the origin checked. */
export function where(page: Page): { origin: string; path: string; query: URLSearchParams } {
  const url = new URL(page.url())
  return { origin: url.origin, path: url.pathname, query: url.searchParams }
}

export async function screenshot(page: Page, name: string, dir = SCREENSHOT_DIR): Promise<string> {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `${name}.png`)
  await page.screenshot({ path, fullPage: false, animations: 'disabled', caret: 'hide' })
  return path
}

/** Demo start page -> "Sign in with Pixie" -> Pixie's login page. */
export async function startSignIn(page: Page, stack: Stack): Promise<void> {
  await page.goto(stack.demo)
  await page.getByRole('button', { name: 'Sign in with Pixie' }).click()
  await page.waitForURL((u) => u.origin === stack.issuer && u.pathname === '/authorize')
}

export interface User {
  username: string
  password: string
  name: string
  email: string
}

let users = 0
/**
 * A user of its own for a test: consent is remembered per user and client, so a test that
 * wants the consent page needs a user who has not seen it yet.
 */
export async function newUser(stack: Stack, name = 'Grace Hopper'): Promise<User> {
  const n = ++users
  const user = {
    username: `user${n}`,
    password: `password-${n}-${randomUUID()}`,
    name,
    email: `user${n}@example.com`,
  }
  await stack.dev.pixie.store.createUser({
    id: randomUUID(),
    username: user.username,
    passwordHash: await hashPassword(user.password),
    name: user.name,
    email: user.email,
    createdAt: Math.floor(Date.now() / 1000),
  })
  return user
}

export async function fillLogin(page: Page, user: User): Promise<void> {
  await page.getByLabel('Username').fill(user.username)
  await page.getByLabel('Password').fill(user.password)
}

/** On Pixie's login page: sign in and wait for the consent page. */
export async function logIn(page: Page, stack: Stack, user: User): Promise<void> {
  await fillLogin(page, user)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: /Allow .* to use your Pixie account/ }).waitFor()
  const at = where(page)
  if (at.origin !== stack.issuer || at.path !== '/authorize') {
    throw new Error(`consent expected on ${stack.issuer}/authorize, browser is at ${page.url()}`)
  }
}

/** Waits until the demo shows the signed-in profile, back on the demo's start page. */
export async function waitSignedIn(page: Page, stack: Stack): Promise<void> {
  await page.waitForURL((u) => u.origin === stack.demo && u.pathname === '/')
  await page.locator('#profile-name').waitFor()
}

/** A full first sign-in: start, log in, allow. */
export async function signInFully(page: Page, stack: Stack, user: User): Promise<void> {
  await startSignIn(page, stack)
  await logIn(page, stack, user)
  await page.getByRole('button', { name: 'Allow' }).click()
  await waitSignedIn(page, stack)
}

export interface StoredTokens {
  accessToken: string
  refreshToken?: string
  expiresAt?: number
  scope?: string
}

/** The demo keeps its tokens in localStorage (shared by tabs). */
export function storedTokens(page: Page): Promise<StoredTokens | null> {
  return page.evaluate(() => {
    const raw = localStorage.getItem('pixie-demo:tokens')
    return raw ? (JSON.parse(raw) as StoredTokens) : null
  })
}

/** Calls /v1/me from the test process (no browser, no CORS): the real status of a token. */
export async function meStatus(stack: Stack, accessToken: string): Promise<number> {
  const res = await fetch(`${stack.issuer}/v1/me`, {
    headers: { authorization: `Bearer ${accessToken}` },
  })
  await res.body?.cancel()
  return res.status
}
