import { html } from 'hono/html'
import { layout } from './layout.ts'

export function errorPage(title: string, message: string, code?: string): string {
  return layout(
    title,
    html`<h1>${title}</h1>
      <p class="error" role="alert">${message}</p>
      ${code ? html`<p class="muted">Error code: <code>${code}</code></p>` : ''}
      <p class="muted">
        If you followed a link from an app, the app may be misconfigured. Contact its developer.
      </p>`,
  )
}
