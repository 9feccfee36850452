-- Domain events: what happened, written in the same transaction as the change itself (transactional outbox).
-- Webhooks and journeys consume them; `type` uses Attentive's webhook names (sms.subscribed, sms.sent, ...).
create table domain_events (
  id           bigint generated always as identity primary key,
  company_id   bigint not null references companies (id) on delete cascade,
  type         text not null,
  user_id      bigint,
  -- The event's own fields (subscription, message, properties ...), in Attune's words; webhook payloads are
  -- built from it at delivery time.
  payload      jsonb not null default '{}'::jsonb,
  occurred_at  timestamptz not null,
  -- False when the event must not start journeys (e.g. a custom event older than 12 hours).
  triggers     boolean not null default true,
  created_at   timestamptz not null default now()
);
create index domain_events_company_id on domain_events (company_id, id);
create index domain_events_user on domain_events (company_id, user_id, id) where user_id is not null;
