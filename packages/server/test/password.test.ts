import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { availableParallelism } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { hashPassword, limited, verifyPassword } from '../src/crypto/password.ts'

describe('password hashing', () => {
  it('argon2id with the OWASP parameters; verify tells right from wrong', async () => {
    const h = await hashPassword('correct horse battery staple')
    assert.match(h, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    assert.equal(await verifyPassword(h, 'correct horse battery staple'), true)
    assert.equal(await verifyPassword(h, 'wrong'), false)
    assert.equal(await verifyPassword('not a hash', 'x'), false)
  })

  it('runs at most one computation per core at once; the others wait their turn', async () => {
    let now = 0
    let peak = 0
    const task = () =>
      limited(async () => {
        peak = Math.max(peak, ++now)
        await sleep(5)
        now--
        return now
      })
    await Promise.all(Array.from({ length: 12 }, task))
    assert.equal(peak, Math.max(1, availableParallelism()))
    assert.equal(now, 0)
  })

  it('a failing computation frees its slot', async () => {
    const slots = Math.max(1, availableParallelism())
    for (let i = 0; i < slots + 1; i++) {
      await assert.rejects(
        limited(() => Promise.reject(new Error('boom'))),
        /boom/,
      )
    }
    assert.equal(await limited(async () => 'still works'), 'still works')
  })
})
