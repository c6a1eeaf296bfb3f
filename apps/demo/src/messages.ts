import { PixieClientError } from '@pixie/client'

export interface Notice {
  kind: 'error' | 'info' | 'success'
  title: string
  text: string
}

export const SCOPE_WORDS: Record<string, string> = {
  profile: 'Your name and account ID',
  email: 'Your email address',
}

/** True when the error means the tokens are gone or dead: the user must sign in again. */
export function isSessionOver(e: unknown): boolean {
  if (!(e instanceof PixieClientError)) return false
  return (
    e.code === 'no_tokens' ||
    (e.code === 'refresh_failed' && e.error === 'invalid_grant') ||
    (e.code === 'userinfo_error' && e.status === 401)
  )
}

/** What a person reads when something fails: never a stack trace. */
export function describe(e: unknown, issuer: string): Notice {
  if (!(e instanceof PixieClientError)) {
    return {
      kind: 'error',
      title: 'Something went wrong',
      text: e instanceof Error ? e.message : String(e),
    }
  }
  if (isSessionOver(e)) {
    return {
      kind: 'info',
      title: 'Your session has expired',
      text: 'Sign in again to continue.',
    }
  }
  switch (e.code) {
    case 'authorization_error':
      if (e.error === 'access_denied') {
        return {
          kind: 'info',
          title: 'Access denied',
          text: 'You chose not to let Pixie Demo use your Pixie account, so nothing was shared. You can sign in again at any time.',
        }
      }
      return {
        kind: 'error',
        title: 'Pixie could not complete the sign-in',
        text: e.error_description ?? e.error ?? e.message,
      }
    case 'missing_transaction':
    case 'invalid_state':
      return {
        kind: 'info',
        title: 'This sign-in link has expired',
        text: 'It was already used or started in another browser. Please sign in again.',
      }
    case 'token_error':
      return {
        kind: 'error',
        title: 'The sign-in could not be completed',
        text: 'The sign-in took too long or was already finished. Please try again.',
      }
    case 'network_error':
    case 'discovery_error':
      return {
        kind: 'error',
        title: 'Pixie is unreachable',
        text: `Could not reach ${issuer}. Check that the server is running, then try again.`,
      }
    default:
      return { kind: 'error', title: 'Something went wrong', text: e.message }
  }
}
