#!/usr/bin/env node
// Compiles src/ to dist/ with tsc (same layout, so the CSS beside the views is found), copies the
// stylesheet, and stamps the build. bin/pixie.js runs dist/ only while it is newer than src/.
import { execFileSync } from 'node:child_process'
import { cpSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const pkg = fileURLToPath(new URL('..', import.meta.url))
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
rmSync(`${pkg}/dist`, { recursive: true, force: true })
execFileSync(process.execPath, [tsc, '-p', `${pkg}/tsconfig.build.json`], { stdio: 'inherit' })
cpSync(`${pkg}/src/views/pixie.css`, `${pkg}/dist/views/pixie.css`)
writeFileSync(`${pkg}/dist/.build-stamp`, new Date().toISOString() + '\n')
