#!/usr/bin/env node
// Runs every test file of the workspace with node's test runner (through tsx), so the
// closing summary is node:test's own. Node 20's --test takes no globs: we list the files.
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { spawnSync } from 'node:child_process'

const root = new URL('..', import.meta.url).pathname
const roots = ['packages', 'apps', 'e2e', 'bench']
const skip = new Set(['node_modules', 'dist', 'data', '.tmp'])

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path, out)
    else if (/\.test\.(ts|mjs|js)$/.test(name)) out.push(relative(root, path))
  }
  return out
}

const filter = process.argv.slice(2)
let files = roots.flatMap((r) => walk(join(root, r), []))
if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)))
files.sort()
if (files.length === 0) {
  console.error('no test files matched')
  process.exit(1)
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit' },
)
process.exit(result.status ?? 1)
