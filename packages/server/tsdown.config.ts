import { defineConfig } from 'tsdown'

// The CLI as one ESM file (dist/cli/main.js): Kysely, Zod and Hono ship hundreds of small ES
// modules, and loading them one by one was most of Pixie's start-up (Kysely alone ~170 ms).
// Native addons and the lazily loaded drivers stay external. One file, so that
// `new URL('../views/pixie.css', import.meta.url)` finds dist/views/ as it finds src/views/.
export default defineConfig({
  entry: { 'cli/main': 'src/cli/main.ts' },
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outDir: 'dist',
  clean: true,
  dts: false,
  sourcemap: true,
  deps: {
    // With their subpaths (hono/cookie, hono/html, ...): each left out is one more file to load.
    alwaysBundle: [
      /^kysely(\/|$)/,
      /^zod(\/|$)/,
      /^hono(\/|$)/,
      /^@hono\/node-server(\/|$)/,
      /^commander(\/|$)/,
      /^rate-limiter-flexible(\/|$)/,
    ],
    neverBundle: ['better-sqlite3', '@node-rs/argon2', 'pg', 'ioredis', 'tsx'],
  },
  codeSplitting: false,
})
