#!/usr/bin/env node
// The pixie CLI. The server is TypeScript run through tsx's loader: no build step between
// `npm ci` and `npx pixie serve`.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli/main.ts')
