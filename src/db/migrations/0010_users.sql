-- Profiles (users) and the identifiers that find them. A person is one row of `users`; every phone, email and
-- external id that names them is one row of `user_identifiers`, unique per company, so an identifier always
-- leads to exactly one profile (src/features/users/identity.service.ts).
create table users (
  id              bigint generated always as identity primary key,
  company_id      bigint not null references companies (id) on delete cascade,
  -- Set when this profile was merged into another (always the final survivor: chains are flattened). A merged
  -- profile holds nothing any more; the row stays because append-only rows (the consent ledger) keep its id.
  merged_into_id  bigint references users (id),
  created_at      timestamptz not null,
  updated_at      timestamptz not null
);
create index users_company on users (company_id, id);
create index users_merged_into on users (merged_into_id) where merged_into_id is not null;

create table user_identifiers (
  company_id  bigint not null references companies (id) on delete cascade,
  user_id     bigint not null references users (id),
  kind        text not null check (kind in ('phone', 'email', 'client_user_id', 'shopify_id', 'klaviyo_id', 'custom')),
  -- The custom identifier's name (e.g. loyaltyId); '' for every other kind.
  name        text not null default '' check (length(name) <= 100),
  -- As given: phones in E.164, emails trimmed with their case kept (COMPLIANCE.md §5.2).
  value       text not null check (length(value) between 1 and 254),
  -- What matching compares: the lower-cased email, otherwise the value itself (external ids are case-sensitive).
  value_key   text not null,
  created_at  timestamptz not null,
  primary key (company_id, kind, name, value_key)
);
create index user_identifiers_user on user_identifiers (user_id);

-- Every merge, for an auditor: who survived, who was folded in, why, and what moved.
create table user_merges (
  id           bigint generated always as identity primary key,
  company_id   bigint not null references companies (id) on delete cascade,
  survivor_id  bigint not null references users (id),
  merged_id    bigint not null references users (id),
  reason       text not null,
  -- Rows moved per table, and the consent decisions taken, as {"moved": {...}, "consents": [...]}.
  details      jsonb not null default '{}'::jsonb,
  merged_at    timestamptz not null
);
create index user_merges_survivor on user_merges (company_id, survivor_id);

-- Append-only tables use this trigger function for UPDATE, DELETE and TRUNCATE. It also fires for the table's
-- owner (the application's own role), so no code path can rewrite history. A merge leaves the rows of every
-- table that uses it where they are (src/features/users/merge.service.ts).
create function attune_append_only() returns trigger language plpgsql as $$
begin
  raise exception '% is append-only: % is not allowed', tg_table_name, tg_op using errcode = 'insufficient_privilege';
end $$;
