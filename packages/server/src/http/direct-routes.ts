import type { Endpoint } from './context.ts'

/**
 * The endpoints every API call of a signed-in app goes through (POST /api/token, GET /v1/me,
 * GET /userinfo), answered from node's request without Hono's Request, Context and Response
 * objects: that machinery was a third of /v1/me's CPU (0.067 against 0.043 ms a request,
 * `npm run bench`, resource at c=64) and 8% of a code exchange's (0.272 against 0.250 ms, code
 * at c=64, interleaved pairs). A request is served here only when its method and its
 * target are exactly those of a route; any other (a query string, HEAD, OPTIONS) reaches the
 * same endpoint through Hono.
 */
export class DirectRoutes {
  readonly #routes = new Map<string, Endpoint>()

  add(method: 'GET' | 'POST', path: string, endpoint: Endpoint): void {
    this.#routes.set(`${method} ${path}`, endpoint)
  }

  /** The endpoint for a request line, if it is one of these. */
  find(method: string | undefined, target: string | undefined): Endpoint | undefined {
    return method === undefined || target === undefined
      ? undefined
      : this.#routes.get(`${method} ${target}`)
  }
}
