-- Custom attributes (ATTENTIVE_API.md §2.4). The first value seen fixes an attribute's type for the company.
create table custom_attribute_definitions (
  id          bigint generated always as identity primary key,
  company_id  bigint not null references companies (id) on delete cascade,
  name        text not null check (length(name) between 1 and 200),
  type        text not null check (type in ('BOOLEAN', 'NUMBER', 'DATE', 'STRING')),
  created_at  timestamptz not null,
  unique (company_id, name)
);

-- A profile's values, at most 100 names each (enforced by the service). `value` is canonical when it fits the
-- attribute's type ("true", "24", an ISO date) and as sent otherwise; `fits_type` says which.
create table user_attributes (
  company_id  bigint not null references companies (id) on delete cascade,
  user_id     bigint not null references users (id),
  name        text not null check (length(name) between 1 and 200),
  value       text not null,
  fits_type   boolean not null,
  updated_at  timestamptz not null,
  primary key (user_id, name)
);
create index user_attributes_company_name on user_attributes (company_id, name);
