import type { UserEndpoint } from './bearer-endpoint.ts'

/**
 * The GET endpoints every API call of a signed-in app goes through (/v1/me, /userinfo), answered
 * from node's request without Hono's Request, Context and Response objects: that machinery was
 * a third of /v1/me's CPU (0.067 against 0.043 ms a request, `npm run bench`, resource at c=64).
 * A request is served here only when its method is GET and its target is exactly the path; any
 * other (a query string, HEAD, OPTIONS) reaches the same endpoint through Hono.
 */
export class DirectRoutes {
  readonly #get = new Map<string, UserEndpoint>()

  get(path: string, endpoint: UserEndpoint): void {
    this.#get.set(path, endpoint)
  }

  /** The endpoint for a request line, if it is one of these. */
  find(method: string | undefined, target: string | undefined): UserEndpoint | undefined {
    return method === 'GET' && target !== undefined ? this.#get.get(target) : undefined
  }
}
