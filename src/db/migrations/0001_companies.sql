-- Companies are the tenants: every row of every later table carries company_id and every query is scoped by it.
create table companies (
  id          bigint generated always as identity primary key,
  name        text not null check (length(name) between 1 and 200),
  domain      text check (length(domain) <= 253),
  -- Per-company settings (rate-limit overrides, time zone, compliance switches); unknown keys are ignored.
  settings    jsonb not null default '{}'::jsonb,
  created_at  timestamptz not null default now()
);

-- Instance-wide values that are not a company's, e.g. the hash of the generated admin token.
create table instance_settings (
  key         text primary key,
  value       jsonb not null,
  created_at  timestamptz not null default now()
);
