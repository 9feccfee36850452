-- The suppression list: addresses that must never be messaged again, such as a person deleted on a privacy
-- request (SPEC §3: only a one-way hash is kept). address_hash is SHA-256 of the address as messages store it
-- (E.164 phone, lower-cased email) in UTF-8; the dispatcher checks it for every claimed message and suppresses
-- with reason `deleted` (src/features/messages/dispatch.queries.ts).
create table suppressed_addresses (
  company_id    bigint not null references companies (id) on delete cascade,
  channel       text not null check (channel in ('TEXT', 'EMAIL')),
  address_hash  bytea not null check (length(address_hash) = 32),
  reason        text not null check (reason in ('deleted', 'operator')),
  created_at    timestamptz not null,
  primary key (company_id, channel, address_hash)
);
