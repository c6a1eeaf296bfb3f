/**
 * The shared contract suite: every Store implementation runs exactly these tests
 * (test/store-sqlite.test.ts, test/store-postgres.test.ts).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import type { KyselyStore } from './kysely-store.ts'
import type { ClientRecord, GrantRecord, SigningKeyRecord, Store, UserRecord } from './store.ts'

const NOW = 1_800_000_000

/** Another process's commit is seen from the next turn of the event loop (store.ts). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

export function client(overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    clientId: `client-${randomUUID()}`,
    clientName: 'Contract App',
    redirectUris: ['https://app.example/cb'],
    tokenEndpointAuthMethod: 'none',
    clientSecretHash: null,
    grantTypes: ['authorization_code', 'refresh_token'],
    scope: ['profile', 'email'],
    createdAt: NOW,
    accessTokenFormat: null,
    postLogoutRedirectUris: [],
    ...overrides,
  }
}

export function user(overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    id: randomUUID(),
    username: `user-${randomUUID()}`,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g',
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    createdAt: NOW,
    ...overrides,
  }
}

export function grant(c: ClientRecord, u: UserRecord, overrides: Partial<GrantRecord> = {}) {
  return {
    id: randomUUID(),
    clientId: c.clientId,
    userId: u.id,
    scope: ['profile'],
    redirectUri: c.redirectUris[0]!,
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    codeHash: `code-${randomUUID()}`,
    codeExpiresAt: NOW + 60,
    codeUsedAt: null,
    authTime: NOW,
    createdAt: NOW,
    expiresAt: NOW + 86400,
    revokedAt: null,
    nonce: null,
    resource: null,
    ...overrides,
  } satisfies GrantRecord
}

export function storeContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store
    before(async () => {
      store = await open()
      await store.migrate()
      await store.migrate() // idempotent
    })
    after(async () => {
      await store.close()
    })

    async function seed() {
      const c = client()
      const u = user()
      assert.equal(await store.createClient(c), true)
      assert.equal(await store.createUser(u), true)
      return { c, u }
    }

    it('ping answers once migrated', async () => {
      await store.ping()
    })

    it('creates, reads, lists and deletes clients; a taken client_id is refused', async () => {
      const c = client({ tokenEndpointAuthMethod: 'client_secret_basic', clientSecretHash: 'h' })
      assert.equal(await store.createClient(c), true)
      assert.equal(await store.createClient({ ...c, clientName: 'other' }), false)
      assert.deepEqual(await store.getClient(c.clientId), c)
      assert.ok((await store.listClients()).some((x) => x.clientId === c.clientId))
      assert.equal(await store.deleteClient(c.clientId), true)
      assert.equal(await store.deleteClient(c.clientId), false)
      assert.equal(await store.getClient(c.clientId), undefined)
    })

    it('keeps a found client for a while: frozen, and seen changed by another process after that', async () => {
      const cache = store as unknown as KyselyStore
      const cacheMs = cache.clientCacheMs
      const other = await open()
      try {
        const c = client()
        // An unknown id is not kept: a client created elsewhere is found at once.
        assert.equal(await store.getClient(c.clientId), undefined)
        assert.equal(await other.createClient(c), true)
        await nextTurn()
        const got = await store.getClient(c.clientId)
        assert.deepEqual(got, c)
        // Every request shares the record: none can change what the next one reads.
        assert.throws(
          () => (got!.redirectUris as string[]).push('https://evil.example/cb'),
          TypeError,
        )
        assert.throws(() => Object.assign(got!, { clientName: 'changed' }), TypeError)
        // Removed by another process: still served from the cache until it expires.
        assert.equal(await other.deleteClient(c.clientId), true)
        await nextTurn()
        assert.deepEqual(await store.getClient(c.clientId), c)
        cache.clientCacheMs = 0
        assert.equal(await store.getClient(c.clientId), undefined)
        // Through this store, a change is seen at once.
        cache.clientCacheMs = 60_000
        assert.equal(await store.createClient(c), true)
        assert.deepEqual(await store.getClient(c.clientId), c)
        assert.equal(await store.deleteClient(c.clientId), true)
        assert.equal(await store.getClient(c.clientId), undefined)
      } finally {
        cache.clientCacheMs = cacheMs
        await other.close()
      }
    })

    it('creates users with unique usernames, finds them by id and username', async () => {
      const u = user({ email: null })
      assert.equal(await store.createUser(u), true)
      assert.equal(await store.createUser({ ...u, id: randomUUID() }), false)
      assert.deepEqual(await store.getUserById(u.id), u)
      assert.deepEqual(await store.getUserByUsername(u.username), u)
      assert.equal(await store.getUserByUsername(u.username.toUpperCase()), undefined)
      assert.ok((await store.listUsers()).some((x) => x.id === u.id))
      assert.equal(await store.deleteUser(u.username), true)
      assert.equal(await store.getUserById(u.id), undefined)
    })

    it('sessions expire and can be deleted', async () => {
      const { u } = await seed()
      const s = { idHash: randomUUID(), userId: u.id, authTime: NOW, expiresAt: NOW + 10 }
      await store.createSession(s)
      assert.deepEqual(await store.getSession(s.idHash, NOW), s)
      assert.equal(await store.getSession(s.idHash, NOW + 10), undefined)
      await store.deleteSession(s.idHash)
      assert.equal(await store.getSession(s.idHash, NOW), undefined)
    })

    it('consent is remembered per user and client as a union of scopes', async () => {
      const { c, u } = await seed()
      const s = { idHash: randomUUID(), userId: u.id, authTime: NOW, expiresAt: NOW + 10 }
      await store.createSession(s)
      const consent = async (clientId: string) =>
        (await store.getSessionWithConsent(s.idHash, NOW, clientId))?.consent.sort()
      assert.deepEqual(await consent(c.clientId), [])
      await store.addConsent(u.id, c.clientId, ['profile'], NOW)
      await store.addConsent(u.id, c.clientId, ['email', 'profile'], NOW)
      assert.deepEqual(await consent(c.clientId), ['email', 'profile'])
      const other = client()
      await store.createClient(other)
      assert.deepEqual(await consent(other.clientId), [])
    })

    it("reads a session with its user's consent for one client in one call", async () => {
      const { c, u } = await seed()
      const other = client()
      await store.createClient(other)
      const s = { idHash: randomUUID(), userId: u.id, authTime: NOW, expiresAt: NOW + 10 }
      await store.createSession(s)
      assert.deepEqual(await store.getSessionWithConsent(s.idHash, NOW, c.clientId), {
        session: s,
        consent: [],
      })
      await store.addConsent(u.id, c.clientId, ['profile', 'email'], NOW)
      await store.addConsent(u.id, other.clientId, ['openid'], NOW)
      const got = await store.getSessionWithConsent(s.idHash, NOW, c.clientId)
      assert.deepEqual(got?.session, s)
      assert.deepEqual(got?.consent.sort(), ['email', 'profile'])
      assert.deepEqual(
        (await store.getSessionWithConsent(s.idHash, NOW, other.clientId))?.consent,
        ['openid'],
      )
      // No session: nothing, whatever the consent.
      assert.equal(await store.getSessionWithConsent(s.idHash, NOW + 10, c.clientId), undefined)
      assert.equal(await store.getSessionWithConsent(randomUUID(), NOW, c.clientId), undefined)
    })

    it('a code is redeemed exactly once, even by 20 concurrent callers', async () => {
      const { c, u } = await seed()
      const g = grant(c, u)
      await store.createGrant(g)
      const results = await Promise.all(
        Array.from({ length: 20 }, () => store.redeemCode(g.codeHash, NOW + 1)),
      )
      const redeemed = results.filter((r) => r.status === 'redeemed')
      assert.equal(redeemed.length, 1)
      assert.equal(results.filter((r) => r.status === 'already_used').length, 19)
      const first = redeemed[0]
      assert.ok(first && first.status === 'redeemed')
      assert.deepEqual(first.grant, { ...g, codeUsedAt: NOW + 1 })
      assert.deepEqual(await store.redeemCode('no-such-code', NOW), { status: 'not_found' })
    })

    it('tokens are saved together and revoked with their grant', async () => {
      const { c, u } = await seed()
      const g = grant(c, u)
      await store.createGrant(g)
      const access = {
        tokenHash: `at-${randomUUID()}`,
        grantId: g.id,
        clientId: c.clientId,
        userId: u.id,
        scope: ['profile'],
        expiresAt: NOW + 3600,
        audience: ['https://a.example', 'https://b.example/api'],
      }
      const refresh = {
        tokenHash: `rt-${randomUUID()}`,
        grantId: g.id,
        clientId: c.clientId,
        scope: ['profile'],
        createdAt: NOW,
        expiresAt: NOW + 86400,
        rotatedAt: null,
      }
      await store.saveTokens(access, refresh)
      assert.deepEqual(await store.getAccessToken(access.tokenHash), {
        ...access,
        grantRevokedAt: null,
      })
      assert.deepEqual(await store.getAccessTokenWithUser(access.tokenHash), {
        token: { ...access, grantRevokedAt: null },
        user: u,
      })
      assert.equal(await store.getAccessTokenWithUser('missing'), undefined)
      assert.deepEqual(await store.getRefreshToken(refresh.tokenHash), refresh)
      assert.equal(await store.getRefreshToken('missing'), undefined)
      await store.revokeGrant(g.id, NOW + 5)
      await store.revokeGrant(g.id, NOW + 9) // idempotent: the first time stands
      assert.equal((await store.getAccessToken(access.tokenHash))?.grantRevokedAt, NOW + 5)
      assert.equal(
        (await store.getAccessTokenWithUser(access.tokenHash))?.token.grantRevokedAt,
        NOW + 5,
      )
      assert.equal((await store.getGrant(g.id))?.revokedAt, NOW + 5)
      assert.equal(await store.getAccessToken('missing'), undefined)
      await store.deleteAccessToken(access.tokenHash)
      assert.equal(await store.getAccessToken(access.tokenHash), undefined)
    })

    it('the bearer lookup sees every change: through this store at once, through another from the next turn', async () => {
      const { c, u } = await seed()
      const other = await open()
      const access = (g: GrantRecord) => ({
        tokenHash: `at-${randomUUID()}`,
        grantId: g.id,
        clientId: c.clientId,
        userId: u.id,
        scope: ['profile'],
        createdAt: NOW,
        expiresAt: NOW + 600,
        audience: null,
      })
      const lookup = async (hash: string) => {
        const found = await store.getAccessTokenWithUser(hash)
        return found && { revokedAt: found.token.grantRevokedAt, user: found.user?.id ?? null }
      }
      try {
        const [g1, g2, g3] = [grant(c, u), grant(c, u), grant(c, u)]
        for (const g of [g1, g2, g3]) await store.createGrant(g)
        const [a1, a2, a3] = [access(g1), access(g2), access(g3)]
        for (const a of [a1, a2, a3]) await store.saveTokens(a, null)
        // Read, then changed through this store: the next lookup sees it, even in the same turn.
        assert.deepEqual(await lookup(a1.tokenHash), { revokedAt: null, user: u.id })
        await store.revokeGrant(g1.id, NOW + 1)
        assert.deepEqual(await lookup(a1.tokenHash), { revokedAt: NOW + 1, user: u.id })
        assert.deepEqual(await lookup(a2.tokenHash), { revokedAt: null, user: u.id })
        await store.deleteAccessToken(a2.tokenHash)
        assert.equal(await lookup(a2.tokenHash), undefined)
        // Changed through another store (another process): seen from the next turn.
        assert.deepEqual(await lookup(a3.tokenHash), { revokedAt: null, user: u.id })
        await other.revokeGrant(g3.id, NOW + 2)
        await nextTurn()
        assert.deepEqual(await lookup(a3.tokenHash), { revokedAt: NOW + 2, user: u.id })
        const g4 = grant(c, u)
        await store.createGrant(g4)
        const a4 = access(g4)
        await store.saveTokens(a4, null)
        assert.deepEqual(await lookup(a4.tokenHash), { revokedAt: null, user: u.id })
        assert.equal(await other.deleteUser(u.username), true)
        await nextTurn()
        // The user's grants, and so their tokens, go with the user (foreign keys, cascade).
        assert.equal(await lookup(a4.tokenHash), undefined)
      } finally {
        await other.close()
      }
    })

    it('a refresh token rotates exactly once under concurrency; later calls see when', async () => {
      const { c, u } = await seed()
      const g = grant(c, u)
      await store.createGrant(g)
      const rt = {
        tokenHash: `rt-${randomUUID()}`,
        grantId: g.id,
        clientId: c.clientId,
        scope: ['profile'],
        createdAt: NOW,
        expiresAt: NOW + 86400,
        rotatedAt: null,
      }
      await store.saveTokens(
        {
          tokenHash: `at-${randomUUID()}`,
          grantId: g.id,
          clientId: c.clientId,
          userId: u.id,
          scope: ['profile'],
          expiresAt: NOW + 60,
          audience: ['https://issuer.example'],
        },
        rt,
      )
      const results = await Promise.all(
        Array.from({ length: 10 }, () => store.rotateRefreshToken(rt.tokenHash, NOW + 2)),
      )
      assert.equal(results.filter((r) => r.status === 'rotated').length, 1)
      const later = await store.rotateRefreshToken(rt.tokenHash, NOW + 50)
      assert.equal(later.status, 'already_rotated')
      assert.ok(later.status === 'already_rotated')
      assert.equal(later.token.rotatedAt, NOW + 2)
      assert.equal(later.grant.id, g.id)
      assert.deepEqual(await store.rotateRefreshToken('missing', NOW), { status: 'not_found' })
    })

    it('deleting a client or user removes what was issued to it', async () => {
      const { c, u } = await seed()
      const g = grant(c, u)
      await store.createGrant(g)
      await store.saveTokens(
        {
          tokenHash: `at-${randomUUID()}`,
          grantId: g.id,
          clientId: c.clientId,
          userId: u.id,
          scope: ['profile'],
          expiresAt: NOW + 60,
          audience: ['https://issuer.example'],
        },
        null,
      )
      assert.equal(await store.deleteClient(c.clientId), true)
      assert.equal(await store.getGrant(g.id), undefined)
    })

    it('clients keep their token format and post-logout redirect URIs', async () => {
      const c = client({
        accessTokenFormat: 'opaque',
        postLogoutRedirectUris: ['https://app.example/bye', 'https://app.example/bye2'],
      })
      assert.equal(await store.createClient(c), true)
      assert.deepEqual(await store.getClient(c.clientId), c)
    })

    it('grants keep nonce and resources; a client_credentials grant has no user', async () => {
      const { c, u } = await seed()
      const g = grant(c, u, {
        nonce: 'n-0S6_WzA2Mj',
        resource: ['https://a.example', 'https://b.example/api'],
      })
      await store.createGrant(g)
      assert.deepEqual(await store.getGrant(g.id), g)
      const machine = grant(c, u, { userId: null, redirectUri: '', codeChallenge: null })
      await store.createGrant(machine)
      assert.equal((await store.getGrant(machine.id))?.userId, null)
      const machineToken = {
        tokenHash: `at-${randomUUID()}`,
        grantId: machine.id,
        clientId: c.clientId,
        userId: null,
        scope: ['profile'],
        expiresAt: NOW + 60,
        // A token from before audiences were stored reads back as null.
        audience: null,
      }
      await store.saveTokens(machineToken, null)
      assert.deepEqual(await store.getAccessTokenWithUser(machineToken.tokenHash), {
        token: { ...machineToken, grantRevokedAt: null },
        user: null,
      })
    })

    it('signing keys: listed oldest first, retired at a given time, deleted once long retired', async () => {
      const key = (kid: string, createdAt: number): SigningKeyRecord => ({
        kid,
        alg: 'ES256',
        publicJwk: JSON.stringify({ kty: 'EC', kid }),
        privateKey: 'enc:v1:a.b.c',
        createdAt,
        activatesAt: createdAt,
        retiredAt: null,
      })
      const before = (await store.listSigningKeys()).length
      const a = key(`a-${randomUUID()}`, NOW)
      const b = key(`b-${randomUUID()}`, NOW + 10)
      await store.createSigningKey(b)
      await store.createSigningKey(a)
      await assert.rejects(store.createSigningKey(a)) // kid is unique
      const listed = (await store.listSigningKeys()).filter((k) => [a.kid, b.kid].includes(k.kid))
      assert.deepEqual(listed, [a, b])
      await store.retireSigningKeys(b.kid, NOW + 100)
      const after = await store.listSigningKeys()
      assert.equal(after.find((k) => k.kid === a.kid)?.retiredAt, NOW + 100)
      assert.equal(after.find((k) => k.kid === b.kid)?.retiredAt, null)
      // Already retired keys keep their time.
      await store.retireSigningKeys(b.kid, NOW + 200)
      assert.equal(
        (await store.listSigningKeys()).find((k) => k.kid === a.kid)?.retiredAt,
        NOW + 100,
      )
      assert.equal(await store.deleteSigningKeysRetiredBefore(NOW + 100), 0)
      assert.ok((await store.deleteSigningKeysRetiredBefore(NOW + 101)) >= 1)
      const left = await store.listSigningKeys()
      assert.equal(
        left.find((k) => k.kid === a.kid),
        undefined,
      )
      assert.ok(left.find((k) => k.kid === b.kid))
      assert.ok(left.length <= before + 1)
    })

    it('deleteExpired removes unredeemed expired codes, ended families and sessions only', async () => {
      const { c, u } = await seed()
      const stale = grant(c, u, { codeExpiresAt: NOW - 1 })
      const live = grant(c, u, { codeUsedAt: NOW - 5, codeExpiresAt: NOW - 1 })
      const ended = grant(c, u, { codeUsedAt: NOW - 5, expiresAt: NOW - 1 })
      for (const g of [stale, live, ended]) await store.createGrant(g)
      const s = { idHash: randomUUID(), userId: u.id, authTime: NOW, expiresAt: NOW - 1 }
      await store.createSession(s)
      assert.ok((await store.deleteExpired(NOW)) >= 3)
      assert.equal(await store.getGrant(stale.id), undefined)
      assert.equal(await store.getGrant(ended.id), undefined)
      assert.ok(await store.getGrant(live.id))
    })
  })
}
