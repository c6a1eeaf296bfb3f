import { html } from 'hono/html'

export type Html = ReturnType<typeof html>

/** Every page: no scripts, one stylesheet, a card in the middle. */
export function layout(title: string, body: Html): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>${title} · Pixie</title>
        <link rel="stylesheet" href="/assets/pixie.css" />
      </head>
      <body>
        <main class="card">
          <p class="brand" aria-hidden="true"><span class="logo">✦</span> Pixie</p>
          ${body}
        </main>
      </body>
    </html>`
}

/** Hidden form fields: a record, or name/value pairs when a name repeats (RFC 8707 resource). */
export type FormParams = Record<string, string> | Array<[string, string]>

/** The authorization request travels through the forms as hidden fields and is re-checked. */
export function hiddenParams(params: FormParams): Html {
  const pairs = Array.isArray(params) ? params : Object.entries(params)
  return html`${pairs.map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`,
  )}`
}
