/**
 * The demo single-page app against a real Pixie, in Chromium: every step checks where the
 * browser is, and the server's answers are checked from outside the browser too.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import {
  DEMO_USER,
  fillLogin,
  logIn,
  meStatus,
  newUser,
  newContext,
  screenshot,
  signInFully,
  startSignIn,
  startStack,
  storedTokens,
  waitSignedIn,
  where,
  type Stack,
} from './harness.ts'

describe('demo app + Pixie in Chromium', () => {
  let stack: Stack
  before(async () => {
    stack = await startStack()
  })
  after(async () => {
    await stack?.close()
  })

  it('signs in with login and consent, and shows the profile, scopes and expiry', async () => {
    const context = await newContext(stack)
    const page = await context.newPage()
    const cspErrors = collectCspErrors(page)
    await page.goto(stack.demo)
    assert.deepEqual([where(page).origin, where(page).path], [stack.demo, '/'])
    await page.getByRole('heading', { name: 'Welcome to the Pixie demo' }).waitFor()

    await page.getByRole('button', { name: 'Sign in with Pixie' }).click()
    await page.waitForURL((u) => u.origin === stack.issuer && u.pathname === '/authorize')
    const request = where(page).query
    assert.equal(request.get('client_id'), 'pixie-demo')
    assert.equal(request.get('redirect_uri'), `${stack.demo}/callback`)
    assert.equal(request.get('code_challenge_method'), 'S256')
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    assert.match(await page.locator('.lead').innerText(), /Pixie Demo/)
    await fillLogin(page, DEMO_USER)
    await screenshot(page, 'login')

    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: /Allow Pixie Demo/ }).waitFor()
    assert.deepEqual([where(page).origin, where(page).path], [stack.issuer, '/authorize'])
    const scopes = await page.locator('.scopes li').allInnerTexts()
    assert.equal(scopes.length, 2)
    assert.match(scopes.join('\n'), /name/i)
    assert.match(scopes.join('\n'), /email/i)
    await screenshot(page, 'consent')

    await page.getByRole('button', { name: 'Allow' }).click()
    await waitSignedIn(page, stack)
    // code, state and iss are gone from the address bar
    assert.equal(page.url(), `${stack.demo}/`)
    assert.equal(await page.locator('#profile-name').innerText(), DEMO_USER.name)
    assert.equal(await page.locator('#profile-email').innerText(), DEMO_USER.email)
    assert.match(await page.locator('#profile-id').innerText(), /^[0-9a-f-]{36}$/)
    assert.deepEqual(
      await page
        .locator('#scopes li')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-scope'))),
      ['profile', 'email'],
    )
    assert.match(await page.locator('#expires-in').innerText(), /^(59:[0-5]\d|1:00:00)$/)
    await page.waitForTimeout(1100) // let the countdown tick for the screenshot
    await screenshot(page, 'demo-signed-in')

    const tokens = await storedTokens(page)
    assert.ok(tokens?.accessToken && tokens.refreshToken)
    assert.equal(await meStatus(stack, tokens.accessToken), 200)
    assert.deepEqual(cspErrors, [])
    await context.close()
  })

  it('skips consent on a second sign-in', async () => {
    const user = await newUser(stack)
    const context = await newContext(stack)
    const page = await context.newPage()
    await signInFully(page, stack, user)
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('button', { name: 'Sign in with Pixie' }).waitFor()

    // Pixie's session cookie and the consent remain: /authorize redirects straight back.
    const pixiePages: string[] = []
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame() && frame.url().startsWith(stack.issuer)) {
        pixiePages.push(frame.url())
      }
    })
    await page.getByRole('button', { name: 'Sign in with Pixie' }).click()
    await waitSignedIn(page, stack)
    assert.deepEqual(pixiePages, [], 'no Pixie page was shown')
    assert.equal(await page.locator('#profile-name').innerText(), user.name)
    await context.close()
  })

  it('shows "access denied" when the user denies consent', async () => {
    const user = await newUser(stack)
    const context = await newContext(stack)
    const page = await context.newPage()
    await startSignIn(page, stack)
    await logIn(page, stack, user)
    await page.getByRole('button', { name: 'Deny' }).click()
    await page.waitForURL((u) => u.origin === stack.demo && u.pathname === '/')
    const message = page.locator('#message')
    await message.waitFor()
    assert.match(await message.innerText(), /Access denied/)
    assert.match(await message.innerText(), /nothing was shared/)
    assert.equal(page.url(), `${stack.demo}/`)
    assert.equal(await storedTokens(page), null)
    await page.getByRole('button', { name: 'Sign in with Pixie' }).waitFor()
    await context.close()
  })

  it('refreshes the access token on "Refresh now"', async () => {
    const user = await newUser(stack)
    const context = await newContext(stack)
    const page = await context.newPage()
    await signInFully(page, stack, user)
    const before = (await storedTokens(page))!
    const tail = await page.locator('#token-tail').innerText()

    const tokenResponse = page.waitForResponse((r) => r.url() === `${stack.issuer}/api/token`)
    await page.getByRole('button', { name: 'Refresh now' }).click()
    const res = await tokenResponse
    assert.equal(res.status(), 200)
    assert.equal(res.headers()['access-control-allow-origin'], stack.demo)
    await page.getByText(/Token refreshed at/).waitFor()

    const after = (await storedTokens(page))!
    assert.notEqual(after.accessToken, before.accessToken)
    assert.notEqual(after.refreshToken, before.refreshToken, 'the refresh token rotated')
    assert.notEqual(await page.locator('#token-tail').innerText(), tail)
    assert.equal(await page.locator('#profile-name').innerText(), user.name)
    assert.equal(page.url(), `${stack.demo}/`)
    assert.equal(await meStatus(stack, after.accessToken), 200)
    await context.close()
  })

  it('signs out: tokens revoked, /v1/me refuses the old access token', async () => {
    const user = await newUser(stack)
    const context = await newContext(stack)
    const page = await context.newPage()
    await signInFully(page, stack, user)
    const tokens = (await storedTokens(page))!
    assert.equal(await meStatus(stack, tokens.accessToken), 200)

    const revocations: number[] = []
    page.on('response', (r) => {
      if (r.url() === `${stack.issuer}/api/revoke`) revocations.push(r.status())
    })
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('button', { name: 'Sign in with Pixie' }).waitFor()
    assert.match(await page.locator('#message').innerText(), /signed out/)
    assert.deepEqual(revocations, [200, 200], 'refresh token, then access token')
    assert.equal(await storedTokens(page), null)
    assert.equal(page.url(), `${stack.demo}/`)

    assert.equal(await meStatus(stack, tokens.accessToken), 401)
    const refresh = await fetch(`${stack.issuer}/api/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: tokens.refreshToken!,
        client_id: 'pixie-demo',
      }),
    })
    assert.equal(refresh.status, 400)
    assert.equal(((await refresh.json()) as { error: string }).error, 'invalid_grant')
    await context.close()
  })

  it('survives a reload on the login page and on the consent page', async () => {
    const user = await newUser(stack)
    const context = await newContext(stack)
    const page = await context.newPage()
    await startSignIn(page, stack)
    const loginUrl = page.url()
    await page.getByLabel('Username').fill('half-typed')
    await page.reload()
    assert.equal(page.url(), loginUrl)
    await page.getByRole('heading', { name: 'Sign in' }).waitFor()
    await logIn(page, stack, user)

    await page.reload()
    await page.getByRole('heading', { name: /Allow Pixie Demo/ }).waitFor()
    assert.deepEqual([where(page).origin, where(page).path], [stack.issuer, '/authorize'])
    await page.getByRole('button', { name: 'Allow' }).click()
    await waitSignedIn(page, stack)
    assert.equal(await page.locator('#profile-name').innerText(), user.name)

    // A reload of the signed-in app keeps the user signed in (tokens in localStorage).
    await page.reload()
    await waitSignedIn(page, stack)
    await context.close()
  })

  it('a reload of the callback (a replayed code) says the link expired, not a stack trace', async () => {
    const user = await newUser(stack)
    const context = await newContext(stack)
    const page = await context.newPage()
    await startSignIn(page, stack)
    await logIn(page, stack, user)
    let callback = ''
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame() && f.url().startsWith(`${stack.demo}/callback`)) callback = f.url()
    })
    await page.getByRole('button', { name: 'Allow' }).click()
    await waitSignedIn(page, stack)
    assert.ok(callback.includes('code='))
    await page.goto(callback)
    await page.waitForURL(`${stack.demo}/`)
    assert.match(await page.locator('#message').innerText(), /expired/)
    await context.close()
  })

  it('two tabs refreshing at once both stay signed in', async () => {
    const user = await newUser(stack)
    const context = await newContext(stack)
    const one = await context.newPage()
    await signInFully(one, stack, user)
    const two = await context.newPage()
    await two.goto(stack.demo)
    await waitSignedIn(two, stack) // the tabs share the tokens
    const before = (await storedTokens(one))!

    await Promise.all([
      one.getByRole('button', { name: 'Refresh now' }).click(),
      two.getByRole('button', { name: 'Refresh now' }).click(),
    ])
    for (const page of [one, two]) {
      await page.getByText(/Token refreshed at/).waitFor()
      assert.equal(await page.locator('#profile-name').innerText(), user.name)
      assert.equal(await page.locator('#message').count(), 0, 'no error shown')
    }
    const after = (await storedTokens(two))!
    assert.notEqual(after.refreshToken, before.refreshToken)
    assert.equal(await meStatus(stack, after.accessToken), 200)

    // Both tabs are still signed in after a reload, and can refresh again.
    for (const page of [one, two]) {
      await page.reload()
      await waitSignedIn(page, stack)
    }
    await one.getByRole('button', { name: 'Refresh now' }).click()
    await one.getByText(/Token refreshed at/).waitFor()
    await context.close()
  })

  it('an expired session shows a friendly message and the sign-in button', async () => {
    const user = await newUser(stack)
    const context = await newContext(stack)
    const page = await context.newPage()
    await signInFully(page, stack, user)
    // The access token expired and the refresh token is dead (e.g. revoked by an admin).
    await page.evaluate(() => {
      const key = 'pixie-demo:tokens'
      const t = JSON.parse(localStorage.getItem(key)!)
      localStorage.setItem(
        key,
        JSON.stringify({ ...t, expiresAt: Date.now() - 1000, refreshToken: 'dead' }),
      )
    })
    await page.reload()
    await page.getByRole('button', { name: 'Sign in with Pixie' }).waitFor()
    assert.match(await page.locator('#message').innerText(), /session has expired/)
    assert.equal(await storedTokens(page), null)
    assert.equal(page.url(), `${stack.demo}/`)
    await context.close()
  })
})

function collectCspErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) errors.push(m.text())
  })
  return errors
}
