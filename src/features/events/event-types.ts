import { sql, type Transaction } from 'kysely'
import type { Database } from '../../db/schema.ts'
import type { PreparedEvent } from './events.service.ts'

/** Property keys of a type usable in templates: the first 200, in first-seen order (ATTENTIVE_API.md §2.3). */
export const TEMPLATE_KEYS = 200

/** Types whose keys this process remembers; past this many the memory starts over (it is only a shortcut). */
const REMEMBERED_TYPES = 10_000

interface TypeRow {
  companyId: number
  type: string
  keys: string[]
  apiKeyId: number
}

/**
 * The registry of custom event types: a type is created on first use with the key that sent it, and its first
 * 200 property keys are kept. Writing the registry on every event would make every event of a type update one
 * row (a hot row every batch waits on), so each process remembers the keys it knows are stored and writes only
 * what is new to it; after a rollback nothing is remembered.
 */
export class EventTypeRegistry {
  private readonly known = new Map<string, Set<string>>()

  /** The types and keys of `events` this process has not seen stored yet, first-seen order kept. */
  unknownIn(events: PreparedEvent[]): TypeRow[] {
    const rows = new Map<string, TypeRow>()
    for (const event of events) {
      if (event.kind !== 'custom') continue
      const id = `${event.companyId}\u0000${event.type}`
      const known = this.known.get(id)
      if (known && known.size >= TEMPLATE_KEYS) continue
      const fresh = Object.keys(event.properties).filter((key) => !known?.has(key))
      let row = rows.get(id)
      if (!row) {
        if (known && fresh.length === 0) continue
        row = { companyId: event.companyId, type: event.type, keys: [], apiKeyId: event.apiKeyId }
        rows.set(id, row)
      }
      for (const key of fresh) if (!row.keys.includes(key) && row.keys.length < TEMPLATE_KEYS) row.keys.push(key)
    }
    return [...rows.values()].sort((a, b) => a.companyId - b.companyId || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0))
  }

  /** Creates the types and appends their new keys, up to 200 per type, in the caller's transaction. */
  async write(tx: Transaction<Database>, rows: TypeRow[], now: Date): Promise<void> {
    if (rows.length === 0) return
    await sql`
      insert into custom_event_types as t (company_id, type, property_keys, created_by_api_key_id, created_at)
      select c, ty, (array(select jsonb_array_elements_text(k)))[1:${TEMPLATE_KEYS}], a, ${now}
      from unnest(${rows.map((r) => r.companyId)}::bigint[], ${rows.map((r) => r.type)}::text[],
                  ${rows.map((r) => JSON.stringify(r.keys))}::jsonb[], ${rows.map((r) => r.apiKeyId)}::bigint[])
        as w (c, ty, k, a)
      on conflict (company_id, type) do update set
        property_keys = (t.property_keys || array(
          select key from unnest(excluded.property_keys) with ordinality as e (key, ord)
          where key <> all (t.property_keys) order by ord))[1:${TEMPLATE_KEYS}]
      where cardinality(t.property_keys) < ${TEMPLATE_KEYS} and not excluded.property_keys <@ t.property_keys
    `.execute(tx)
  }

  /** Notes, after the commit, that these types and keys are stored. */
  remember(rows: TypeRow[]): void {
    if (this.known.size > REMEMBERED_TYPES) this.known.clear()
    for (const row of rows) {
      const id = `${row.companyId}\u0000${row.type}`
      const known = this.known.get(id) ?? new Set<string>()
      for (const key of row.keys) known.add(key)
      this.known.set(id, known)
    }
  }
}
