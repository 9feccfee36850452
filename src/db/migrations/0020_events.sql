-- Events people did, pushed by brands, CDPs and privacy proxies: custom events (ATTENTIVE_API.md §2.3) and
-- eCommerce events (§2.5). Written in batches by the group-commit writer (src/features/events/event-writer.ts),
-- each row with its domain event in the same transaction. Not partitioned: measured in BENCHMARKS.md ("events").
create table events (
  id                 bigint generated always as identity primary key,
  company_id         bigint not null references companies (id) on delete cascade,
  -- A merge moves rows to the surviving profile (every table with user_id, src/features/users/merge.service.ts).
  user_id            bigint not null references users (id),
  kind               text not null check (kind in ('custom', 'product_view', 'add_to_cart', 'purchase')),
  -- The custom event's name, case-sensitive ("Order Shipped"); for eCommerce events the kind again.
  type               text not null check (length(type) between 1 and 255),
  occurred_at        timestamptz not null,
  received_at        timestamptz not null,
  external_event_id  text check (length(external_event_id) between 1 and 255),
  -- The API key that sent it (Attentive's "app"); no foreign key: the event outlives a deleted key.
  api_key_id         bigint,
  -- Custom: the properties as sent. eCommerce: {items, orderId?, salesChannel?} with prices as decimal strings.
  properties         jsonb not null default '{}'::jsonb,
  -- Purchases: the order's total (sum of price x quantity) when all items share one currency.
  value              numeric,
  currency           text check (currency ~ '^[A-Z]{3}$'),
  -- eCommerce: the items' productIds, for "viewed product P".
  product_ids        text[]
);
-- A person's events newest first (GET /v1/users/{id}/events), and "did X at least N times in the last D days"
-- for one person: a range scan of that person's window.
create index events_user on events (company_id, user_id, occurred_at desc, id desc);
-- The same question for a whole company (segments): a range scan of one type's window, user_id read from the index.
create index events_company_type on events (company_id, kind, type, occurred_at) include (user_id);
-- Retention deletes by age; events arrive roughly in time order, so a BRIN index finds old blocks for almost no
-- cost per insert.
create index events_occurred_brin on events using brin (occurred_at);

-- (company, externalEventId) is unique for 30 days (ATTENTIVE_API.md §1.6): a claimed id makes a repeat a no-op.
-- Kept apart from `events` so retention of events and the 30-day window do not depend on each other.
create table event_external_ids (
  company_id         bigint not null references companies (id) on delete cascade,
  external_event_id  text not null,
  claimed_at         timestamptz not null,
  primary key (company_id, external_event_id)
);
create index event_external_ids_claimed on event_external_ids using brin (claimed_at);

-- Custom event types, created on first use (§2.3): the creating key, and the first 200 property keys in
-- first-seen order, the ones usable in templates.
create table custom_event_types (
  company_id             bigint not null references companies (id) on delete cascade,
  type                   text not null check (length(type) between 1 and 255),
  property_keys          text[] not null default '{}' check (cardinality(property_keys) <= 200),
  created_by_api_key_id  bigint,
  created_at             timestamptz not null,
  primary key (company_id, type)
);

-- Per-person rollups, kept in the event's transaction: "last purchase value", "last time X", "X ever" are one
-- index probe. source_user_id is the profile a row was first written for; a merge moves user_id and leaves it,
-- so the two profiles' rows never collide and readers sum a person's rows per (kind, type).
create table user_event_stats (
  company_id         bigint not null references companies (id) on delete cascade,
  source_user_id     bigint not null,
  user_id            bigint not null references users (id),
  kind               text not null,
  type               text not null,
  count              bigint not null,
  first_occurred_at  timestamptz not null,
  last_occurred_at   timestamptz not null,
  -- The latest event's order total (purchases) and currency.
  last_value         numeric,
  last_currency      text,
  primary key (company_id, source_user_id, kind, type)
) with (fillfactor = 80);
create index user_event_stats_user on user_event_stats (user_id, kind, type);

-- "Viewed (added, bought) product P": per person and product, and per company by product.
create table user_product_stats (
  company_id        bigint not null references companies (id) on delete cascade,
  source_user_id    bigint not null,
  user_id           bigint not null references users (id),
  kind              text not null check (kind in ('product_view', 'add_to_cart', 'purchase')),
  product_id        text not null,
  count             bigint not null,
  last_occurred_at  timestamptz not null,
  primary key (company_id, source_user_id, kind, product_id)
) with (fillfactor = 80);
create index user_product_stats_user on user_product_stats (user_id, kind, product_id);
create index user_product_stats_product on user_product_stats (company_id, product_id, kind) include (user_id);
