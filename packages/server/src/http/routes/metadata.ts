import type { Hono } from 'hono'
import { SCOPES, type Config } from '../../config.ts'
import type { AppDeps } from '../context.ts'

const CLIENT_AUTH = ['none', 'client_secret_basic', 'client_secret_post']
const CONFIDENTIAL_AUTH = ['client_secret_basic', 'client_secret_post']

/**
 * One builder for both documents, so they never disagree: RFC 8414 authorization server
 * metadata, and OpenID Connect Discovery 1.0 3 provider metadata (the same values, plus the
 * members OIDC requires). Exactly what is implemented, nothing more.
 */
export function serverMetadata(config: Config): Record<string, unknown> {
  const { issuer } = config
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/api/token`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    userinfo_endpoint: `${issuer}/userinfo`,
    end_session_endpoint: `${issuer}/logout`,
    revocation_endpoint: `${issuer}/api/revoke`,
    revocation_endpoint_auth_methods_supported: CLIENT_AUTH,
    introspection_endpoint: `${issuer}/api/introspect`,
    introspection_endpoint_auth_methods_supported: CONFIDENTIAL_AUTH,
    scopes_supported: Object.keys(SCOPES),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    token_endpoint_auth_methods_supported: CLIENT_AUTH,
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [config.signing_alg],
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'nonce',
      'at_hash',
      'azp',
      'name',
      'preferred_username',
      'email',
      'email_verified',
    ],
    prompt_values_supported: ['none', 'login', 'consent'],
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
  }
}

/** Served with CORS open to all: public, and SDKs read it from the browser. */
export function metadataRoutes(app: Hono, deps: AppDeps): void {
  const body = JSON.stringify(serverMetadata(deps.config))
  for (const path of [
    '/.well-known/oauth-authorization-server',
    '/.well-known/openid-configuration',
  ]) {
    app.get(path, (c) => {
      c.header('Access-Control-Allow-Origin', '*')
      c.header('Cache-Control', 'public, max-age=300')
      c.header('Content-Type', 'application/json')
      return c.body(body)
    })
  }
}
