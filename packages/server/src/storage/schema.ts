/** Row types of the tables as Kysely sees them (times are Unix seconds). */
export interface Database {
  clients: {
    client_id: string
    client_name: string
    redirect_uris: string
    token_endpoint_auth_method: string
    client_secret_hash: string | null
    grant_types: string
    scope: string
    created_at: number
    access_token_format: string | null
    post_logout_redirect_uris: string | null
  }
  users: {
    id: string
    username: string
    password_hash: string
    name: string
    email: string | null
    created_at: number
  }
  sessions: {
    id_hash: string
    user_id: string
    auth_time: number
    expires_at: number
  }
  consents: {
    user_id: string
    client_id: string
    scope: string
    updated_at: number
  }
  grants: {
    id: string
    client_id: string
    user_id: string | null
    scope: string
    redirect_uri: string
    code_challenge: string | null
    code_hash: string
    code_expires_at: number
    code_used_at: number | null
    auth_time: number
    created_at: number
    expires_at: number
    revoked_at: number | null
    nonce: string | null
    resource: string | null
  }
  access_tokens: {
    token_hash: string
    grant_id: string
    client_id: string
    user_id: string | null
    scope: string
    expires_at: number
    /** JSON array; null in rows from before migration 0004. */
    audience: string | null
  }
  refresh_tokens: {
    token_hash: string
    grant_id: string
    client_id: string
    scope: string
    created_at: number
    expires_at: number
    rotated_at: number | null
  }
  signing_keys: {
    kid: string
    alg: string
    public_jwk: string
    private_key: string
    created_at: number
    activates_at: number
    retired_at: number | null
  }
}
