import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto'
import type { SigningAlg, SigningKeyRecord, Store } from '../storage/store.ts'

/** A public JWK as published in the JWKS (RFC 7517 4). */
export interface PublicJwk {
  kty: string
  kid: string
  alg: SigningAlg
  use: 'sig'
  crv?: string
  x?: string
  y?: string
  n?: string
  e?: string
}

/** A key ready to sign: its private KeyObject is made once and cached. */
export interface Signer {
  kid: string
  alg: SigningAlg
  key: KeyObject
}

const ENC_PREFIX = 'enc:v1:'

/**
 * Generates a key pair for `alg`. The kid is the RFC 7638 JWK thumbprint, so two processes never
 * collide on a kid; the private key is PKCS#8 PEM, encrypted when a secret is given.
 */
export function generateSigningKey(
  alg: SigningAlg,
  now: number,
  activatesAt: number,
  secret: string | undefined,
): SigningKeyRecord {
  const { publicKey, privateKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, string>
  const kid = thumbprint(jwk)
  const pub: PublicJwk = { ...pickPublic(jwk), kid, alg, use: 'sig' }
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  return {
    kid,
    alg,
    publicJwk: JSON.stringify(pub),
    privateKey: secret ? encryptPrivateKey(pem, kid, secret) : pem,
    createdAt: now,
    activatesAt,
    retiredAt: null,
  }
}

/** RFC 7638 3.2: SHA-256 over the required members, in lexicographic order, no whitespace. */
function thumbprint(jwk: Record<string, string>): string {
  const members =
    jwk.kty === 'RSA'
      ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
      : jwk.kty === 'EC'
        ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
        : { crv: jwk.crv, kty: jwk.kty, x: jwk.x }
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url')
}

function pickPublic(jwk: Record<string, string>): Omit<PublicJwk, 'kid' | 'alg' | 'use'> {
  const out: Record<string, string> = { kty: jwk.kty! }
  for (const k of ['crv', 'x', 'y', 'n', 'e']) if (jwk[k] !== undefined) out[k] = jwk[k]
  return out as unknown as PublicJwk
}

/** The AES-256-GCM key: HKDF-SHA256 of PIXIE_SECRET, so the secret itself is never the key. */
function wrappingKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'pixie', 'pixie signing keys v1', 32))
}

/** `enc:v1:<iv>.<tag>.<ciphertext>`, base64url; the kid is bound as additional data. */
export function encryptPrivateKey(pem: string, kid: string, secret: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', wrappingKey(secret), iv)
  cipher.setAAD(Buffer.from(kid))
  const ct = Buffer.concat([cipher.update(pem, 'utf8'), cipher.final()])
  const tag = cipher.getAuthTag()
  return `${ENC_PREFIX}${iv.toString('base64url')}.${tag.toString('base64url')}.${ct.toString('base64url')}`
}

export class SigningKeyError extends Error {}

export function decryptPrivateKey(stored: string, kid: string, secret: string | undefined): string {
  if (!stored.startsWith(ENC_PREFIX)) return stored
  if (!secret) throw new SigningKeyError(`signing key ${kid} is encrypted: set PIXIE_SECRET`)
  const [iv, tag, ct] = stored.slice(ENC_PREFIX.length).split('.')
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      wrappingKey(secret),
      Buffer.from(iv ?? '', 'base64url'),
    )
    decipher.setAAD(Buffer.from(kid))
    decipher.setAuthTag(Buffer.from(tag ?? '', 'base64url'))
    return Buffer.concat([
      decipher.update(Buffer.from(ct ?? '', 'base64url')),
      decipher.final(),
    ]).toString('utf8')
  } catch {
    throw new SigningKeyError(`signing key ${kid} cannot be decrypted: wrong PIXIE_SECRET?`)
  }
}

/**
 * Signs a compact JWS (RFC 7515 3.1) with node:crypto and a cached KeyObject, on libuv's thread
 * pool: an ES256 signature costs ~56 µs of CPU here, of which ~20 µs stay on the event loop when
 * it runs on the pool (measured; an awaited WebCrypto sign costs ~180 µs). ES256 signatures are
 * the raw r||s form JWS requires (RFC 7518 3.4), not DER.
 */
export function signJwt(
  signer: Signer,
  typ: string | undefined,
  claims: Record<string, unknown>,
): Promise<string> {
  const header = typ
    ? { alg: signer.alg, typ, kid: signer.kid }
    : { alg: signer.alg, kid: signer.kid }
  const input = `${b64json(header)}.${b64json(claims)}`
  const digest = signer.alg === 'EdDSA' ? null : 'sha256'
  return new Promise((resolve, reject) => {
    sign(
      digest,
      Buffer.from(input),
      { key: signer.key, dsaEncoding: 'ieee-p1363' },
      (err, signature) => {
        if (err) reject(err)
        else resolve(`${input}.${signature.toString('base64url')}`)
      },
    )
  })
}

/**
 * Checks the signature of a compact JWS made by `signJwt` with one of the ring's keys and
 * returns its claims, or null. Expiry is the caller's business (an expired id_token_hint is
 * still a good hint, RP-Initiated Logout 1.0 2).
 */
export async function verifyOwnJwt(
  keys: KeyRing,
  token: string,
  now: number,
): Promise<Record<string, unknown> | null> {
  const parts = token.split('.')
  if (parts.length !== 3 || token.length > 16_384) return null
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString()) as {
      alg?: unknown
      kid?: unknown
    }
    if (typeof header.kid !== 'string') return null
    const pub = await keys.publicKey(header.kid, now)
    if (!pub || header.alg !== pub.alg) return null
    const ok = verify(
      pub.alg === 'EdDSA' ? null : 'sha256',
      Buffer.from(`${parts[0]}.${parts[1]}`),
      { key: pub.key, dsaEncoding: 'ieee-p1363' },
      Buffer.from(parts[2]!, 'base64url'),
    )
    if (!ok) return null
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString()) as unknown
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims)
      ? (claims as Record<string, unknown>)
      : null
  } catch {
    return null
  }
}

function b64json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/** OIDC Core 3.1.3.6 at_hash: the left half of the hash of the access token, base64url. */
export function leftHalfHash(alg: SigningAlg, value: string): string {
  // The hash of the JWS alg: SHA-256 for ES256 / RS256; SHA-512 for Ed25519, as peers do.
  const digest = createHash(alg === 'EdDSA' ? 'sha512' : 'sha256')
    .update(value)
    .digest()
  return digest.subarray(0, digest.length / 2).toString('base64url')
}

export interface KeyRingOptions {
  alg: SigningAlg
  /** PIXIE_SECRET: encrypts new private keys and decrypts stored ones. */
  secret: string | undefined
  /** Longest lifetime of a signed token: a retired key stays published this long. */
  maxTokenTtl: number
  /** Seconds between re-reads of the key table (keys added by other processes or the CLI). */
  reloadInterval?: number
}

/** The key a signing key of the table is in at `now`. */
export function keyState(
  k: SigningKeyRecord,
  now: number,
  maxTokenTtl: number,
): 'pending' | 'active' | 'retired' | 'expired' {
  if (k.retiredAt !== null && k.retiredAt <= now) {
    return k.retiredAt + maxTokenTtl <= now ? 'expired' : 'retired'
  }
  return k.activatesAt > now ? 'pending' : 'active'
}

/**
 * The signing keys, read from the store (so every process shares them) and cached. The key
 * that signs is the oldest active one of the configured alg (a new alg gets a new key): when two processes start on an empty table at once, both
 * generate and insert, both re-read, and both sign with the same (oldest) key while both keys
 * are published. The JWKS holds every key that is pending, active, or retired less than the
 * longest token lifetime ago.
 */
export class KeyRing {
  private keys: SigningKeyRecord[] = []
  private loadedAt = -Infinity
  private loading: Promise<void> | undefined
  private settleUntil = -Infinity
  private readonly privateKeys = new Map<string, KeyObject>()
  private readonly reloadInterval: number

  constructor(
    private readonly store: Store,
    private readonly options: KeyRingOptions,
  ) {
    this.reloadInterval = options.reloadInterval ?? 60
  }

  /** The key to sign with at `now`; generates the first key when the table has none. */
  async signer(now: number): Promise<Signer> {
    await this.fresh(now)
    let active = this.active(now)
    // Another process (or the CLI) may have added one since the last read.
    if (!active) await this.reload(now)
    active = this.active(now)
    if (!active) {
      await this.store.createSigningKey(
        generateSigningKey(this.options.alg, now, now, this.options.secret),
      )
      // Another process may be generating too: re-read often for a while, so each publishes
      // the other's key soon and both settle on the oldest.
      this.settleUntil = now + 60
      await this.reload(now)
      active = this.active(now)
      if (!active) throw new SigningKeyError('no active signing key after generating one')
    }
    let key = this.privateKeys.get(active.kid)
    if (!key) {
      key = createPrivateKey(decryptPrivateKey(active.privateKey, active.kid, this.options.secret))
      this.privateKeys.set(active.kid, key)
    }
    return { kid: active.kid, alg: active.alg, key }
  }

  /** The published keys at `now` (RFC 7517 5). */
  async jwks(now: number): Promise<{ keys: PublicJwk[] }> {
    await this.fresh(now)
    return {
      keys: this.keys
        .filter((k) => keyState(k, now, this.options.maxTokenTtl) !== 'expired')
        .map((k) => JSON.parse(k.publicJwk) as PublicJwk),
    }
  }

  /** Public keys by kid, for checking Pixie's own tokens (id_token_hint). */
  async publicKey(kid: string, now: number): Promise<{ alg: SigningAlg; key: KeyObject } | null> {
    await this.fresh(now)
    const k = this.keys.find(
      (x) => x.kid === kid && keyState(x, now, this.options.maxTokenTtl) !== 'expired',
    )
    if (!k) return null
    return { alg: k.alg, key: createPublicKey({ key: JSON.parse(k.publicJwk), format: 'jwk' }) }
  }

  /** Loads the keys now (startup), generating the first one if there is none. */
  async ensure(now: number): Promise<Signer> {
    return this.signer(now)
  }

  /** Only keys of the configured alg sign: the metadata names that alg alone. */
  private active(now: number): SigningKeyRecord | undefined {
    return this.keys
      .filter(
        (k) =>
          k.alg === this.options.alg && keyState(k, now, this.options.maxTokenTtl) === 'active',
      )
      .sort((a, b) => a.createdAt - b.createdAt || (a.kid < b.kid ? -1 : 1))[0]
  }

  private async fresh(now: number): Promise<void> {
    // Time may also move backwards in tests with an injected clock.
    const interval = now < this.settleUntil ? 2 : this.reloadInterval
    if (Math.abs(now - this.loadedAt) < interval) return
    await this.reload(now)
  }

  private reload(now: number): Promise<void> {
    this.loading ??= this.store
      .listSigningKeys()
      .then((keys) => {
        this.keys = keys
        this.loadedAt = now
      })
      .finally(() => {
        this.loading = undefined
      })
    return this.loading
  }
}

/**
 * `pixie keys rotate`: publishes a new key that starts signing at `activatesAt` (after every
 * JWKS cache has seen it), and retires the current keys at that same moment; they stay
 * published for the longest token lifetime after it. Keys retired longer ago are deleted.
 */
export async function rotateSigningKeys(
  store: Store,
  options: { alg: SigningAlg; secret: string | undefined; maxTokenTtl: number },
  now: number,
  activatesAt: number,
): Promise<{ key: SigningKeyRecord; deleted: number }> {
  const key = generateSigningKey(options.alg, now, activatesAt, options.secret)
  await store.createSigningKey(key)
  await store.retireSigningKeys(key.kid, activatesAt)
  const deleted = await store.deleteSigningKeysRetiredBefore(now - options.maxTokenTtl)
  return { key, deleted }
}
