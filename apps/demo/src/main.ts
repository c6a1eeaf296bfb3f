import { PixieClient, storageTokenStore, webStorage, type TokenSet } from '@pixie/client'
import { loadConfig, type DemoConfig } from './config.ts'
import { byId, h } from './dom.ts'
import { describe, isSessionOver, SCOPE_WORDS, type Notice } from './messages.ts'
import './style.css'

interface Profile {
  id: string
  display_name?: string
  name?: string
  email?: string
}

const TOKENS_KEY = 'pixie-demo:tokens'
const app = byId('app')
const notice = byId('notice')
const who = byId('who')
let config: DemoConfig
let client: PixieClient
let ticker: ReturnType<typeof setInterval> | undefined
/** The last refresh, shown under the token; survives re-renders. */
let tokenStatus = ''
/** The render queue of show(); declared before boot() runs, which uses it. */
let showing = Promise.resolve()

await boot()

async function boot(): Promise<void> {
  config = await loadConfig()
  client = new PixieClient({
    issuer: config.issuer,
    clientId: config.clientId,
    redirectUri: `${location.origin}/callback`,
    scope: 'profile email',
    // Pixie's own profile API; its metadata also names the OIDC userinfo endpoint, which needs
    // the openid scope and answers OIDC claims instead.
    profileEndpoint: new URL('/v1/me', config.issuer).href,
    // Shared by the tabs of this origin, so a second tab is signed in too (the SDK serializes
    // their refreshes with Web Locks). Memory is the safer default for a real app.
    tokenStore: storageTokenStore(webStorage(localStorage), TOKENS_KEY),
  })
  // Another tab refreshed or signed out: follow it.
  addEventListener('storage', (event) => {
    if (event.key !== TOKENS_KEY) return
    if (event.newValue) tokenStatus = `Token refreshed at ${time()} in another tab`
    void show()
  })

  if (location.pathname === '/callback') {
    render(h('p', { class: 'loading', role: 'status' }, 'Signing you in…'))
    try {
      await client.handleCallback()
    } catch (e) {
      setNotice(describe(e, config.issuer))
    }
    // Drop code and state from the address bar (and from history).
    history.replaceState(null, '', '/')
  }
  await show()
}

/** Renders what the token store says; calls run one after the other, never interleaved. */
function show(): Promise<void> {
  showing = showing.then(showNow, showNow)
  return showing
}

async function showNow(): Promise<void> {
  const tokens = await client.getTokens()
  if (!tokens) return showSignedOut()
  let profile: Profile
  try {
    profile = await client.getProfile<Profile>()
  } catch (e) {
    if (isSessionOver(e)) await client.signOut().catch(() => {})
    setNotice(describe(e, config.issuer))
    return (await client.getTokens()) ? showSignedIn(undefined, tokens) : showSignedOut()
  }
  showSignedIn(profile, (await client.getTokens()) ?? tokens)
}

function showSignedOut(): void {
  tokenStatus = ''
  who.replaceChildren()
  const user = config.demoUser
  render(
    h(
      'section',
      { class: 'card hero', 'aria-labelledby': 'title' },
      h('h1', { id: 'title', tabindex: '-1' }, 'Welcome to the Pixie demo'),
      h(
        'p',
        { class: 'lead' },
        'This app has no passwords of its own. It sends you to Pixie to sign in, then shows what Pixie shares with it.',
      ),
      h(
        'button',
        { type: 'button', class: 'btn btn-pixie', id: 'sign-in', onclick: signIn },
        h('span', { class: 'mark', 'aria-hidden': 'true' }, '✦'),
        'Sign in with Pixie',
      ),
      user &&
        h(
          'p',
          { class: 'hint' },
          'Demo account: username ',
          h('kbd', {}, user.username),
          ' and password ',
          h('kbd', {}, user.password),
        ),
    ),
  )
}

function showSignedIn(profile: Profile | undefined, tokens: TokenSet): void {
  const name = profile?.display_name ?? profile?.name ?? 'Signed in'
  who.replaceChildren(h('span', { class: 'muted' }, 'Signed in as '), h('strong', {}, name))
  const scopes = (tokens.scope ?? '').split(' ').filter(Boolean)
  const countdown = h('span', { class: 'countdown', id: 'expires-in' })
  const bar = h('span', { class: 'bar-fill' })
  const status = h('p', { class: 'sr-status', role: 'status', id: 'token-status' }, tokenStatus)
  const refreshBtn = h(
    'button',
    { type: 'button', class: 'btn btn-secondary', id: 'refresh' },
    'Refresh now',
  )
  const signOutBtn = h(
    'button',
    { type: 'button', class: 'btn btn-danger', id: 'sign-out' },
    'Sign out',
  )
  refreshBtn.addEventListener('click', () => void refresh(refreshBtn, status))
  signOutBtn.addEventListener('click', () => void signOut(signOutBtn))

  render(
    h('h1', { id: 'title', class: 'page-title', tabindex: '-1' }, `Hello, ${firstName(name)}`),
    h(
      'div',
      { class: 'grid' },
      h(
        'section',
        { class: 'card profile', 'aria-labelledby': 'profile-title' },
        h('h2', { id: 'profile-title', class: 'card-title' }, 'Profile from /v1/me'),
        h(
          'div',
          { class: 'person' },
          h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(name)),
          h(
            'div',
            {},
            h('p', { class: 'person-name', id: 'profile-name' }, name),
            profile?.email && h('p', { class: 'muted', id: 'profile-email' }, profile.email),
          ),
        ),
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Account ID'),
          h('dd', {}, h('code', { id: 'profile-id' }, profile?.id ?? 'unavailable')),
        ),
        h('h3', { class: 'subhead' }, 'Pixie Demo can see'),
        h(
          'ul',
          { class: 'scopes', id: 'scopes' },
          ...scopes.map((s) =>
            h(
              'li',
              { 'data-scope': s },
              h('span', { class: 'chip' }, s),
              h('span', {}, SCOPE_WORDS[s] ?? s),
            ),
          ),
        ),
      ),
      h(
        'section',
        { class: 'card token', 'aria-labelledby': 'token-title' },
        h('h2', { id: 'token-title', class: 'card-title' }, 'Access token'),
        h('p', { class: 'big' }, 'Expires in ', countdown),
        h('span', { class: 'bar', 'aria-hidden': 'true' }, bar),
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Token'),
          h('dd', {}, h('code', { id: 'token-tail' }, `••••${tokens.accessToken.slice(-6)}`)),
          h('dt', {}, 'Expires at'),
          h(
            'dd',
            { id: 'expires-at' },
            tokens.expiresAt ? new Date(tokens.expiresAt).toLocaleTimeString() : 'unknown',
          ),
        ),
        h(
          'p',
          { class: 'muted small' },
          'The SDK refreshes the token on its own before it expires; a refresh rotates the refresh token.',
        ),
        h('div', { class: 'actions' }, refreshBtn, signOutBtn),
        status,
      ),
    ),
  )
  startCountdown(tokens, countdown, bar)
}

function startCountdown(tokens: TokenSet, label: HTMLElement, bar: HTMLElement): void {
  const total = tokens.expiresAt ? Math.max(1, tokens.expiresAt - Date.now()) : 0
  const tick = () => {
    if (!tokens.expiresAt) {
      label.textContent = 'unknown'
      return
    }
    const left = Math.max(0, tokens.expiresAt - Date.now())
    label.textContent = left > 0 ? clock(left) : 'expired'
    label.classList.toggle('soon', left < 60_000)
    // CSSOM, not a style attribute: allowed by the page's CSP.
    bar.style.width = `${Math.min(100, (left / total) * 100).toFixed(2)}%`
  }
  tick()
  ticker = setInterval(tick, 1000)
}

async function signIn(event: Event): Promise<void> {
  const button = event.currentTarget as HTMLButtonElement
  button.disabled = true
  button.lastChild!.textContent = 'Redirecting to Pixie…'
  try {
    await client.redirectToAuthorization()
  } catch (e) {
    setNotice(describe(e, config.issuer))
    showSignedOut()
  }
}

async function refresh(button: HTMLElement, status: HTMLElement): Promise<void> {
  button.setAttribute('disabled', '')
  button.textContent = 'Refreshing…'
  try {
    await client.refresh()
    setNotice(undefined)
    tokenStatus = `Token refreshed at ${time()}`
    await show()
  } catch (e) {
    if (isSessionOver(e)) {
      setNotice(describe(e, config.issuer))
      await show()
      return
    }
    status.textContent = ''
    setNotice(describe(e, config.issuer))
    button.removeAttribute('disabled')
    button.textContent = 'Refresh now'
  }
}

async function signOut(button: HTMLElement): Promise<void> {
  button.setAttribute('disabled', '')
  button.textContent = 'Signing out…'
  try {
    await client.signOut()
    setNotice({
      kind: 'success',
      title: 'You are signed out',
      text: 'Pixie revoked this app’s tokens.',
    })
  } catch {
    setNotice({
      kind: 'info',
      title: 'You are signed out of this app',
      text: 'Pixie could not be reached to revoke the tokens; they expire on their own.',
    })
  }
  showSignedOut()
}

function setNotice(n: Notice | undefined): void {
  if (!n) return notice.replaceChildren()
  notice.replaceChildren(
    h(
      'div',
      {
        class: `notice notice-${n.kind}`,
        role: n.kind === 'error' ? 'alert' : 'status',
        id: 'message',
      },
      h('strong', {}, n.title),
      h('span', {}, n.text),
    ),
  )
}

function render(...nodes: Node[]): void {
  clearInterval(ticker)
  const hadFocus = app.contains(document.activeElement)
  app.replaceChildren(...nodes)
  app.removeAttribute('aria-busy')
  // Move focus to the new view's heading (screen readers announce it), unless the user is
  // typing elsewhere.
  if (hadFocus || document.activeElement === document.body) {
    document.getElementById('title')?.focus()
  }
}

function time(): string {
  return new Date().toLocaleTimeString()
}

function clock(ms: number): string {
  const s = Math.ceil(ms / 1000)
  const m = Math.floor(s / 60)
  const hours = Math.floor(m / 60)
  const mm = String(m % 60).padStart(2, '0')
  const ss = String(s % 60).padStart(2, '0')
  return hours ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`
}

function initials(name: string): string {
  const parts = name.trim().split(/\s+/)
  return ((parts[0]?.[0] ?? '') + (parts.length > 1 ? (parts.at(-1)?.[0] ?? '') : '')).toUpperCase()
}

function firstName(name: string): string {
  return name.trim().split(/\s+/)[0] ?? name
}
