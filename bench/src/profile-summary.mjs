#!/usr/bin/env node
// Aggregates a V8 .cpuprofile by function + url: self time and total (inclusive) time.
//   node bench/src/profile-summary.mjs <file.cpuprofile> [top]
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export function summarizeProfile(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  // Sample time: timeDeltas[i] belongs to samples[i].
  const selfUs = new Map()
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  const keyOf = (n) => {
    const f = n.callFrame
    const url = (f.url || '')
      .replace(/^file:\/\//, '')
      .replace(/^.*\/node_modules\//, 'node_modules/')
      .replace(/^.*\/packages\//, 'packages/')
    return `${f.functionName || '(anonymous)'}  ${url}${url ? ':' + (f.lineNumber + 1) : ''}`
  }
  const self = new Map()
  const total = new Map()
  const byPackage = new Map()
  let all = 0
  for (const [id, us] of selfUs) {
    all += us
    const n = nodes.get(id)
    const k = keyOf(n)
    self.set(k, (self.get(k) ?? 0) + us)
    const url = n.callFrame.url || ''
    const pkg =
      /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
      (url.includes('/packages/server/')
        ? 'pixie server'
        : url.startsWith('node:')
          ? 'node core (js)'
          : url
            ? url.split('/').slice(-2).join('/')
            : n.callFrame.functionName.startsWith('(')
              ? n.callFrame.functionName
              : 'native/builtin')
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us)
    // Inclusive time: count each function once per stack.
    const seen = new Set()
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const kk = keyOf(nodes.get(cur))
      if (seen.has(kk)) continue
      seen.add(kk)
      total.set(kk, (total.get(kk) ?? 0) + us)
    }
  }
  const sortDesc = (m) => [...m].sort((a, b) => b[1] - a[1])
  return {
    totalMs: all / 1000,
    self: sortDesc(self),
    total: sortDesc(total),
    byPackage: sortDesc(byPackage),
  }
}

export function formatSummary(s, top = 25) {
  const pct = (us) => ((100 * us) / (s.totalMs * 1000)).toFixed(1).padStart(5) + '%'
  const L = [`total sampled: ${s.totalMs.toFixed(0)} ms`, '', 'self time by package:', '']
  for (const [k, us] of s.byPackage.slice(0, 15)) L.push(`  ${pct(us)}  ${k}`)
  L.push('', `top ${top} functions by self time:`, '')
  for (const [k, us] of s.self.slice(0, top)) L.push(`  ${pct(us)}  ${k}`)
  L.push('', `top ${top} functions by inclusive time:`, '')
  for (const [k, us] of s.total.slice(0, top)) L.push(`  ${pct(us)}  ${k}`)
  return L.join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2]
  if (!file) {
    process.stderr.write('usage: profile-summary.mjs <file.cpuprofile> [top]\n')
    process.exit(2)
  }
  process.stdout.write(
    formatSummary(
      summarizeProfile(JSON.parse(readFileSync(file, 'utf8'))),
      Number(process.argv[3] ?? 25),
    ) + '\n',
  )
}
