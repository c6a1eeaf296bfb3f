import { html } from 'hono/html'
import { layout, type Html } from './layout.ts'

export function signedOutPage(): Html {
  return layout(
    'Signed out',
    html`<h1>You are signed out</h1>
      <p class="lead">You have signed out of Pixie. You can close this window.</p>`,
  )
}
