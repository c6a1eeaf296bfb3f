import { html } from 'hono/html'
import { hiddenParams, layout, type FormParams } from './layout.ts'

export interface LoginView {
  clientName: string
  params: FormParams
  csrfToken: string
  error?: string
  username?: string
}

export function loginPage(v: LoginView): string {
  return layout(
    'Sign in',
    html`<h1>Sign in</h1>
      <p class="lead">to continue to <strong>${v.clientName}</strong></p>
      ${v.error ? html`<p class="error" role="alert" id="login-error">${v.error}</p>` : ''}
      <form method="post" action="/login" ${v.error ? html`aria-describedby="login-error"` : ''}>
        <input type="hidden" name="csrf_token" value="${v.csrfToken}" />
        ${hiddenParams(v.params)}
        <label for="username">Username</label>
        <input
          id="username"
          name="username"
          type="text"
          autocomplete="username"
          autocapitalize="none"
          spellcheck="false"
          required
          autofocus
          value="${v.username ?? ''}"
        />
        <label for="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
        />
        <button type="submit" class="primary">Sign in</button>
      </form>`,
  )
}
