// The browser-like client side: cookie jar, PKCE, form reading. Runs in the bench process.
import { createHash, randomFillSync } from 'node:crypto'

export class Jar {
  cookies = new Map()
  store(setCookie) {
    if (!setCookie) return
    for (const line of Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const semi = line.indexOf(';')
      const pair = semi < 0 ? line : line.slice(0, semi)
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line))
        this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }
  header() {
    let out = ''
    for (const [k, v] of this.cookies) out += (out ? '; ' : '') + k + '=' + v
    return out
  }
}

// Random bytes come from a 4 KiB pool, refilled when spent: a randomBytes call per value was 8%
// of the driver's CPU under the flow load (two per operation, ~5 µs each on these machines),
// CPU the servers then lacked (the driver shares the machine with them).
const pool = Buffer.alloc(4096)
let used = pool.length
function random(n) {
  if (used + n > pool.length) {
    randomFillSync(pool)
    used = 0
  }
  used += n
  return pool.subarray(used - n, used)
}

export function pkce() {
  const verifier = random(32).toString('base64url')
  const challenge = createHash('sha256').update(verifier).digest('base64url')
  return { verifier, challenge }
}

export const randomState = () => random(12).toString('base64url')

const ENTITIES = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  '#39': "'",
  '#x27': "'",
  '#x2F': '/',
  '#47': '/',
}
const unescape = (s) => s.replace(/&(amp|lt|gt|quot|#39|#x27|#x2F|#47);/g, (_, e) => ENTITIES[e])

/** The first form of a page: its action and its named inputs (buttons left out). */
export function readForm(html) {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html)
  if (!form) throw new Error(`no form on page: ${html.slice(0, 120)}`)
  const action = unescape(/\baction="([^"]*)"/i.exec(form[1])?.[1] ?? '')
  const fields = new URLSearchParams()
  for (const m of form[2].matchAll(/<input\b([^>]*?)\/?>/gi)) {
    const name = /\bname="([^"]*)"/i.exec(m[1])?.[1]
    if (!name) continue
    fields.append(unescape(name), unescape(/\bvalue="([^"]*)"/i.exec(m[1])?.[1] ?? ''))
  }
  return { action, fields }
}
