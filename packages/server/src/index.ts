export { createApp, type AppOptions } from './http/app.ts'
export { createRequestListener } from './http/listener.ts'
export { startServer, type RunningServer } from './server.ts'
export { loadConfig, parseConfig, ConfigError, type Config } from './config.ts'
export { openStore } from './storage/index.ts'
export type * from './storage/store.ts'
export {
  bearerAuth,
  bearerChallenge,
  createTokenVerifier,
  protect,
  type ResourceServerOptions,
  type VerifiedToken,
} from './resource-server.ts'
