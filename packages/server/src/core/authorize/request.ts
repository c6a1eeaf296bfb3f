import type { ClientRecord } from '../../storage/store.ts'
import {
  InvalidAuthorizationTarget,
  InvalidRequest,
  UnauthorizedClient,
  UnsupportedResponseType,
  type OAuthError,
} from '../errors.ts'
import { readParams } from '../params.ts'
import { checkPkceRequest } from '../pkce.ts'
import { checkRedirectUri } from '../redirect-uri.ts'
import { parseResources } from '../resource.ts'
import { checkRequestedScope } from '../scope.ts'

/** An authorization request that passed every check. */
export interface AuthorizationRequest {
  client: ClientRecord
  redirectUri: string
  scopes: string[]
  state: string | undefined
  codeChallenge: string | null
  /** OIDC Core 3.1.2.1: echoed in the id_token. */
  nonce: string | null
  /** OIDC Core 3.1.2.1 prompt values (none, login, consent). */
  prompt: string[]
  /** OIDC Core 3.1.2.1: seconds since the last sign-in after which the user must sign in again. */
  maxAge: number | null
  /** OIDC Core 3.1.2.1: prefills the username. */
  loginHint: string | undefined
  /** RFC 8707 resource indicators: the audiences of the access tokens. */
  resource: string[] | null
  /** The validated parameters, to carry through the login and consent forms (in order). */
  params: Array<[string, string]>
}

/** Where a redirectable error goes: the checked redirect URI and the state to echo. */
export interface ErrorTarget {
  redirectUri: string
  state: string | undefined
}

export type AuthorizationValidation =
  | { ok: true; request: AuthorizationRequest }
  | { ok: false; error: OAuthError; target: ErrorTarget | null }

const FORWARDED = [
  'client_id',
  'response_type',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'nonce',
  'prompt',
  'max_age',
  'login_hint',
  'resource',
] as const

const PROMPTS = ['none', 'login', 'consent']

/**
 * The authorization endpoint's checks, in order (RFC 6749 4.1.1, OAuth 2.1 4.1.1). Until the
 * client and redirect URI are trusted an error has no target (an error page); after that it is
 * redirected to the client with the state (RFC 6749 4.1.2.1).
 */
export async function validateAuthorizationRequest(
  search: URLSearchParams,
  getClient: (clientId: string) => Promise<ClientRecord | undefined>,
  supportedScopes: readonly string[],
): Promise<AuthorizationValidation> {
  const { params, duplicates } = readParams(search)
  let target: ErrorTarget | null = null
  try {
    // RFC 6749 3.1: no parameter more than once; for these two we cannot even trust the target.
    if (duplicates.includes('client_id') || duplicates.includes('redirect_uri')) {
      throw new InvalidAuthorizationTarget('client_id and redirect_uri must be sent once')
    }
    const client = await checkClient(params.client_id, getClient)
    const redirectUri = checkRedirectUri(params.redirect_uri, client.redirectUris)
    // From here on, errors go back to the client's redirect URI.
    target = { redirectUri, state: duplicates.includes('state') ? undefined : params.state }
    // RFC 8707 2: resource is the one parameter that may be repeated.
    const repeated = duplicates.filter((d) => d !== 'resource')
    if (repeated.length > 0) {
      throw new InvalidRequest(`parameter sent more than once: ${repeated.join(', ')}`)
    }
    checkResponseType(params.response_type)
    if (!client.grantTypes.includes('authorization_code')) {
      throw new UnauthorizedClient('client is not allowed the authorization code grant')
    }
    // OAuth 2.1 dropped the "request" objects of OIDC here; refuse rather than ignore them.
    if (params.request !== undefined || params.request_uri !== undefined) {
      throw new InvalidRequest('request objects are not supported')
    }
    const isPublic = client.tokenEndpointAuthMethod === 'none'
    const { challenge } = checkPkceRequest(params, isPublic)
    const scopes = checkRequestedScope(params.scope, client.scope, supportedScopes)
    const nonce = checkNonce(params.nonce)
    const prompt = checkPrompt(params.prompt)
    const maxAge = checkMaxAge(params.max_age)
    const resource = parseResources(search.getAll('resource').filter((r) => r !== ''))
    const loginHint = params.login_hint?.slice(0, 64)
    const forwarded: Array<[string, string]> = []
    for (const name of FORWARDED) {
      if (name === 'resource') for (const r of resource ?? []) forwarded.push([name, r])
      else if (params[name] !== undefined) forwarded.push([name, params[name]])
    }
    return {
      ok: true,
      request: {
        client,
        redirectUri,
        scopes,
        state: params.state,
        codeChallenge: challenge,
        nonce,
        prompt,
        maxAge,
        loginHint,
        resource,
        params: forwarded,
      },
    }
  } catch (error) {
    if (!(error as OAuthError).redirectable) target = null
    if (!(error instanceof Error) || !('error' in error)) throw error
    return { ok: false, error: error as OAuthError, target }
  }
}

async function checkClient(
  clientId: string | undefined,
  getClient: (clientId: string) => Promise<ClientRecord | undefined>,
): Promise<ClientRecord> {
  if (clientId === undefined) throw new InvalidAuthorizationTarget('client_id is required')
  const client = await getClient(clientId)
  // RFC 6749 4.1.2.1: an unknown client must not be redirected to.
  if (!client) throw new InvalidAuthorizationTarget('unknown client_id')
  return client
}

/** RFC 6749 3.1.1: only the code flow exists in OAuth 2.1. */
function checkResponseType(responseType: string | undefined): void {
  if (responseType === undefined) throw new InvalidRequest('response_type is required')
  if (responseType !== 'code') {
    throw new UnsupportedResponseType('response_type must be code')
  }
}

/** OIDC Core 3.1.2.1 nonce: any string; bounded so it cannot bloat the grant row. */
function checkNonce(nonce: string | undefined): string | null {
  if (nonce === undefined) return null
  if (nonce.length > 512) throw new InvalidRequest('nonce is too long (at most 512 characters)')
  return nonce
}

/** OIDC Core 3.1.2.1 prompt: space-delimited; `none` with any other value is an error. */
function checkPrompt(prompt: string | undefined): string[] {
  if (prompt === undefined) return []
  const values = [...new Set(prompt.split(' ').filter((v) => v !== ''))]
  for (const v of values) {
    if (!PROMPTS.includes(v)) throw new InvalidRequest(`unsupported prompt value: ${v}`)
  }
  // OIDC Core 3.1.2.1: none MUST NOT be combined with other values.
  if (values.includes('none') && values.length > 1) {
    throw new InvalidRequest('prompt=none cannot be combined with other values')
  }
  return values
}

/** OIDC Core 3.1.2.1 max_age: a non-negative number of seconds. */
function checkMaxAge(maxAge: string | undefined): number | null {
  if (maxAge === undefined) return null
  if (!/^\d{1,10}$/.test(maxAge)) throw new InvalidRequest('max_age must be a number of seconds')
  return Number(maxAge)
}
