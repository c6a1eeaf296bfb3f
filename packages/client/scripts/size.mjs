#!/usr/bin/env node
// Reports the minified + gzipped size of the SDK as an app would ship it: bundled with esbuild
// (tree-shaken, minified, browser target), then gzip level 9 with node:zlib.
// Usage: node scripts/size.mjs [--limit 5000]   (exits 1 when the core flow exceeds the limit)
import { build } from 'esbuild'
import { gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'

const src = fileURLToPath(new URL('../src/index.ts', import.meta.url))
const limitArg = process.argv.indexOf('--limit')
const limit = limitArg > 0 ? Number(process.argv[limitArg + 1]) : 5000

const entries = {
  // The core flow: authorize, callback, token storage, refresh, fetch, profile, sign out.
  'core flow (PixieClient)': `export { PixieClient } from ${JSON.stringify(src)}`,
  'PKCE helpers only': `export { generateCodeVerifier, codeChallengeS256 } from ${JSON.stringify(src)}`,
  'everything (index)': `export * from ${JSON.stringify(src)}`,
}

async function measure(contents) {
  const result = await build({
    stdin: { contents, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
  })
  const code = result.outputFiles[0].contents
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length }
}

let core = 0
console.log('@pixie/client bundle size (esbuild --minify, gzip -9)')
for (const [name, contents] of Object.entries(entries)) {
  const { min, gzip } = await measure(contents)
  if (name.startsWith('core')) core = gzip
  console.log(
    `  ${name.padEnd(26)} ${String(min).padStart(6)} B min  ${String(gzip).padStart(5)} B gzip`,
  )
}
const ok = core <= limit
console.log(`core flow: ${core} B gzip, limit ${limit} B: ${ok ? 'ok' : 'TOO BIG'}`)
process.exit(ok ? 0 : 1)
