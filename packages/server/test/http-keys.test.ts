import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createLocalJWKSet, jwtVerify } from 'jose'
import {
  decryptPrivateKey,
  KeyRing,
  rotateSigningKeys,
  SigningKeyError,
} from '../src/crypto/signing-keys.ts'
import { startTestServer, TEST_DATABASES, type TestServer } from '../src/testing.ts'
import { decodeJwt, getCode, exchangeCode, withClock, type ClockedServer } from './support.ts'

type Jwks = { keys: Array<Record<string, unknown>> }

async function jwks(server: { url: string }): Promise<{ res: Response; body: Jwks }> {
  const res = await fetch(new URL('/.well-known/jwks.json', server.url))
  return { res, body: (await res.json()) as Jwks }
}

async function accessTokenKid(server: ClockedServer | TestServer): Promise<string> {
  const res = await exchangeCode(server, await getCode(server))
  assert.equal(res.status, 200, JSON.stringify(res.json))
  return decodeJwt(res.json.access_token as string).header.kid as string
}

const now = () => Math.floor(Date.now() / 1000)

for (const db of TEST_DATABASES)
  describe(`signing keys and JWKS, RFC 7517 (${db})`, () => {
    let server: TestServer
    before(async () => {
      server = await startTestServer({}, db)
    })
    after(() => server.close())

    it('the first start generates one ES256 key, published with kid, alg, use=sig', async () => {
      const { res, body } = await jwks(server)
      assert.equal(res.status, 200)
      assert.equal(res.headers.get('content-type'), 'application/jwk-set+json')
      assert.equal(res.headers.get('cache-control'), 'public, max-age=300')
      assert.equal(res.headers.get('access-control-allow-origin'), '*')
      assert.equal(body.keys.length, 1)
      const [key] = body.keys
      assert.deepEqual(Object.keys(key!).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'])
      assert.equal(key!.kty, 'EC')
      assert.equal(key!.crv, 'P-256')
      assert.equal(key!.alg, 'ES256')
      assert.equal(key!.use, 'sig')
      assert.equal('d' in key!, false, 'no private part in the JWKS')
    })

    it('the key lives in the store as PKCS#8 PEM (no PIXIE_SECRET)', async () => {
      const keys = await server.store.listSigningKeys()
      assert.equal(keys.length, 1)
      assert.match(keys[0]!.privateKey, /^-----BEGIN PRIVATE KEY-----\n/)
      assert.equal(keys[0]!.retiredAt, null)
    })

    it('tokens are signed with the published key and verify against the JWKS', async () => {
      const res = await exchangeCode(server, await getCode(server))
      const { body } = await jwks(server)
      const { protectedHeader } = await jwtVerify(
        res.json.access_token as string,
        createLocalJWKSet(body as never),
        { issuer: server.issuer, audience: server.issuer, typ: 'at+jwt' },
      )
      assert.equal(protectedHeader.kid, body.keys[0]!.kid)
      assert.equal(protectedHeader.alg, 'ES256')
    })

    it('two processes generating at once both sign with the oldest key; both are published', async () => {
      // An empty table seen by two processes at once: both generate, then re-read.
      const schema = await startTestServer({}, db)
      try {
        const store = schema.store
        await store.retireSigningKeys('none', now() - 100_000)
        await store.deleteSigningKeysRetiredBefore(now())
        assert.equal((await store.listSigningKeys()).length, 0)
        const opts = { alg: 'ES256' as const, secret: undefined, maxTokenTtl: 3600 }
        const a = new KeyRing(store, opts)
        const b = new KeyRing(store, opts)
        const t = now()
        const [sa, sb] = await Promise.all([a.signer(t), b.signer(t)])
        const stored = await store.listSigningKeys()
        assert.ok(stored.length >= 1 && stored.length <= 2, `${stored.length} keys`)
        // Whatever each saw when it generated, after a re-read both agree on the oldest.
        const [ra, rb] = [new KeyRing(store, opts), new KeyRing(store, opts)]
        assert.equal((await ra.signer(t)).kid, (await rb.signer(t)).kid)
        const oldest = [...stored].sort(
          (x, y) => x.createdAt - y.createdAt || (x.kid < y.kid ? -1 : 1),
        )[0]!
        assert.equal((await ra.signer(t)).kid, oldest.kid)
        for (const s of [sa, sb]) {
          assert.ok(
            stored.some((k) => k.kid === s.kid),
            'a signing key is always published',
          )
        }
        assert.equal((await a.jwks(t + 61)).keys.length, stored.length)
      } finally {
        await schema.close()
      }
    })
  })

for (const db of TEST_DATABASES)
  describe(`signing_alg changed on an existing database (${db})`, () => {
    it('a key of the new alg is made and signs; the old one stays published', async () => {
      const server = await startTestServer({}, db)
      try {
        const [es] = await server.store.listSigningKeys()
        assert.equal(es!.alg, 'ES256')
        const ring = new KeyRing(server.store, {
          alg: 'RS256',
          secret: undefined,
          maxTokenTtl: 3600,
        })
        const signer = await ring.signer(now())
        assert.equal(signer.alg, 'RS256')
        const kids = (await ring.jwks(now())).keys.map((k) => k.kid)
        assert.ok(kids.includes(es!.kid) && kids.includes(signer.kid))
      } finally {
        await server.close()
      }
    })
  })

for (const db of TEST_DATABASES)
  describe(`key rotation: published before it signs, kept until retired (${db})`, () => {
    let server: TestServer
    before(async () => {
      server = await startTestServer({}, db)
    })
    after(() => server.close())

    it('rotate: new key in JWKS at once, signs only from activates_at; old one stays published', async () => {
      const oldKid = await accessTokenKid(server)
      const t = now()
      const { key } = await rotateSigningKeys(
        server.store,
        { alg: 'ES256', secret: undefined, maxTokenTtl: 3600 },
        t,
        t + 900,
      )
      const clocked = await withClock(server)
      try {
        // Before activation: both published, the old key still signs.
        let kids = (await jwks(clocked)).body.keys.map((k) => k.kid)
        assert.deepEqual(kids.sort(), [oldKid, key.kid].sort())
        assert.equal(await accessTokenKid(clocked), oldKid)

        // After activation: the new key signs, the old one is still published (retired).
        clocked.offset = 1000
        assert.equal(await accessTokenKid(clocked), key.kid)
        kids = (await jwks(clocked)).body.keys.map((k) => k.kid)
        assert.deepEqual(kids.sort(), [oldKid, key.kid].sort())

        // The longest token lifetime after retirement: the old key is gone from the JWKS.
        clocked.offset = 900 + 3600 + 5
        kids = (await jwks(clocked)).body.keys.map((k) => k.kid)
        assert.deepEqual(kids, [key.kid])
      } finally {
        await clocked.close()
      }
      const stored = await server.store.listSigningKeys()
      assert.equal(stored.find((k) => k.kid === oldKid)?.retiredAt, t + 900)
      assert.equal(stored.find((k) => k.kid === key.kid)?.activatesAt, t + 900)
    })
  })

for (const db of TEST_DATABASES)
  describe(`signing_alg EdDSA and RS256 (${db})`, () => {
    for (const [alg, kty] of [
      ['EdDSA', 'OKP'],
      ['RS256', 'RSA'],
    ] as const) {
      it(`signing_alg ${alg}: a ${kty} key, tokens verify, metadata says ${alg}`, async () => {
        const server = await startTestServer({ signing_alg: alg }, db)
        try {
          const { body } = await jwks(server)
          assert.equal(body.keys.length, 1)
          assert.equal(body.keys[0]!.kty, kty)
          assert.equal(body.keys[0]!.alg, alg)
          if (alg === 'EdDSA') assert.equal(body.keys[0]!.crv, 'Ed25519')
          const res = await exchangeCode(server, await getCode(server))
          const { protectedHeader } = await jwtVerify(
            res.json.access_token as string,
            createLocalJWKSet(body as never),
            { issuer: server.issuer, typ: 'at+jwt' },
          )
          assert.equal(protectedHeader.alg, alg)
          const meta = (await (
            await fetch(new URL('/.well-known/openid-configuration', server.url))
          ).json()) as Record<string, unknown>
          assert.deepEqual(meta.id_token_signing_alg_values_supported, [alg])
        } finally {
          await server.close()
        }
      })
    }
  })

for (const db of TEST_DATABASES)
  describe(`PIXIE_SECRET: private keys encrypted with AES-256-GCM (${db})`, () => {
    let server: TestServer
    before(async () => {
      server = await startTestServer({}, db)
    })
    after(() => server.close())

    it('a key made with a secret is stored encrypted, signs, and needs the same secret', async () => {
      const store = server.store
      const secret = 'a long deployment secret for tests'
      const t = now()
      const { key } = await rotateSigningKeys(
        store,
        { alg: 'ES256', secret, maxTokenTtl: 3600 },
        t,
        t,
      )
      const stored = (await store.listSigningKeys()).find((k) => k.kid === key.kid)!
      assert.match(stored.privateKey, /^enc:v1:[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
      assert.doesNotMatch(stored.privateKey, /PRIVATE KEY/)
      assert.match(decryptPrivateKey(stored.privateKey, key.kid, secret), /^-----BEGIN PRIVATE/)
      assert.throws(() => decryptPrivateKey(stored.privateKey, key.kid, 'wrong'), SigningKeyError)
      assert.throws(() => decryptPrivateKey(stored.privateKey, key.kid, undefined), /PIXIE_SECRET/)
      // The old key was retired at `t`: the new, encrypted one signs.
      const ring = new KeyRing(store, { alg: 'ES256', secret, maxTokenTtl: 3600 })
      assert.equal((await ring.signer(t + 1)).kid, key.kid)
      const noSecret = new KeyRing(store, { alg: 'ES256', secret: undefined, maxTokenTtl: 3600 })
      await assert.rejects(noSecret.signer(t + 1), SigningKeyError)
    })
  })
