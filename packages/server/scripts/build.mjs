#!/usr/bin/env node
// Bundles the CLI into dist/cli/main.mjs (tsdown.config.ts), copies the stylesheet beside it as
// src/ has it, and stamps the build. bin/pixie.cjs runs dist/ only while it is newer than src/.
import { execFileSync } from 'node:child_process'
import { cpSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const pkg = fileURLToPath(new URL('..', import.meta.url))
const tsdown = createRequire(import.meta.url).resolve('tsdown/run')
execFileSync(
  process.execPath,
  [tsdown, '--config', `${pkg}/tsdown.config.ts`, '--log-level', 'warn'],
  {
    cwd: pkg,
    stdio: 'inherit',
  },
)
cpSync(`${pkg}/src/views/pixie.css`, `${pkg}/dist/views/pixie.css`)
writeFileSync(`${pkg}/dist/.build-stamp`, new Date().toISOString() + '\n')
