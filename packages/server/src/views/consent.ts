import { html } from 'hono/html'
import { SCOPES } from '../config.ts'
import { hiddenParams, layout, type FormParams } from './layout.ts'

export interface ConsentView {
  clientName: string
  userName: string
  redirectHost: string
  scopes: string[]
  params: FormParams
  csrfToken: string
}

export function consentPage(v: ConsentView): string {
  return layout(
    'Allow access',
    html`<h1>Allow <strong>${v.clientName}</strong> to use your Pixie account?</h1>
      <p class="lead">Signed in as <strong>${v.userName}</strong></p>
      <p>${v.clientName} will be able to:</p>
      <ul class="scopes">
        ${v.scopes.map((s) => html`<li><span class="check" aria-hidden="true">✓</span>${SCOPES[s] ?? s}</li>`)}
      </ul>
      <p class="muted">You will be sent back to ${v.redirectHost}.</p>
      <form method="post" action="/consent" class="actions">
        <input type="hidden" name="csrf_token" value="${v.csrfToken}" />
        ${hiddenParams(v.params)}
        <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
        <button type="submit" name="decision" value="allow" class="primary">Allow</button>
      </form>`,
  )
}
