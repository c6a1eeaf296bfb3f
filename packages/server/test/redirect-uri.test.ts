import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { matchRedirectUri, redirectUriProblem } from '../src/core/redirect-uri.ts'

describe('redirect URI matching', () => {
  const registered = ['https://app.example/cb', 'http://127.0.0.1/native', 'http://[::1]:8080/cb']

  it('matches registered URIs exactly', () => {
    assert.equal(matchRedirectUri('https://app.example/cb', registered), true)
    for (const near of [
      'https://app.example/cb/',
      'https://APP.example/cb',
      'https://app.example/cb?x=1',
      'https://app.example/CB',
      'https://app.example:443/cb',
      'https://app.example/./cb',
      'https://app.example/cb#x',
      'http://app.example/cb',
    ]) {
      assert.equal(matchRedirectUri(near, registered), false, near)
    }
  })

  it('lets only the port vary on loopback IP literals (RFC 8252 7.3)', () => {
    assert.equal(matchRedirectUri('http://127.0.0.1:51234/native', registered), true)
    assert.equal(matchRedirectUri('http://127.0.0.1/native', registered), true)
    assert.equal(matchRedirectUri('http://[::1]:9999/cb', registered), true)
    assert.equal(matchRedirectUri('http://127.0.0.1:51234/other', registered), false)
    assert.equal(matchRedirectUri('http://127.0.0.1:51234/native?x', registered), false)
    assert.equal(matchRedirectUri('http://127.0.0.1:51234/./native', registered), false)
    assert.equal(matchRedirectUri('http://user@127.0.0.1:5/native', registered), false)
    // localhost is a name, not a loopback literal: exact match only.
    assert.equal(matchRedirectUri('http://localhost:5000/native', registered), false)
  })

  it('registration: absolute, no fragment, https except loopback', () => {
    assert.equal(redirectUriProblem('https://app.example/cb'), null)
    assert.equal(redirectUriProblem('http://127.0.0.1/cb'), null)
    assert.equal(redirectUriProblem('com.example.app:/oauth'), null)
    assert.match(redirectUriProblem('/relative') ?? '', /absolute/)
    assert.match(redirectUriProblem('https://app.example/cb#frag') ?? '', /fragment/)
    assert.match(redirectUriProblem('http://app.example/cb') ?? '', /http is allowed only/)
    assert.match(redirectUriProblem('javascript:alert(1)') ?? '', /must use https/)
  })
})
