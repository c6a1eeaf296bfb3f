import { defineConfig } from 'tsdown'

export default defineConfig([
  // The package: tree-shakable ESM modules with their type declarations.
  {
    entry: ['src/index.ts'],
    format: 'esm',
    platform: 'neutral',
    dts: true,
    unbundle: true,
    outDir: 'dist',
    clean: true,
  },
  // A single minified file for <script type="module"> and CDNs.
  {
    entry: { 'pixie-client.min': 'src/index.ts' },
    format: 'esm',
    platform: 'browser',
    minify: true,
    sourcemap: true,
    dts: false,
    outDir: 'dist/browser',
    clean: false,
  },
])
