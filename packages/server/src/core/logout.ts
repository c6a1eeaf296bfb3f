import type { ClientRecord } from '../storage/store.ts'
import { InvalidRequest } from './errors.ts'
import type { Params } from './params.ts'

/** A logout request that passed every check: where to go afterwards, if anywhere. */
export interface LogoutRequest {
  /** The user the id_token_hint names, when one was sent. */
  subject: string | null
  redirect: { uri: string; state: string | undefined } | null
}

/**
 * OpenID Connect RP-Initiated Logout 1.0, 2 and 3. `hint` is the verified id_token_hint's
 * claims (null when absent; an invalid hint is refused before this).
 */
export async function validateLogoutRequest(
  params: Params,
  hint: Record<string, unknown> | null,
  getClient: (id: string) => Promise<ClientRecord | undefined>,
): Promise<LogoutRequest> {
  const audiences = hint === null ? [] : [hint.aud].flat()
  // RP-Initiated Logout 2: when both are sent, client_id must be an audience of the hint.
  if (hint !== null && params.client_id !== undefined && !audiences.includes(params.client_id)) {
    throw new InvalidRequest('client_id does not match the id_token_hint')
  }
  const clientId = params.client_id ?? (typeof audiences[0] === 'string' ? audiences[0] : undefined)
  const subject = hint !== null && typeof hint.sub === 'string' ? hint.sub : null
  const uri = params.post_logout_redirect_uri
  if (uri === undefined) return { subject, redirect: null }
  // RP-Initiated Logout 2: a post_logout_redirect_uri needs the client to be identified...
  if (clientId === undefined) {
    throw new InvalidRequest('post_logout_redirect_uri needs id_token_hint or client_id')
  }
  const client = await getClient(clientId)
  // ... and MUST exactly match one of that client's registered post_logout_redirect_uris (3.1).
  if (!client || !client.postLogoutRedirectUris.includes(uri)) {
    throw new InvalidRequest('post_logout_redirect_uri is not registered for this client')
  }
  return { subject, redirect: { uri, state: params.state } }
}
