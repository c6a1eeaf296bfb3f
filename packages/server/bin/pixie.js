#!/usr/bin/env node
// The pixie CLI. `npm ci` bundles the server into dist/ (the root `prepare` script), which starts
// in half the time; while any file of src/ is newer than that build (someone is editing), the
// TypeScript runs through tsx's loader instead, so the CLI never runs stale code.
import { readdirSync, statSync } from 'node:fs'

const src = new URL('../src/', import.meta.url)
const stamp = new URL('../dist/.build-stamp', import.meta.url)

function newest(dir) {
  let t = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = new URL(e.name + (e.isDirectory() ? '/' : ''), dir)
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}

function built() {
  try {
    return statSync(stamp).mtimeMs >= newest(src)
  } catch {
    return false
  }
}

if (built()) {
  await import('../dist/cli/main.mjs')
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import('../src/cli/main.ts')
}
