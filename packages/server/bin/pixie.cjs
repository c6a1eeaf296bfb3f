#!/usr/bin/env node
'use strict'
// The pixie CLI. `npm ci` bundles the server into dist/ (the root `prepare` script), which starts
// in half the time; while any file of src/ is newer than that build (someone is editing), the
// TypeScript runs through tsx's loader instead, so the CLI never runs stale code.
// CommonJS on purpose: it sizes libuv's thread pool and lowers its threads' priority
// (thread-pool.cjs) before anything uses it.
const { readdirSync, statSync } = require('node:fs')
const { join } = require('node:path')
const { applyThreadPoolDefault, lowerPoolPriority } = require('./thread-pool.cjs')

applyThreadPoolDefault()

const src = join(__dirname, '../src')
const stamp = join(__dirname, '../dist/.build-stamp')

function newest(dir) {
  let t = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
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

async function main() {
  try {
    await lowerPoolPriority()
  } catch (err) {
    console.error(`pixie: ${err.message}`)
    process.exit(2)
  }
  if (built()) {
    await import('../dist/cli/main.mjs')
  } else {
    const { register } = await import('tsx/esm/api')
    register()
    await import('../src/cli/main.ts')
  }
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
