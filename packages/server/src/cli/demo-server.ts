import { createServer, type Server } from 'node:http'
import { readFile, stat } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve, sep } from 'node:path'

/** What `pixie dev --demo` tells the demo at `/config.json`. */
export interface DemoConfig {
  issuer: string
  clientId: string
  /** Shown on the demo's start page, so a newcomer needs nothing from the terminal. */
  demoUser?: { username: string; password: string }
}

export interface DemoServer {
  /** The demo's origin, e.g. http://127.0.0.1:5173. */
  url: string
  port: number
  /** Set once Pixie listens (its issuer depends on its port). */
  configure(config: DemoConfig): void
  close(): Promise<void>
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
}

/**
 * Serves a built single-page app (vite build output) for development: files from `dir`,
 * `index.html` for every other path (the SPA routes, e.g. /callback), and the runtime
 * `/config.json` the demo reads to find Pixie. Not a production static server.
 */
export async function startDemoServer(opts: {
  dir: string
  port: number
  host: string
}): Promise<DemoServer> {
  const root = resolve(opts.dir)
  const index = join(root, 'index.html')
  await stat(index).catch(() => {
    throw new Error(`${index} not found: build the demo first (npm run build -w @pixie/demo)`)
  })
  let config: DemoConfig | undefined

  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
      const headers = {
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'strict-origin-when-cross-origin',
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end()
        return
      }
      if (path === '/config.json') {
        res
          .writeHead(config ? 200 : 503, {
            ...headers,
            'Content-Type': 'application/json',
            'Cache-Control': 'no-store',
          })
          .end(JSON.stringify(config ?? { error: 'starting' }))
        return
      }
      let file = join(root, normalize(path))
      if (file !== root && !file.startsWith(root + sep)) file = index
      const info = await stat(file).catch(() => null)
      if (!info?.isFile()) file = extname(path) ? '' : index
      if (!file) {
        res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found')
        return
      }
      const body = await readFile(file)
      const isIndex = file === index
      res.writeHead(200, {
        ...headers,
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        // Hashed asset names never change; the page itself always revalidates.
        'Cache-Control': isIndex ? 'no-cache' : 'public, max-age=31536000, immutable',
        ...(isIndex && config
          ? {
              'Content-Security-Policy':
                `default-src 'self'; connect-src 'self' ${config.issuer}; img-src 'self' data:; ` +
                "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
            }
          : {}),
      })
      res.end(req.method === 'HEAD' ? undefined : body)
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  })

  await new Promise<void>((ok, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      fail(
        err.code === 'EADDRINUSE'
          ? new Error(`port ${opts.port} is in use: pass --demo-port <port> (or 0 for any)`)
          : err,
      ),
    )
    server.listen(opts.port, opts.host, () => ok())
  })
  const { port } = server.address() as AddressInfo
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host
  return {
    url: `http://${host}:${port}`,
    port,
    configure(next) {
      config = next
    },
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok())
        server.closeAllConnections()
      }),
  }
}
