import type { Hono } from 'hono'
import { SCOPES } from '../../config.ts'
import type { AppDeps } from '../context.ts'

/**
 * RFC 8414 authorization server metadata: exactly what is implemented, nothing more.
 * Served with CORS open to all: it is public and SDKs read it from the browser.
 */
export function metadataRoutes(app: Hono, deps: AppDeps): void {
  const { issuer } = deps.config
  const metadata = {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/api/token`,
    revocation_endpoint: `${issuer}/api/revoke`,
    revocation_endpoint_auth_methods_supported: [
      'none',
      'client_secret_basic',
      'client_secret_post',
    ],
    scopes_supported: Object.keys(SCOPES),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
  }
  const body = JSON.stringify(metadata)
  app.get('/.well-known/oauth-authorization-server', (c) => {
    c.header('Access-Control-Allow-Origin', '*')
    c.header('Cache-Control', 'public, max-age=300')
    c.header('Content-Type', 'application/json')
    return c.body(body)
  })
}
