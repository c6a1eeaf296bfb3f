// latest.md: the tables and the issue-7 targets, from the JSON result.
const PIXIE = 'pixie-sqlite'
const PEERS = ['oidc-opaque', 'oidc-jwt']
const MAIN = ['flow', 'login', 'code', 'refresh', 'resource']

const fmt = (x, d = 0) =>
  x === null || x === undefined || Number.isNaN(x)
    ? '–'
    : Number(x).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
const ratio = (a, b) => (a && b ? a / b : null)

export function index(cells) {
  const m = new Map()
  for (const c of cells) m.set(`${c.server}|${c.scenario}|${c.concurrency}`, c)
  return (server, scenario, c) => m.get(`${server}|${scenario}|${c}`)
}

/** The peer's faster configuration for a scenario and concurrency. */
export function bestPeer(get, scenario, c) {
  const found = PEERS.map((p) => get(p, scenario, c)).filter(Boolean)
  return found.sort((a, b) => b.opsPerSec - a.opsPerSec)[0]
}

/**
 * Pixie / best peer in each run of a `--runs N` result (the servers of one run were measured in
 * the same slices, so these ratios are paired; the medians' ratio pairs cells of different runs).
 */
export function ratiosPerRun(get, scenario, c) {
  const p = get(PIXIE, scenario, c)
  const peers = PEERS.map((x) => get(x, scenario, c)).filter((x) => x?.runs)
  if (!p?.runs || peers.length === 0) return []
  return p.runs.map((ops, i) => ratio(ops, Math.max(...peers.map((x) => x.runs[i] ?? 0))))
}

/** ", median of: a, b, c" for the flow load's peak RSS when there were several runs. */
const eachRun = (info) => {
  const runs = info?.rssUnderLoadRuns?.flow?.filter((x) => x !== undefined) ?? []
  return runs.length > 1 ? `, median of ${runs.map((x) => fmt(x, 1)).join(', ')}` : ''
}

export function evaluateTargets(r) {
  const get = index(r.cells)
  const conc = r.plan.concurrency
  const high = Math.max(...conc)
  const mid = conc.includes(16) ? 16 : high
  const out = []
  const add = (target, met, detail) => out.push({ target, met, detail })
  for (const s of ['flow', 'code', 'refresh']) {
    for (const c of [...new Set([mid, high])]) {
      const p = get(PIXIE, s, c)
      const b = bestPeer(get, s, c)
      if (!p || !b) continue
      const x = ratio(p.opsPerSec, b.opsPerSec)
      add(
        `${s} c=${c}: Pixie SQLite >= 3x oidc-provider`,
        x >= 3,
        `${fmt(x, 2)}x (${fmt(p.opsPerSec)} vs ${fmt(b.opsPerSec)} ${b.server})`,
      )
    }
  }
  {
    const p = get(PIXIE, 'resource', high)
    const b = bestPeer(get, 'resource', high)
    const h = get('hello', 'hello', high)
    if (p && b) {
      const x = ratio(p.opsPerSec, b.opsPerSec)
      add(
        `resource c=${high}: >= 3x oidc-provider`,
        x >= 3,
        `${fmt(x, 2)}x (${fmt(p.opsPerSec)} vs ${fmt(b.opsPerSec)} ${b.server})`,
      )
    }
    if (p && h) {
      const x = ratio(p.opsPerSec, h.opsPerSec)
      add(
        `resource c=${high}: >= 40% of hello-world`,
        x >= 0.4,
        `${fmt(100 * x, 1)}% (${fmt(p.opsPerSec)} vs ${fmt(h.opsPerSec)})`,
      )
    }
  }
  for (const s of MAIN) {
    const p = get(PIXIE, s, high)
    const b = bestPeer(get, s, high)
    if (!p || !b) continue
    const bad = []
    const shared = Object.keys(p.latency.steps).filter((k) => b.latency.steps[k])
    const pairs = shared.map((k) => [k, p.latency.steps[k].p99, b.latency.steps[k].p99])
    pairs.push(['whole operation', p.latency.op.p99, b.latency.op.p99])
    for (const [k, a, z] of pairs)
      if (!(a <= z / 2)) bad.push(`${k} ${fmt(a, 1)} vs ${fmt(z, 1)} ms`)
    // Medians of the runs' p99s; each run's, Pixie/peer, for the whole operation.
    const mine = p.latency.op.p99Runs ?? []
    const theirs = b.latency.op.p99Runs ?? []
    const each =
      mine.length > 1
        ? ` (whole operation in each run: ${mine.map((a, i) => `${fmt(a, 1)}/${fmt(theirs[i], 1)}`).join(', ')} ms)`
        : ''
    add(
      `${s} c=${high}: p99 of every step <= half of oidc-provider's`,
      bad.length === 0,
      (bad.length
        ? `over: ${bad.join('; ')}`
        : pairs.map(([k, a, z]) => `${k} ${fmt(a, 1)}/${fmt(z, 1)} ms`).join('; ')) + each,
    )
  }
  const rss = r.servers[PIXIE]?.rssUnderLoad?.flow
  if (rss !== undefined)
    add(
      'peak RSS under flow < 150 MB',
      rss < 150,
      `${fmt(rss, 1)} MB (VmHWM of the flow load${eachRun(r.servers[PIXIE])}; ${fmt(r.servers[PIXIE].rssAfterScenario.flow, 1)} MB with the sign-ins before it)`,
    )
  if (r.startupMs.median !== null)
    add(
      'start-up to first 200 on /healthz < 500 ms',
      r.startupMs.median < 500,
      `median ${r.startupMs.median} ms (${r.startupMs.runs.join(', ')})`,
    )
  const errors = r.cells.reduce((n, c) => n + c.errors, 0)
  add('zero errors', errors === 0, `${errors} errors in ${r.cells.length} cells`)
  return out
}

export function markdown(r) {
  const get = index(r.cells)
  const conc = r.plan.concurrency
  const servers = Object.keys(r.servers)
  const L = []
  L.push(`# Pixie benchmark (${r.mode})`, '')
  L.push(
    `Machine: ${r.machine.nproc} × ${r.machine.cpu}, ${r.machine.memGb} GB, Linux ${r.machine.kernel}, Node ${r.machine.node}. ` +
      `${r.generatedAt}. Load driver (undici, a connection of its own per virtual user) in the same machine; ` +
      `each server in its own process on 127.0.0.1; ${r.plan.warmupMs / 1000} s warm-up, ${r.plan.durationMs / 1000} s measured per cell, ` +
      `in slices of about 1 s that the servers take in turn (shuffled each turn)` +
      (r.plan.runs > 1 ? `, median of ${r.plan.runs} runs` : '') +
      '.',
    '',
  )
  for (const n of r.notes) L.push(`> ${n}`, '')
  L.push('## Throughput (operations/s)', '')
  const cols = servers.filter((s) => s !== 'hello')
  const paired = r.plan.runs > 1
  L.push(
    `| scenario | c | ${cols.join(' | ')} | Pixie / best peer |${paired ? ' each run |' : ''} Pixie / hello | errors |`,
  )
  L.push(`|---|--:|${cols.map(() => '--:').join('|')}|--:|${paired ? '--:|' : ''}--:|--:|`)
  for (const s of MAIN) {
    for (const c of conc) {
      const row = cols.map((x) => get(x, s, c))
      if (row.every((x) => !x)) continue
      const p = get(PIXIE, s, c)
      const b = bestPeer(get, s, c)
      const h = s === 'resource' ? get('hello', 'hello', c) : null
      const errs = row.reduce((n, x) => n + (x?.errors ?? 0), 0)
      L.push(
        `| ${s} | ${c} | ${row.map((x) => fmt(x?.opsPerSec)).join(' | ')} | ` +
          `${p && b ? fmt(ratio(p.opsPerSec, b.opsPerSec), 2) + '×' : '–'} | ` +
          (paired
            ? `${
                ratiosPerRun(get, s, c)
                  .map((x) => fmt(x, 2))
                  .join(', ') || '–'
              } | `
            : '') +
          `${h && p ? fmt((100 * p.opsPerSec) / h.opsPerSec, 1) + '%' : '–'} | ${errs} |`,
      )
    }
  }
  for (const c of conc) {
    const h = get('hello', 'hello', c)
    if (h)
      L.push(
        `| hello-world (ceiling) | ${c} | ${cols.map(() => '').join(' | ')} | |${paired ? ' |' : ''} ${fmt(h.opsPerSec)} | ${h.errors} |`,
      )
  }
  L.push('')
  L.push(
    `## Latency per step, p50 / p99 ms (Pixie SQLite vs the faster peer configuration${paired ? `; medians of the ${r.plan.runs} runs' percentiles` : ''})`,
    '',
  )
  L.push('| scenario | c | step | Pixie p50 | Pixie p99 | peer | peer p50 | peer p99 |')
  L.push('|---|--:|---|--:|--:|---|--:|--:|')
  for (const s of MAIN) {
    for (const c of conc) {
      const p = get(PIXIE, s, c)
      const b = bestPeer(get, s, c)
      if (!p) continue
      const names = [
        ...new Set([...Object.keys(p.latency.steps), ...Object.keys(b?.latency.steps ?? {})]),
      ]
      for (const k of [...names, 'whole operation']) {
        const a = k === 'whole operation' ? p.latency.op : p.latency.steps[k]
        const z = k === 'whole operation' ? b?.latency.op : b?.latency.steps[k]
        L.push(
          `| ${s} | ${c} | ${k} | ${fmt(a?.p50, 2)} | ${fmt(a?.p99, 2)} | ${b?.server ?? '–'} | ${fmt(z?.p50, 2)} | ${fmt(z?.p99, 2)} |`,
        )
      }
    }
  }
  L.push('')
  L.push(
    '## Server CPU per operation in ms (server / load driver / other processes, % of one core)',
    '',
  )
  L.push(
    'Other processes on the machine steal CPU from both sides; cells with high "other" are less trustworthy.',
    '',
  )
  L.push(`| scenario | c | ${servers.join(' | ')} |`)
  L.push(`|---|--:|${servers.map(() => '--:').join('|')}|`)
  for (const s of [...MAIN, 'hello']) {
    for (const c of conc) {
      const row = servers.map((x) => get(x, s, c))
      if (row.every((x) => !x)) continue
      L.push(
        `| ${s} | ${c} | ${row.map((x) => (x ? `${fmt(x.cpuMsPerOp, 3)} (${fmt(x.serverCpuPercent)}/${fmt(x.driverCpuPercent)}/${fmt(x.otherCpuPercent)})` : '')).join(' | ')} |`,
      )
    }
  }
  L.push('')
  L.push('## Memory and start-up', '')
  L.push(
    '| server | ready after (ms) | peak RSS under flow load (MB) | peak RSS by the end of flow, with sign-ins (MB) | peak RSS, whole run (MB) |',
  )
  L.push('|---|--:|--:|--:|--:|')
  for (const s of servers) {
    const i = r.servers[s]
    L.push(
      `| ${s}: ${i.label} | ${i.readyMs} | ${fmt(i.rssUnderLoad?.flow, 1)}${eachRun(i)} | ${fmt(i.rssAfterScenario.flow, 1)} | ${fmt(i.peakRssMb, 1)} |`,
    )
  }
  L.push('')
  L.push(
    'Peak RSS is VmHWM. "Under flow load" is reset (proc(5) clear_refs) after each cell has signed in its new virtual users, so it covers the warm-up and the timed window; the next column keeps those argon2id sign-ins (19 MiB per hash while it runs).',
    '',
  )
  if (r.startupMs.runs.length) {
    L.push(
      `Pixie start-up to the first 200 on /healthz (fresh SQLite file, one client, no users to hash): ` +
        `median ${r.startupMs.median} ms (${r.startupMs.runs.join(', ')}). "ready after" above includes seeding 64 argon2id users.`,
      '',
    )
  }
  L.push('## Issue 7 targets (Pixie on SQLite vs the faster oidc-provider configuration)', '')
  L.push('| target | met | measured |', '|---|:-:|---|')
  for (const t of evaluateTargets(r))
    L.push(`| ${t.target} | ${t.met ? 'yes' : '**no**'} | ${t.detail} |`)
  L.push('')
  const errs = r.cells.filter((c) => c.errors)
  if (errs.length) {
    L.push('## Errors', '')
    for (const c of errs)
      L.push(
        `- ${c.server} ${c.scenario} c=${c.concurrency}: ${c.errors} — ${c.errorSamples.join(' | ')}`,
      )
    L.push('')
  }
  return L.join('\n') + '\n'
}
