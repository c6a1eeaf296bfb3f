import { InvalidRequest } from './errors.ts'

export type Params = Record<string, string | undefined>

/**
 * Request parameters as a flat record, strictly:
 * - a parameter sent without a value is treated as omitted (RFC 6749 3.1);
 * - a parameter sent more than once is an error (RFC 6749 3.1, 3.2): the names are returned so
 *   the caller decides which error that is (an error page for client_id / redirect_uri at the
 *   authorization endpoint, invalid_request elsewhere).
 */
export function readParams(search: URLSearchParams): { params: Params; duplicates: string[] } {
  const params: Params = Object.create(null) as Params
  const duplicates: string[] = []
  for (const [name, value] of search) {
    if (value === '') continue
    if (params[name] !== undefined) {
      if (!duplicates.includes(name)) duplicates.push(name)
      continue
    }
    params[name] = value
  }
  return { params, duplicates }
}

/**
 * readParams, failing on any duplicate with invalid_request; `repeatable` names the parameters a
 * spec lets a request repeat (RFC 8707 `resource`), read separately with getAll.
 */
export function readUniqueParams(
  search: URLSearchParams,
  repeatable: readonly string[] = [],
): Params {
  const { params, duplicates: all } = readParams(search)
  const duplicates = all.filter((d) => !repeatable.includes(d))
  if (duplicates.length > 0) {
    throw new InvalidRequest(`parameter sent more than once: ${duplicates.join(', ')}`)
  }
  return params
}
