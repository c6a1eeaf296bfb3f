import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as oauth from 'oauth4webapi'
import * as client from 'openid-client'
import {
  CookieJar,
  signIn,
  startTestServer,
  TEST_DATABASES,
  TEST_USER,
  type TestServer,
} from '../src/testing.ts'
import { MACHINE_CLIENT, MACHINE_SECRET, RS_CLIENT, RS_SECRET } from './support.ts'

const REDIRECT_URI = RS_CLIENT.redirect_uris[0]!
const CREDENTIALS = { username: TEST_USER.username, password: TEST_USER.password }

/**
 * Two independent, strict relying-party libraries by panva against a running Pixie, with their
 * default checks on (issuer, RFC 9207 iss, state, nonce, PKCE, id_token claims, content types).
 */
for (const db of TEST_DATABASES)
  describe(`interop: openid-client 6 and oauth4webapi 3 (${db})`, () => {
    let server: TestServer
    before(async () => {
      server = await startTestServer({ clients: [RS_CLIENT, MACHINE_CLIENT] }, db)
    })
    after(() => server.close())

    it('openid-client: discovery, code + PKCE + nonce, userinfo, refresh, introspection, revocation', async () => {
      const config = await client.discovery(
        new URL(server.issuer),
        RS_CLIENT.client_id,
        RS_SECRET,
        client.ClientSecretBasic(RS_SECRET),
        { execute: [client.allowInsecureRequests] },
      )
      // Also verify id_token signatures against the JWKS (off by default for code flow).
      client.enableNonRepudiationChecks(config)
      assert.equal(config.serverMetadata().issuer, server.issuer)

      const verifier = client.randomPKCECodeVerifier()
      const state = client.randomState()
      const nonce = client.randomNonce()
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'openid profile email',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      })
      const callback = await signIn(url.href, CREDENTIALS, { jar: new CookieJar() })

      const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      })
      const claims = tokens.claims()!
      const user = await server.store.getUserByUsername(TEST_USER.username)
      assert.equal(claims.sub, user!.id)
      assert.equal(claims.iss, server.issuer)
      assert.equal(tokens.token_type, 'bearer') // openid-client lower-cases it
      assert.equal(tokens.scope, 'openid profile email')

      const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub)
      assert.equal(info.sub, user!.id)
      assert.equal(info.name, TEST_USER.name)
      assert.equal(info.email, TEST_USER.email)

      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!)
      assert.notEqual(refreshed.access_token, tokens.access_token)
      assert.equal(refreshed.claims()!.sub, claims.sub)

      const active = await client.tokenIntrospection(config, refreshed.access_token)
      assert.equal(active.active, true)
      assert.equal(active.client_id, RS_CLIENT.client_id)
      assert.equal(active.sub, claims.sub)

      await client.tokenRevocation(config, refreshed.refresh_token!)
      const inactive = await client.tokenIntrospection(config, refreshed.access_token)
      assert.equal(inactive.active, false)

      const logout = client.buildEndSessionUrl(config, {
        id_token_hint: refreshed.id_token!,
        post_logout_redirect_uri: RS_CLIENT.post_logout_redirect_uris![0]!,
        state: 'bye',
      })
      const res = await fetch(logout, { redirect: 'manual' })
      assert.equal(res.status, 302)
      assert.equal(res.headers.get('location'), 'http://127.0.0.1/rs-signed-out?state=bye')
    })

    it('openid-client: client_credentials grant', async () => {
      const config = await client.discovery(
        new URL(server.issuer),
        MACHINE_CLIENT.client_id,
        MACHINE_SECRET,
        client.ClientSecretPost(MACHINE_SECRET),
        { execute: [client.allowInsecureRequests] },
      )
      const tokens = await client.clientCredentialsGrant(config, { scope: 'profile' })
      assert.equal(tokens.scope, 'profile')
      assert.equal(tokens.refresh_token, undefined)
    })

    it('oauth4webapi: discovery, code + PKCE + nonce (id_token validated), userinfo, refresh, introspection, revocation', async () => {
      const issuer = new URL(server.issuer)
      const insecure = { [oauth.allowInsecureRequests]: true }
      const as = await oauth.processDiscoveryResponse(
        issuer,
        await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }),
      )
      const rp: oauth.Client = { client_id: RS_CLIENT.client_id }
      const auth = oauth.ClientSecretBasic(RS_SECRET)

      const verifier = oauth.generateRandomCodeVerifier()
      const state = oauth.generateRandomState()
      const nonce = oauth.generateRandomNonce()
      const url = new URL(as.authorization_endpoint!)
      url.search = new URLSearchParams({
        client_id: rp.client_id,
        redirect_uri: REDIRECT_URI,
        response_type: 'code',
        scope: 'openid profile email',
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      }).toString()
      const callback = await signIn(url.href, CREDENTIALS, { jar: new CookieJar() })

      const params = oauth.validateAuthResponse(as, rp, new URL(callback), state)
      const result = await oauth.processAuthorizationCodeResponse(
        as,
        rp,
        await oauth.authorizationCodeGrantRequest(
          as,
          rp,
          auth,
          params,
          REDIRECT_URI,
          verifier,
          insecure,
        ),
        { expectedNonce: nonce, requireIdToken: true },
      )
      const claims = oauth.getValidatedIdTokenClaims(result)!
      const user = await server.store.getUserByUsername(TEST_USER.username)
      assert.equal(claims.sub, user!.id)
      assert.equal(claims.nonce, nonce)

      const info = await oauth.processUserInfoResponse(
        as,
        rp,
        claims.sub,
        await oauth.userInfoRequest(as, rp, result.access_token, insecure),
      )
      assert.equal(info.preferred_username, TEST_USER.username)
      assert.equal(info.email_verified, false)

      const refreshed = await oauth.processRefreshTokenResponse(
        as,
        rp,
        await oauth.refreshTokenGrantRequest(as, rp, auth, result.refresh_token!, insecure),
      )
      assert.equal(oauth.getValidatedIdTokenClaims(refreshed)!.sub, claims.sub)

      const active = await oauth.processIntrospectionResponse(
        as,
        rp,
        await oauth.introspectionRequest(as, rp, auth, refreshed.access_token, insecure),
      )
      assert.equal(active.active, true)
      assert.equal(active.scope, 'openid profile email')

      await oauth.processRevocationResponse(
        await oauth.revocationRequest(as, rp, auth, refreshed.access_token, insecure),
      )
      const inactive = await oauth.processIntrospectionResponse(
        as,
        rp,
        await oauth.introspectionRequest(as, rp, auth, refreshed.access_token, insecure),
      )
      assert.equal(inactive.active, false)
    })
  })
