import { hash, verify } from '@node-rs/argon2'

// OWASP password storage cheat sheet: argon2id, m=19 MiB, t=2, p=1.
const OPTIONS = {
  algorithm: 2 /* Algorithm.Argon2id (a const enum) */,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS)
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password)
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
