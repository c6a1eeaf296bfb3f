import { hashToken, timingSafeEqualString } from '../../crypto/hash.ts'
import type { ClientRecord } from '../../storage/store.ts'
import { InvalidClient, InvalidRequest } from '../errors.ts'
import type { Params } from '../params.ts'

/**
 * Client authentication at the token endpoint (RFC 6749 2.3, OAuth 2.1 2.4):
 * - `none`: public clients identify themselves with client_id in the body;
 * - `client_secret_basic`: HTTP Basic with form-urlencoded id and secret (RFC 6749 2.3.1);
 * - `client_secret_post`: client_id and client_secret in the body.
 * A client uses exactly the method it registered, and only one (RFC 6749 2.3).
 */
export async function authenticateClient(
  authorization: string | undefined,
  params: Params,
  getClient: (id: string) => Promise<ClientRecord | undefined>,
): Promise<ClientRecord> {
  const basic = authorization === undefined ? null : parseBasic(authorization)
  if (basic && params.client_secret !== undefined) {
    throw new InvalidRequest('use one client authentication method, not several')
  }
  if (basic && params.client_id !== undefined && params.client_id !== basic.id) {
    throw new InvalidRequest('client_id in the body differs from the one in Authorization')
  }
  const clientId = basic?.id ?? params.client_id
  if (clientId === undefined) throw fail('client authentication failed', basic !== null)
  const client = await getClient(clientId)
  if (!client) throw fail('client authentication failed', basic !== null)

  const method = basic
    ? 'client_secret_basic'
    : params.client_secret
      ? 'client_secret_post'
      : 'none'
  if (method !== client.tokenEndpointAuthMethod) {
    throw fail('client authentication failed', basic !== null)
  }
  if (method !== 'none') {
    const secret = basic ? basic.secret : params.client_secret!
    if (
      !client.clientSecretHash ||
      !timingSafeEqualString(hashToken(secret), client.clientSecretHash)
    ) {
      throw fail('client authentication failed', basic !== null)
    }
  }
  return client
}

function fail(description: string, basic: boolean): InvalidClient {
  const e = new InvalidClient(description)
  e.basic = basic
  return e
}

/** RFC 7617 Basic credentials; id and secret are form-urlencoded inside (RFC 6749 2.3.1). */
function parseBasic(header: string): { id: string; secret: string } | null {
  const m = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(header.trim())
  if (!m) {
    const e = new InvalidClient('malformed Authorization header')
    e.basic = /^basic/i.test(header.trim())
    if (!e.basic) throw new InvalidRequest('unsupported Authorization scheme at the token endpoint')
    throw e
  }
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8')
  const i = decoded.indexOf(':')
  if (i < 0) {
    const e = new InvalidClient('malformed Basic credentials')
    e.basic = true
    throw e
  }
  try {
    const id = decodeURIComponent(decoded.slice(0, i).replace(/\+/g, ' '))
    const secret = decodeURIComponent(decoded.slice(i + 1).replace(/\+/g, ' '))
    // RFC 6749 Appendix A: client_id and client_secret are VSCHAR; NUL never reaches the store.
    if (id.includes('\0') || secret.includes('\0')) throw new Error('NUL')
    return { id, secret }
  } catch {
    const e = new InvalidClient('malformed Basic credentials')
    e.basic = true
    throw e
  }
}
