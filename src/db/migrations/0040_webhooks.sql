-- Webhooks (ATTENTIVE_API.md §2.10, §4): an app's subscription of one URL to event types. The API key that
-- created a webhook stands for Attentive's "app": it lists and changes only its own webhooks.
create table webhooks (
  id                          bigint generated always as identity primary key,
  company_id                  bigint not null references companies (id) on delete cascade,
  api_key_id                  bigint not null references api_keys (id) on delete cascade,
  url                         text not null check (length(url) between 1 and 2048),
  -- Event names as registered, phone.* aliases included (§4.1); the payload's `type` echoes them.
  events                      text[] not null check (cardinality(events) between 1 and 50),
  -- Per-webhook signing secret (docs/adr/0010-webhook-secrets.md). Kept readable: signing needs it.
  secret                      text not null,
  -- After a rotation the old secret also signs until previous_secret_expires_at (overlap period).
  previous_secret             text,
  previous_secret_expires_at  timestamptz,
  disabled_at                 timestamptz,
  disabled_reason             text check (disabled_reason in ('requested', 'gone', 'failing')),
  -- First failed attempt since the last 2xx: the 24 h notice and the 72 h auto-disable count from here.
  failing_since               timestamptz,
  failing_notice_at           timestamptz,
  created_at                  timestamptz not null,
  updated_at                  timestamptz not null
);
create index webhooks_app on webhooks (company_id, api_key_id, id);
-- The fan-out in recordDomainEvents looks up a company's enabled webhooks on every domain event.
create index webhooks_company_enabled on webhooks (company_id) where disabled_at is null;

-- One delivery per (domain event, webhook subscribed to its type), inserted in the event's own transaction
-- (src/features/domain-events/domain-events.queries.ts), so no event commits without its deliveries and the
-- foreign key keeps any delivery from outliving its event.
create table webhook_deliveries (
  id                 bigint generated always as identity primary key,
  company_id         bigint not null references companies (id) on delete cascade,
  webhook_id         bigint not null references webhooks (id) on delete cascade,
  domain_event_id    bigint not null references domain_events (id) on delete cascade,
  -- The name the webhook registered for this event (phone.subscribed for an sms.subscribed event, say).
  event_type         text not null,
  -- Deliveries of one user to one webhook go out in id order while the receiver answers (dispatcher.ts).
  user_id            bigint,
  occurred_at        timestamptz not null,
  -- Sent as webhook-id and x-attune-event-id: the same on every attempt and replay, so receivers deduplicate.
  message_id         uuid not null default gen_random_uuid() unique,
  status             text not null default 'pending' check (status in ('pending', 'succeeded', 'failed', 'cancelled')),
  attempts           int not null default 0 check (attempts >= 0),
  -- '-infinity' means "due at once": the fan-out runs inside other features' transactions and has no clock.
  next_attempt_at    timestamptz not null default '-infinity',
  -- Set while a dispatcher holds the delivery (its lease), cleared when the attempt is recorded.
  locked_until       timestamptz,
  -- Start of the current 72 h retry window: the first attempt, or the first attempt after a replay.
  window_started_at  timestamptz,
  first_attempt_at   timestamptz,
  last_attempt_at    timestamptz,
  last_status_code   int,
  last_latency_ms    int,
  last_error         text,
  delivered_at       timestamptz
);
-- The claim probes each enabled webhook for its oldest due deliveries: a range scan of this index per webhook.
create index webhook_deliveries_due on webhook_deliveries (webhook_id, next_attempt_at, id) where status = 'pending';
-- "Is an older delivery of this user still unsent or in flight?" (per-user order): one probe per candidate.
create index webhook_deliveries_user on webhook_deliveries (webhook_id, user_id, id)
  where status = 'pending' and user_id is not null;
-- Requests in flight per URL, counted at every claim; holds only the few leased rows.
create index webhook_deliveries_leased on webhook_deliveries (webhook_id) where locked_until is not null;
-- The delivery log, newest first, and the replay of a time range.
create index webhook_deliveries_log on webhook_deliveries (webhook_id, id);
-- Deleting a domain event (privacy deletion) cascades here.
create index webhook_deliveries_event on webhook_deliveries (domain_event_id);

-- Every attempt, for the delivery log: what was answered and how long it took.
create table webhook_delivery_attempts (
  id                bigint generated always as identity primary key,
  company_id        bigint not null references companies (id) on delete cascade,
  delivery_id       bigint not null references webhook_deliveries (id) on delete cascade,
  attempt           int not null,
  attempted_at      timestamptz not null,
  status_code       int,
  latency_ms        int not null,
  error             text,
  -- The start of the response body (the dispatcher reads at most 4 KiB and keeps 1 KiB).
  response_excerpt  text
);
create index webhook_delivery_attempts_delivery on webhook_delivery_attempts (delivery_id, attempt);

-- What the app's contact must be told: failing for 24 h, disabled after 72 h, disabled by a 410 (§4.4).
create table webhook_notices (
  id          bigint generated always as identity primary key,
  company_id  bigint not null references companies (id) on delete cascade,
  webhook_id  bigint not null references webhooks (id) on delete cascade,
  kind        text not null check (kind in ('failing', 'disabled_failing', 'disabled_gone')),
  message     text not null,
  created_at  timestamptz not null
);
create index webhook_notices_webhook on webhook_notices (webhook_id, id);

-- Wakes the dispatchers at commit when deliveries were added, instead of waiting for their poll. Statement-level,
-- and only when the statement inserted rows: most domain events have no webhook and must not wake anyone.
create function webhook_deliveries_notify() returns trigger language plpgsql as $$
begin
  if exists (select 1 from inserted) then
    perform pg_notify('attune_webhook_deliveries', '');
  end if;
  return null;
end $$;

create trigger webhook_deliveries_inserted after insert on webhook_deliveries
  referencing new table as inserted for each statement execute function webhook_deliveries_notify();
