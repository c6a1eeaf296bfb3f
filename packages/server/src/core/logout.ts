import type { ClientRecord } from '../storage/store.ts'
import { InvalidRequest } from './errors.ts'
import type { Params } from './params.ts'

/** A logout request that passed every check: where to go afterwards, if anywhere. */
export interface LogoutRequest {
  /** The user the id_token_hint names, when one was sent. */
  subject: string | null
  /** The client named by client_id or the hint's audience. */
  clientId: string | undefined
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
  // RP-Initiated Logout 1.0 2: with both, client_id MUST be the one the hint was issued to.
  if (hint !== null && params.client_id !== undefined && !audiences.includes(params.client_id)) {
    throw new InvalidRequest('client_id does not match the id_token_hint')
  }
  const clientId = params.client_id ?? (typeof audiences[0] === 'string' ? audiences[0] : undefined)
  const subject = hint !== null && typeof hint.sub === 'string' ? hint.sub : null
  const uri = params.post_logout_redirect_uri
  if (uri === undefined) return { subject, clientId, redirect: null }
  // RP-Initiated Logout 1.0 2: a post_logout_redirect_uri needs the client to be identified.
  if (clientId === undefined) {
    throw new InvalidRequest('post_logout_redirect_uri needs id_token_hint or client_id')
  }
  const client = await getClient(clientId)
  // RP-Initiated Logout 1.0 3: no redirection unless it exactly matches a registered one.
  if (!client || !client.postLogoutRedirectUris.includes(uri)) {
    throw new InvalidRequest('post_logout_redirect_uri is not registered for this client')
  }
  return { subject, clientId, redirect: { uri, state: params.state } }
}
