import { availableParallelism } from 'node:os'

/**
 * The argon2 addon loads on first use: loading it was 20-30 ms of start-up, which a server with
 * no users to seed need not wait for. startServer warms it up once it listens.
 */
let argon2: Promise<typeof import('@node-rs/argon2')> | undefined
export function loadPasswordHashing(): Promise<typeof import('@node-rs/argon2')> {
  argon2 ??= import('@node-rs/argon2')
  return argon2
}

// OWASP password storage cheat sheet: argon2id, m=19 MiB, t=2, p=1.
const OPTIONS = {
  algorithm: 2 /* Algorithm.Argon2id (a const enum) */,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
}

/**
 * Each argon2id computation holds 19 MiB. It is CPU-bound, so running more at once than there
 * are cores buys no throughput, only memory: a burst of logins would otherwise fill libuv's four
 * threads (76 MiB) and glibc keeps what it once held. At most one per core runs; the rest wait.
 */
const MAX_CONCURRENT = Math.max(1, availableParallelism())
let running = 0
const waiting: Array<() => void> = []

export async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT) await new Promise<void>((resolve) => waiting.push(resolve))
  else running++
  try {
    return await work()
  } finally {
    const next = waiting.shift()
    if (next)
      next() // the slot passes straight to the next caller
    else running--
  }
}

export async function hashPassword(password: string): Promise<string> {
  const { hash } = await loadPasswordHashing()
  return limited(() => hash(password, OPTIONS))
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  // An addon that fails to load is an error of the server, not a wrong password.
  const { verify } = await loadPasswordHashing()
  try {
    return await limited(() => verify(stored, password))
  } catch {
    return false
  }
}

// Verified against when the user does not exist, so an unknown user costs the same time as a
// wrong password and the answer reveals nothing.
let dummy: Promise<string> | undefined
export function dummyPasswordHash(): Promise<string> {
  dummy ??= hashPassword('pixie-dummy-password-for-timing')
  return dummy
}
