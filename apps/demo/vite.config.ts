import { defineConfig } from 'vite'

// `npm start` serves the built app (dist/) from `pixie dev --demo`; `npm run dev -w @pixie/demo`
// runs Vite's dev server on the same origin, next to `pixie dev`.
export default defineConfig({
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 5173, strictPort: true },
  build: { target: 'es2022' },
})
