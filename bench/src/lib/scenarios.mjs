// The five scenarios (and the ceiling's hello), as setup + one operation per virtual user.
import {
  authorizeSignedIn,
  browserSignIn,
  exchangeCode,
  hello,
  me,
  refresh,
  StepError,
} from './oauth.mjs'
import { Pool } from 'undici'
import { Jar } from './http.mjs'

export class Exhausted extends Error {}

/** Runs fn for every VU at once (there are at most 64), each on its own connection (vu.ctx). */
const each = (vus, fn) => Promise.all(vus.map(fn))

/** Signs a VU in once (argon2 login + consent); its session cookie is kept for later cells. */
async function ensureSignedIn(ctx, vu) {
  if (vu.signedIn) return
  const grant = await browserSignIn(ctx, vu)
  await exchangeCode(ctx, grant)
  vu.signedIn = true
}

async function freshTokens(ctx, vu) {
  await ensureSignedIn(ctx, vu)
  vu.tokens = await exchangeCode(ctx, await authorizeSignedIn(ctx, vu))
}

/**
 * Mints `n` codes with the flow's front half, over the VUs' sessions, on 16 connections of
 * its own whatever the cell's concurrency (so c=1 does not spend its time minting).
 */
async function mint(ctx, vus, n) {
  const pool = new Pool(ctx.target.base, {
    connections: 16,
    headersTimeout: 20_000,
    bodyTimeout: 20_000,
  })
  const mctx = { ...ctx, dispatcher: pool }
  let issued = 0
  try {
    await Promise.all(
      Array.from({ length: 16 }, async (_, w) => {
        const vu = vus[w % vus.length]
        while (issued < n) {
          issued++
          ctx.codes.push(await authorizeSignedIn(mctx, vu))
        }
      }),
    )
  } finally {
    await pool.close()
  }
}

export const SCENARIOS = {
  flow: {
    describe: 'signed-in user with consent: GET /authorize -> POST /api/token -> GET /v1/me',
    setup: (ctx, vus) => each(vus, (vu) => ensureSignedIn(vu.ctx, vu)),
    async op(ctx, vu) {
      const tokens = await exchangeCode(ctx, await authorizeSignedIn(ctx, vu))
      await me(ctx, tokens.access_token)
    },
    recover: (ctx, vu) => ((vu.signedIn = false), ensureSignedIn(ctx, vu)),
  },
  login: {
    describe:
      'new browser session: authorize -> login form (argon2id) -> consent when asked -> token',
    async op(ctx, vu) {
      await exchangeCode(ctx, await browserSignIn(ctx, vu, new Jar()))
    },
  },
  code: {
    describe: 'token endpoint alone on codes minted before the timed window',
    async setup(ctx, vus, plan) {
      await each(vus, (vu) => ensureSignedIn(vu.ctx, vu))
      ctx.codes = []
      await mint(ctx, vus, plan.warmCodes)
    },
    /** After the warm-up: enough codes for the window at the warm-up's rate (+20%). */
    async prepare(ctx, vus, plan, warmRate) {
      const n = Math.min(
        plan.maxCodes,
        Math.max(200, Math.ceil(warmRate * (plan.durationMs / 1000) * 1.2)),
      )
      await mint(ctx, vus, Math.max(0, n - ctx.codes.length))
      return n
    },
    async op(ctx) {
      const grant = ctx.codes.pop()
      if (!grant) throw new Exhausted()
      await exchangeCode(ctx, grant)
    },
  },
  refresh: {
    describe: 'rotating refresh chains, one per virtual user',
    setup: (ctx, vus) => each(vus, (vu) => freshTokens(vu.ctx, vu)),
    async op(ctx, vu) {
      vu.tokens = await refresh(ctx, vu.tokens.refresh_token)
    },
    recover: (ctx, vu) => freshTokens(ctx, vu),
  },
  resource: {
    describe: 'GET /v1/me with a valid bearer token',
    setup: (ctx, vus) => each(vus, (vu) => freshTokens(vu.ctx, vu)),
    async op(ctx, vu) {
      await me(ctx, vu.tokens.access_token)
    },
    recover: (ctx, vu) => freshTokens(ctx, vu),
  },
  hello: {
    describe: 'raw node:http hello-world (the ceiling)',
    op: (ctx) => hello(ctx),
  },
}

export { StepError }
