import { html } from 'hono/html'
import { hiddenParams, layout } from './layout.ts'

export function signedOutPage(): string {
  return layout(
    'Signed out',
    html`<h1>You are signed out</h1>
      <p class="lead">You have signed out of Pixie. You can close this window.</p>`,
  )
}

export function stillSignedInPage(): string {
  return layout(
    'Still signed in',
    html`<h1>You are still signed in</h1>
      <p class="lead">You stayed signed in to Pixie. You can close this window.</p>`,
  )
}

export interface ConfirmLogoutView {
  userName: string
  clientName: string | undefined
  params: Record<string, string>
  csrfToken: string
}

/** RP-Initiated Logout 1.0 2: the user confirms a logout the request cannot vouch for. */
export function confirmLogoutPage(v: ConfirmLogoutView): string {
  return layout(
    'Sign out',
    html`<h1>Sign out of Pixie?</h1>
      <p class="lead">Signed in as <strong>${v.userName}</strong></p>
      ${v.clientName ? html`<p>${v.clientName} asks to sign you out.</p>` : ''}
      <form method="post" action="/logout/confirm" class="actions">
        <input type="hidden" name="csrf_token" value="${v.csrfToken}" />
        ${hiddenParams(v.params)}
        <button type="submit" name="decision" value="stay" class="secondary">Stay signed in</button>
        <button type="submit" name="decision" value="logout" class="primary">Sign out</button>
      </form>`,
  )
}
