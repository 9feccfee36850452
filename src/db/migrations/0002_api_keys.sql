-- API keys: shown once, stored only as SHA-256 of the key (keys are 32 random bytes, so a fast hash is enough:
-- there is nothing to brute-force). Revocation sets revoked_at and notifies every process (auth cache).
create table api_keys (
  id             bigint generated always as identity primary key,
  company_id     bigint not null references companies (id) on delete cascade,
  name           text not null check (length(name) between 1 and 200),
  key_hash       bytea not null unique,
  -- The first characters of the key, safe to show so an operator can tell keys apart.
  key_prefix     text not null,
  scopes         text[] not null,
  contact_email  text,
  created_at     timestamptz not null default now(),
  revoked_at     timestamptz
);
create index api_keys_company on api_keys (company_id, id);

create function api_keys_notify() returns trigger language plpgsql as $$
begin
  perform pg_notify('attune_api_keys', new.id::text);
  return new;
end $$;

create trigger api_keys_changed after update on api_keys for each row execute function api_keys_notify();

-- A company's settings (rate-limit overrides) travel with its cached keys: drop those caches too.
create trigger companies_changed after update on companies for each row execute function api_keys_notify();
