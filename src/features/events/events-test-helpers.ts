import assert from 'node:assert/strict'
import { sql } from 'kysely'
import type { App } from '../../app.ts'
import type { Deps } from '../../deps.ts'
import { decodeObjectId } from '../../http/object-id.ts'
import type { TestCompany } from '../../../test/helpers/company.ts'

/** The numeric id of a test company. */
export function companyIdOf(company: TestCompany): number {
  const id = decodeObjectId('Company', company.id)
  assert.ok(id !== undefined)
  return id
}

/** POSTs `payload` as `auth` and returns status and parsed body. */
export async function post(app: App, auth: Record<string, string>, url: string, payload: unknown) {
  const response = await app.inject({ method: 'POST', url, headers: auth, payload: payload as object })
  return { status: response.statusCode, body: response.json<Record<string, unknown>>(), headers: response.headers }
}

/** How many rows of `table` belong to the company. */
export async function countRows(deps: Deps, table: string, companyId: number): Promise<number> {
  const result = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where company_id = ${companyId}`.execute(deps.db)
  return result.rows[0]?.n ?? -1
}
