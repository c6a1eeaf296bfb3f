import { PixieClientError, type PixieClientErrorCode } from './errors.ts'

/**
 * The `fetch` signature the SDK calls; pass your own (tests, workers, instrumentation) as
 * `options.fetch`.
 *
 * @example
 * ```ts
 * const logged: FetchLike = (input, init) => (console.log(input), fetch(input, init))
 * ```
 * @see https://fetch.spec.whatwg.org/#fetch-method
 */
export type FetchLike = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>

/** @internal Calls the global `fetch` late, unbound (a bound `window.fetch` throws "Illegal invocation"). */
export const globalFetch: FetchLike = (input, init) => fetch(input, init)

/** @internal A plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** @internal Whether `value` parses as an absolute URL. */
export function isUrl(value: string): boolean {
  try {
    return Boolean(new URL(value))
  } catch {
    return false
  }
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

/** @internal Runs `fetch`, turning a rejected promise into a `network_error`. */
export async function send(fetchImpl: FetchLike, input: RequestInfo | URL, init?: RequestInit) {
  try {
    return await fetchImpl(input, init)
  } catch (cause) {
    throw new PixieClientError('network_error', 'the request could not be sent', { cause })
  }
}

/** @internal POSTs an `application/x-www-form-urlencoded` body (RFC 6749 appendix B) expecting JSON. */
export function postForm(fetchImpl: FetchLike, url: string, params: Record<string, string>) {
  return send(fetchImpl, url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams(params),
  })
}

/** @internal Reads a JSON object body, or throws `invalid_response`. */
export async function readJsonObject(res: Response): Promise<Record<string, unknown>> {
  const body: unknown = await res.json().catch(() => undefined)
  if (!isObject(body)) {
    throw new PixieClientError('invalid_response', 'the response body is not a JSON object', {
      status: res.status,
    })
  }
  return body
}

/** @internal Throws `code` with the server's RFC 6749 section 5.2 error fields unless `res` is a 2xx. */
export async function expectOk(res: Response, code: PixieClientErrorCode): Promise<void> {
  if (res.ok) return
  const body: unknown = await res.json().catch(() => undefined)
  const error = isObject(body) ? optionalString(body.error) : undefined
  const description = isObject(body) ? optionalString(body.error_description) : undefined
  throw new PixieClientError(code, description ?? error ?? `the server answered ${res.status}`, {
    status: res.status,
    error,
    error_description: description,
  })
}
