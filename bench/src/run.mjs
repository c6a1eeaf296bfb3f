#!/usr/bin/env node
// npm run bench -w @pixie/bench [-- --quick] [--runs N] [--servers a,b] [--scenarios a,b]
//   [--concurrency 1,16,64] [--duration s] [--warmup s] [--profile]
//   [--node-flags=--max-semi-space-size=8]  (node flags for the Pixie processes, for experiments)
//
// Starts each server in its own process on 127.0.0.1 (Pixie on SQLite, Pixie on PostgreSQL when
// reachable, oidc-provider with opaque and with JWT access tokens, a raw node:http hello-world),
// all of them at once; drives them one cell (scenario, concurrency) after another, each cell's
// timed window in slices taken by the servers in turn, with the same undici-based driver in this
// process; writes bench/results/latest.{json,md}.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Client } from 'undici'
import { CLIENT_ID, PASSWORD, REDIRECT_URI, virtualUser } from './lib/oauth.mjs'
import {
  cpuMs,
  machineCpuMs,
  freePort,
  killAll,
  resetPeakRss,
  rssMb,
  startServerProcess,
  stopServerProcess,
  waitQuiet,
} from './lib/proc.mjs'
import { Exhausted, SCENARIOS } from './lib/scenarios.mjs'
import { median, percentiles, Recorder } from './lib/stats.mjs'
import { markdown } from './lib/report.mjs'
import { summarizeProfile, formatSummary } from './profile-summary.mjs'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const BENCH = join(ROOT, 'bench')
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const USERS = 64

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    runs: { type: 'string' },
    servers: { type: 'string' },
    scenarios: { type: 'string' },
    concurrency: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    out: { type: 'string' },
    'node-flags': { type: 'string' },
  },
})

const list = (s, def) =>
  s
    ? s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : def
const plan = {
  mode: args.profile ? 'profile' : args.quick ? 'quick' : 'full',
  runs: Number(args.runs ?? 1),
  concurrency: list(args.concurrency, args.quick || args.profile ? ['16'] : ['1', '16', '64']).map(
    Number,
  ),
  scenarios: list(
    args.scenarios,
    args.profile ? ['flow', 'code'] : ['flow', 'login', 'code', 'refresh', 'resource'],
  ),
  servers: list(
    args.servers,
    args.profile
      ? ['pixie-sqlite']
      : ['pixie-sqlite', 'pixie-postgres', 'oidc-opaque', 'oidc-jwt', 'hello'],
  ),
  durationMs: 1000 * Number(args.duration ?? (args.profile ? 10 : args.quick ? 2.5 : 5)),
  warmupMs: 1000 * Number(args.warmup ?? (args.quick ? 1 : 1.5)),
  maxCodes: 80_000,
}
plan.warmCodes = (c) => (c === 1 ? 300 : args.quick ? 1500 : 3000)

const tmp = mkdtempSync(join(tmpdir(), 'pixie-bench-'))
const cleanups = []
const log = (msg) =>
  process.stderr.write(`[bench ${((performance.now() - T0) / 1000).toFixed(1)}s] ${msg}\n`)
const T0 = performance.now()

// ---------------------------------------------------------------- servers

function pixieConfig(port, database) {
  const file = join(tmp, `pixie-${port}.json`)
  const config = {
    port,
    host: '127.0.0.1',
    database,
    log_level: 'error',
    // Codes are minted before the timed window of `code`; RFC 6749 4.1.2 allows up to 10 min.
    code_ttl: 600,
    clients: [
      {
        client_id: CLIENT_ID,
        client_name: 'Bench SPA',
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        scope: 'profile email',
      },
    ],
    users: Array.from({ length: USERS }, (_, i) => ({
      username: `bench-user-${i}`,
      password: PASSWORD,
      name: `Bench User ${i}`,
      email: `bench-user-${i}@example.com`,
    })),
  }
  writeFileSync(file, JSON.stringify(config, null, 2))
  return file
}

async function pgSchemaUrl() {
  const { default: pg } = await import('pg')
  const schema = `pixie_bench_${randomBytes(5).toString('hex')}`
  const run = async (sql) => {
    const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 })
    await c.connect()
    try {
      await c.query(sql)
    } finally {
      await c.end()
    }
  }
  await run(`create schema ${schema}`)
  cleanups.push(() => run(`drop schema ${schema} cascade`).catch(() => {}))
  const url = new URL(PG_URL)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return url.toString()
}

const SERVERS = {
  'pixie-sqlite': {
    kind: 'pixie',
    label: 'Pixie (SQLite file)',
    scope: 'profile email',
    async args(port) {
      const cfg = pixieConfig(port, `sqlite:${join(tmp, `pixie-${port}.db`)}`)
      return [join(ROOT, 'packages/server/bin/pixie.cjs'), 'serve', '--config', cfg]
    },
    ready: '/healthz',
  },
  'pixie-postgres': {
    kind: 'pixie',
    label: 'Pixie (PostgreSQL)',
    scope: 'profile email',
    async args(port) {
      const cfg = pixieConfig(port, await pgSchemaUrl())
      return [join(ROOT, 'packages/server/bin/pixie.cjs'), 'serve', '--config', cfg]
    },
    ready: '/healthz',
  },
  'oidc-opaque': {
    kind: 'peer',
    label: 'oidc-provider (opaque AT, /v1/me = userinfo)',
    scope: 'openid profile email',
    args: async (port) => [join(BENCH, 'src/peer-oidc.mjs'), String(port), 'opaque'],
    ready: '/healthz',
  },
  'oidc-jwt': {
    kind: 'peer',
    label: 'oidc-provider (JWT AT via resource indicators, /v1/me verifies locally)',
    scope: 'profile email',
    args: async (port) => [join(BENCH, 'src/peer-oidc.mjs'), String(port), 'jwt'],
    ready: '/healthz',
  },
  hello: {
    kind: 'ceiling',
    label: 'node:http hello-world',
    args: async (port) => [join(BENCH, 'src/hello.mjs'), String(port)],
    ready: '/',
  },
}

async function launch(name, nodeFlags = []) {
  const def = SERVERS[name]
  if (def.kind === 'pixie' && args['node-flags'])
    nodeFlags = [...args['node-flags'].split(' '), ...nodeFlags]
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const proc = await startServerProcess({
    args: [...nodeFlags, ...(await def.args(port))],
    cwd: ROOT,
    logFile: join(tmp, `${name}-${port}.log`),
    readyUrl: base + def.ready,
    env: { NODE_ENV: 'production' },
  })
  return { name, ...def, base, port, ...proc }
}

async function pgReachable() {
  try {
    const { default: pg } = await import('pg')
    const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 1500 })
    await c.connect()
    await c.end()
    return true
  } catch {
    return false
  }
}

/** Start-up to the first 200 on /healthz: fresh SQLite file, the bench client, no users to hash. */
async function measureStartup(times = 3) {
  const out = []
  for (let i = 0; i < times; i++) {
    const port = await freePort()
    const cfg = join(tmp, `startup-${i}.json`)
    writeFileSync(
      cfg,
      JSON.stringify({
        port,
        host: '127.0.0.1',
        database: `sqlite:${join(tmp, `startup-${i}.db`)}`,
        log_level: 'error',
        clients: [{ client_id: CLIENT_ID, redirect_uris: [REDIRECT_URI] }],
      }),
    )
    const p = await startServerProcess({
      args: [join(ROOT, 'packages/server/bin/pixie.cjs'), 'serve', '--config', cfg],
      cwd: ROOT,
      logFile: join(tmp, `startup-${i}.log`),
      readyUrl: `http://127.0.0.1:${port}/healthz`,
    })
    out.push(Math.round(p.readyMs))
    await stopServerProcess(p.child)
  }
  return out
}

// ---------------------------------------------------------------- driver

async function runFor(ctx, vus, scn, ms) {
  const end = performance.now() + ms
  const t0 = performance.now()
  await Promise.all(
    vus.map(async (vu) => {
      while (performance.now() < end) {
        const t = performance.now()
        try {
          await scn.op(vu.ctx, vu)
          ctx.rec.op(performance.now() - t)
        } catch (err) {
          if (err instanceof Exhausted) break
          ctx.rec.error(err)
          if (scn.recover) await scn.recover(vu.ctx, vu).catch((e) => ctx.rec.error(e))
        }
      }
    }),
  )
  return performance.now() - t0
}

/**
 * Opens a cell (scenario, concurrency) on one server: its connections and virtual users, the
 * scenario's setup, the warm-up, and what the timed window needs made ahead (`code`'s codes, for
 * the whole window). The timed window then runs as slices (`runSlice`), and `closeCell` reports.
 */
async function openCell(server, scenarioName, c) {
  const scn = SCENARIOS[scenarioName]
  const vusByC = (server.vusByC ??= new Map())
  if (!vusByC.has(c))
    vusByC.set(
      c,
      Array.from({ length: c }, (_, i) => virtualUser(i, USERS)),
    )
  const vus = vusByC.get(c)
  const ctx = { target: server, rec: new Recorder() }
  // Each virtual user has a connection of its own: an undici Client rather than a shared Pool,
  // which spent 10-15% more of the driver's CPU a request choosing a connection (hello-world at
  // c=64: 33.5-35 -> 30 µs a request). Its context reads the cell's recorder and codes through
  // the prototype, so a new recorder for the timed window reaches every user.
  const clients = vus.map((vu) => {
    const client = new Client(server.base, {
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: 20_000,
      bodyTimeout: 20_000,
    })
    vu.ctx = Object.create(ctx, { dispatcher: { value: client } })
    return client
  })
  const close = () => Promise.all(clients.map((client) => client.close()))
  const cellPlan = {
    warmCodes: plan.warmCodes(c),
    durationMs: plan.durationMs,
    maxCodes: plan.maxCodes,
  }
  const setupErrors = []
  const guard = async (p) => {
    try {
      await p
    } catch (e) {
      setupErrors.push(String(e.message ?? e))
    }
  }
  try {
    await guard(scn.setup?.(ctx, vus, cellPlan))
    // The load's own peak RSS starts here: the sign-ins of new virtual users (argon2id, 19 MiB
    // each) belong to the login scenario, not to this one's load.
    // The resets hide earlier peaks from VmHWM, so the peak of the whole run is kept here.
    server.peakRss = Math.max(server.peakRss ?? 0, rssMb(server.pid).peak)
    const peakReset = resetPeakRss(server.pid)
    // Warm-up: same operations, not counted.
    ctx.rec = new Recorder()
    const warmMs = await runFor(ctx, vus, scn, plan.warmupMs)
    const warmRate = ctx.rec.ops / (warmMs / 1000)
    const warmErrors = ctx.rec.errors
    let minted
    if (scn.prepare) {
      ctx.rec = new Recorder()
      minted = await scn.prepare(ctx, vus, cellPlan, warmRate)
    }
    // The timed window, summed over its slices.
    ctx.rec = new Recorder()
    const window = { elapsedMs: 0, serverMs: 0, driverMs: 0, otherMs: 0 }
    return {
      server,
      scenarioName,
      c,
      scn,
      close,
      vus,
      ctx,
      setupErrors,
      warmErrors,
      peakReset,
      minted,
      window,
    }
  } catch (err) {
    await close()
    throw err
  }
}

/** One slice of a cell's timed window: `ms` of load on its server, counted into the cell. */
async function runSlice(cellState, ms) {
  const { server, scn, vus, ctx, window } = cellState
  const cpu0 = cpuMs(server.pid)
  const m0 = machineCpuMs()
  const self0 = process.cpuUsage()
  window.elapsedMs += await runFor(ctx, vus, scn, ms)
  const cpu1 = cpuMs(server.pid)
  const m1 = machineCpuMs()
  const self = process.cpuUsage(self0)
  const driverMs = (self.user + self.system) / 1000
  window.serverMs += cpu1 - cpu0
  window.driverMs += driverMs
  // Whatever else ran on the machine during the slice (other processes steal from both sides).
  window.otherMs += Math.max(0, m1.busy - m0.busy - (cpu1 - cpu0) - driverMs)
}

/** The cell's result, from all its slices; closes its connections. */
async function closeCell(cellState) {
  const { server, scenarioName, c, close, ctx, setupErrors, warmErrors, peakReset, minted } =
    cellState
  const { elapsedMs, serverMs, driverMs, otherMs } = cellState.window
  try {
    const rec = ctx.rec
    const steps = {}
    for (const [name, samples] of rec.steps) steps[name] = percentiles(samples)
    const op = percentiles(rec.opLatency)
    const rss = rssMb(server.pid)
    server.peakRss = Math.max(server.peakRss, rss.peak)
    const result = {
      server: server.name,
      scenario: scenarioName,
      concurrency: c,
      ops: rec.ops,
      seconds: Math.round(elapsedMs) / 1000,
      opsPerSec: Math.round((rec.ops / (elapsedMs / 1000)) * 10) / 10,
      errors: rec.errors + setupErrors.length + warmErrors,
      errorSamples: [...setupErrors, ...rec.errorSamples],
      cpuMsPerOp: rec.ops ? Math.round((serverMs / rec.ops) * 1000) / 1000 : null,
      serverCpuPercent: Math.round((serverMs / elapsedMs) * 1000) / 10,
      driverCpuPercent: Math.round((driverMs / elapsedMs) * 1000) / 10,
      otherCpuPercent: Math.round((otherMs / elapsedMs) * 1000) / 10,
      latency: { op, steps },
      rssMb: { ...rss, ...(peakReset ? {} : { peakIncludesSetup: true }) },
      ...(minted !== undefined ? { codesMinted: minted } : {}),
    }
    log(
      `${server.name} ${scenarioName} c=${c}: ${result.opsPerSec} ops/s, p50 ${op.p50} ms, p99 ${op.p99} ms, ` +
        `${result.cpuMsPerOp} cpu-ms/op, cpu% server/driver/other ${result.serverCpuPercent}/${result.driverCpuPercent}/${result.otherCpuPercent}, errors ${result.errors}${result.errors ? ' ' + JSON.stringify(result.errorSamples) : ''}`,
    )
    return result
  } finally {
    await close()
  }
}

/**
 * Drives one cell on several servers at once, interleaved: each is opened (set up and warmed) in
 * turn, then the timed window runs as slices of about `SLICE_MS`, every server taking one slice
 * per turn in a new shuffled order. This machine's speed swings by up to 2x within seconds to
 * minutes (measured: the same /v1/me load at 24k and 12.6k ops/s in one session), so a server
 * measured in one stretch could meet a slow spell its peers did not; sliced, each server's window
 * spans the whole cell and they share its spells. Before each slice the bench waits for the
 * machine to be quiet (PostgreSQL goes on working after its server's slice). Every server keeps
 * idle connections open longer than the few seconds between its slices (the peer and hello-world
 * 30 s, Pixie 72 s by default), so no slice starts by reconnecting its 64 users. Pixie closed them
 * after 5 s until it had `keep_alive_timeout`: each of its login slices began with 64 handshakes.
 */
async function interleavedCell(entries, c) {
  const open = []
  try {
    for (const { server, scenario } of entries) {
      const waited = await waitQuiet()
      if (waited > 1000) log(`waited ${Math.round(waited)} ms for the machine to be quiet`)
      open.push(await openCell(server, scenario, c))
    }
    const slices = Math.max(1, Math.round(plan.durationMs / SLICE_MS))
    const sliceMs = plan.durationMs / slices
    for (let i = 0; i < slices; i++) {
      for (const state of shuffled(open)) {
        await waitQuiet(BETWEEN_SLICES)
        await runSlice(state, sliceMs)
      }
    }
    const results = []
    while (open.length) results.push(await closeCell(open.shift()))
    return results
  } finally {
    for (const state of open) await state.close()
  }
}

const SLICE_MS = 1000
/**
 * A shorter look for quiet between slices than before a cell: a full round has 375 slices (25 a
 * cell), and it must stay under 10 minutes. PostgreSQL's after-work can outlast the 1 s; the
 * shuffled order spreads what is left of it over all servers rather than always the next one.
 */
const BETWEEN_SLICES = { windowMs: 50, timeoutMs: 1000 }

/**
 * A cell's latency over its runs: each percentile is the median of the runs' percentiles (the
 * targets are medians of runs; the run with the median ops/s need not have the median p99),
 * `max` the highest, and `p99Runs` each run's p99 in run order.
 */
function medianLatency(latencies) {
  const merge = (xs) => {
    const ran = xs.filter((x) => x?.count > 0)
    if (ran.length === 0) return { count: 0, p50: null, p99: null, max: null, p99Runs: [] }
    return {
      count: ran.reduce((n, x) => n + x.count, 0),
      p50: median(ran.map((x) => x.p50)),
      p99: median(ran.map((x) => x.p99)),
      max: Math.max(...ran.map((x) => x.max)),
      p99Runs: xs.map((x) => x?.p99 ?? null),
    }
  }
  const names = [...new Set(latencies.flatMap((l) => Object.keys(l.steps)))]
  return {
    op: merge(latencies.map((l) => l.op)),
    steps: Object.fromEntries(names.map((k) => [k, merge(latencies.map((l) => l.steps[k]))])),
  }
}

function shuffled(xs) {
  const a = [...xs]
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a
}

// ---------------------------------------------------------------- main

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  return {
    nproc: Number(execFileSync('nproc').toString().trim()),
    cpu: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown',
    node: process.version,
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    memGb: Math.round(
      Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))[1]) / 1048576,
    ),
  }
}

async function benchmark() {
  const servers = [...plan.servers]
  const notes = []
  if (servers.includes('pixie-postgres') && !(await pgReachable())) {
    servers.splice(servers.indexOf('pixie-postgres'), 1)
    notes.push(`PostgreSQL not reachable at ${PG_URL}: Pixie on PostgreSQL skipped`)
    log(notes.at(-1))
  }
  const startup = servers.includes('pixie-sqlite') ? await measureStartup(5) : []
  if (startup.length) log(`Pixie start-up to first 200 on /healthz: ${startup.join(', ')} ms`)
  // Every server runs for the whole round, and each cell (scenario, concurrency) drives them
  // interleaved, slice by slice (`interleavedCell`): the speed of this machine swings by up to 2x
  // within seconds to minutes (measured), which would otherwise fall on one server's window.
  // The hello-world ceiling follows the last scenario's cells (resource), at each concurrency.
  // With --runs N, the round runs N times; each cell reports the run with the median ops/s, and
  // for each latency percentile the median of the runs' (`medianLatency`).
  const runsByCell = new Map()
  const serverInfo = {}
  const ceiling = servers.filter((name) => SERVERS[name].kind === 'ceiling')
  const measured = servers.filter((name) => SERVERS[name].kind !== 'ceiling')
  for (let round = 0; round < plan.runs; round++) {
    if (plan.runs > 1) log(`round ${round + 1} of ${plan.runs}`)
    const running = []
    try {
      for (const name of servers) {
        const server = await launch(name)
        running.push(server)
        log(`${name} ready in ${Math.round(server.readyMs)} ms (pid ${server.pid})`)
        server.info = serverInfo[name] ??= {
          label: server.label,
          readyMs: Math.round(server.readyMs),
          rssAfterScenario: {},
          rssUnderLoad: {},
          rssUnderLoadRuns: {},
          peakRssMb: 0,
        }
      }
      const byName = new Map(running.map((server) => [server.name, server]))
      const measure = async (entries, c) => {
        for (const result of await interleavedCell(entries, c)) {
          const server = byName.get(result.server)
          const key = `${server.name}|${result.scenario}|${c}`
          runsByCell.set(key, [...(runsByCell.get(key) ?? []), result])
          const { info } = server
          const peak = Math.round(result.rssMb.peak * 10) / 10
          // Each run's peak under the scenario's load (its highest concurrency's, as a rule); the
          // reported figure is the median of the runs', as for operations/s.
          const runs = (info.rssUnderLoadRuns[result.scenario] ??= [])
          runs[round] = Math.max(runs[round] ?? 0, peak)
          info.rssUnderLoad[result.scenario] = median(runs.filter((x) => x !== undefined))
        }
      }
      for (const [i, scenario] of plan.scenarios.entries()) {
        for (const c of plan.concurrency) {
          const entries = measured.map((name) => ({ server: byName.get(name), scenario }))
          if (i === plan.scenarios.length - 1)
            for (const name of ceiling)
              entries.push({ server: byName.get(name), scenario: 'hello' })
          await measure(entries, c)
        }
        for (const name of measured) {
          const server = byName.get(name)
          const after = Math.round(server.peakRss * 10) / 10
          server.info.rssAfterScenario[scenario] = Math.max(
            server.info.rssAfterScenario[scenario] ?? 0,
            after,
          )
        }
      }
      for (const server of running) {
        const peak = Math.max(server.peakRss ?? 0, rssMb(server.pid).peak)
        server.info.peakRssMb = Math.max(server.info.peakRssMb, Math.round(peak * 10) / 10)
      }
    } finally {
      for (const server of running) await stopServerProcess(server.child)
    }
  }
  const cells = []
  for (const runs of runsByCell.values()) {
    const mid = median(runs.map((x) => x.opsPerSec))
    const chosen = runs.find((x) => x.opsPerSec === mid) ?? runs[0]
    if (plan.runs > 1) {
      chosen.runs = runs.map((x) => x.opsPerSec)
      chosen.latency = medianLatency(runs.map((x) => x.latency))
    }
    chosen.errors = runs.reduce((n, x) => n + x.errors, 0)
    cells.push(chosen)
  }
  const result = {
    generatedAt: new Date().toISOString(),
    mode: plan.mode,
    machine: machine(),
    plan: { ...plan, warmCodes: undefined, servers },
    notes,
    startupMs: { runs: startup, median: median(startup) },
    servers: serverInfo,
    cells,
  }
  const outDir = join(BENCH, 'results')
  mkdirSync(outDir, { recursive: true })
  const base = args.out ?? 'latest'
  writeFileSync(join(outDir, `${base}.json`), JSON.stringify(result, null, 2) + '\n')
  writeFileSync(join(outDir, `${base}.md`), markdown(result))
  log(`wrote bench/results/${base}.json and ${base}.md`)
  process.stdout.write(markdown(result))
}

/** --profile: Pixie on SQLite under `flow` and `code`, each in a process with --cpu-prof. */
async function profile() {
  const dir = join(BENCH, 'results/profiles')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  let report = ''
  for (const scenario of plan.scenarios) {
    const sub = join(dir, scenario)
    mkdirSync(sub, { recursive: true })
    const server = await launch('pixie-sqlite', ['--cpu-prof', '--cpu-prof-dir', sub])
    try {
      for (const c of plan.concurrency) await interleavedCell([{ server, scenario }], c)
    } finally {
      await stopServerProcess(server.child, 15_000)
    }
    const files = readdirSync(sub).filter((f) => f.endsWith('.cpuprofile'))
    for (const f of files) {
      const summary = summarizeProfile(JSON.parse(readFileSync(join(sub, f), 'utf8')))
      // The process with the most samples is the server (tsx's loader thread writes its own).
      if (summary.totalMs < 500) continue
      report += `\n## ${scenario} (c=${plan.concurrency.join(',')}) — ${f}\n\n${formatSummary(summary, 30)}\n`
    }
  }
  writeFileSync(join(dir, 'summary.md'), report)
  process.stdout.write(report)
  log('wrote bench/results/profiles/summary.md')
}

try {
  // Pixie is measured as `npm ci` installs it, bundled (bin/pixie.cjs would run the TypeScript
  // through tsx while a file of src/ is newer than the bundle, at twice the start-up time).
  log('building the Pixie bundle (packages/server/scripts/build.mjs)')
  execFileSync(process.execPath, [join(ROOT, 'packages/server/scripts/build.mjs')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  if (args.profile) await profile()
  else await benchmark()
} catch (err) {
  log(`failed: ${err.stack ?? err}`)
  process.exitCode = 1
} finally {
  killAll()
  for (const fn of cleanups) await fn()
  rmSync(tmp, { recursive: true, force: true })
  log('done')
}
