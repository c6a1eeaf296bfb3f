import type { RequestListener } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import { createRoutes, type AppOptions } from './app.ts'
import { nodeHeader } from './context.ts'
import { asOAuthError } from '../core/errors.ts'

/** Pixie's HTTP surface as a node request listener: the direct routes first, then Hono. */
export function createRequestListener(options: AppOptions): RequestListener {
  const { app, direct, deps } = createRoutes(options)
  const viaHono = getRequestListener(app.fetch)
  return (req, res) => {
    const endpoint = direct.find(req.method, req.url)
    if (!endpoint) return viaHono(req, res)
    endpoint({ header: (name) => nodeHeader(req, name), body: req }).then(
      ({ status, headers, body }) => {
        headers['Content-Length'] = String(Buffer.byteLength(body))
        res.writeHead(status, headers)
        res.end(body)
      },
      // An endpoint answers its own errors; this is a bug's last resort, as Hono's would be.
      (err: unknown) => {
        deps.log('error', 'request failed', { path: req.url, err: String(err) })
        const error = asOAuthError(err)
        if (!res.headersSent) res.writeHead(error.status, { 'Content-Type': 'application/json' })
        res.end(JSON.stringify(error.toJSON()))
      },
    )
  }
}
