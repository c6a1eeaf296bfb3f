export interface DemoConfig {
  issuer: string
  clientId: string
  /** Given by `pixie dev`, shown on the start page. */
  demoUser?: { username: string; password: string }
}

const FALLBACK: DemoConfig = {
  issuer: import.meta.env.VITE_PIXIE_ISSUER ?? 'http://127.0.0.1:3000',
  clientId: import.meta.env.VITE_PIXIE_CLIENT_ID ?? 'pixie-demo',
}

/**
 * `pixie dev --demo` answers /config.json with the issuer it actually listens on (its port may
 * be chosen at start). Under Vite's dev server there is no such file: use the build-time
 * defaults (VITE_PIXIE_ISSUER, else http://127.0.0.1:3000).
 */
export async function loadConfig(): Promise<DemoConfig> {
  try {
    const res = await fetch('/config.json', { cache: 'no-store' })
    const data = (await res.json()) as Partial<DemoConfig>
    if (res.ok && typeof data.issuer === 'string' && typeof data.clientId === 'string') {
      return { ...FALLBACK, ...data } as DemoConfig
    }
  } catch {
    // not served by pixie dev
  }
  return FALLBACK
}
