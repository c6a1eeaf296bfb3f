/** Per-step latency samples, operation count and errors of one timed window. */
export class Recorder {
  steps = new Map()
  opLatency = []
  ops = 0
  errors = 0
  errorSamples = []
  step(name, ms) {
    let arr = this.steps.get(name)
    if (!arr) this.steps.set(name, (arr = []))
    arr.push(ms)
  }
  op(ms) {
    this.ops++
    this.opLatency.push(ms)
  }
  error(err) {
    this.errors++
    if (this.errorSamples.length < 5)
      this.errorSamples.push(String(err?.message ?? err).slice(0, 300))
  }
}

export function percentiles(samples) {
  if (samples.length === 0) return { count: 0, p50: null, p99: null, max: null }
  const a = Float64Array.from(samples).sort()
  const at = (q) => a[Math.min(a.length - 1, Math.floor(q * a.length))]
  const r = (x) => Math.round(x * 1000) / 1000
  return { count: a.length, p50: r(at(0.5)), p99: r(at(0.99)), max: r(a[a.length - 1]) }
}

export const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y)
  return a.length ? a[Math.floor((a.length - 1) / 2)] : null
}
