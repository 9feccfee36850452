-- Messages: the outbox. One row per recipient, inserted in the transaction of whatever causes it (an API send, a
-- journey step, a keyword reply), so a message exists exactly when its cause commits. The row is itself the
-- dispatch work: the dispatcher (src/features/messages/dispatcher.ts) claims due rows with FOR UPDATE SKIP LOCKED,
-- checks every rule again at that moment and hands the survivors to the carrier, with `id` as the idempotency key
-- (docs/adr/0011-message-dispatch.md). States only move forward (src/features/messages/states.ts).
create table messages (
  id                   bigint generated always as identity primary key,
  company_id           bigint not null references companies (id) on delete cascade,
  -- The person, when known; the column name lets identity merges move messages to the surviving profile.
  user_id              bigint references users (id),
  channel              text not null check (channel in ('TEXT', 'EMAIL')),
  type                 text not null check (type in ('MARKETING', 'TRANSACTIONAL')),
  origin               text not null check (origin in ('api', 'journey', 'campaign', 'keyword_reply', 'opt_in_request',
                         'welcome', 'opt_out_confirmation', 'help')),
  -- Attentive's webhook vocabulary for message.type (ATTENTIVE_API.md §4.2).
  kind                 text not null check (kind in ('ONE_TIME', 'AUTOMATED', 'AUTOMATED_TRANSACTIONAL', 'AUTO_RESPONSE',
                         'CONFIRM_OPT_IN', 'OPT_OUT', 'HELP')),
  -- Opt-in request, confirmation, HELP and opt-out replies: always allowed, never held, capped or prefixed.
  compliance           boolean not null default false,
  -- E.164 for TEXT.
  to_address           text not null check (length(to_address) between 1 and 254),
  -- The sender the carrier used (a short code for the sandbox); set at hand-off.
  from_address         text check (length(from_address) <= 64),
  -- The rendered text as it goes out (company name prefixed and links shortened already).
  body                 text not null check (length(body) <= 10000),
  media_url            text check (length(media_url) <= 2048),
  segments             int not null check (segments >= 1),
  encoding             text not null check (encoding in ('GSM-7', 'UCS-2')),
  state                text not null default 'queued' check (state in ('queued', 'held', 'sending', 'sent', 'delivered',
                         'undelivered', 'failed', 'unknown', 'suppressed')),
  -- The rule that stopped it: no_consent, deleted, country, frequency_cap, media ...
  suppressed_reason    text,
  -- A held message may go from this instant (the opening of the recipient's sending window).
  hold_until           timestamptz,
  -- When a dispatcher should next look at the row: queued → at once, held → hold_until, sending → when the lease
  -- of the dispatcher that is handing it over runs out. Null once nothing is left to dispatch, which takes the row
  -- out of the partial index messages_due: the claim reads only rows with work left.
  due_at               timestamptz,
  -- Claims so far; a claim of a row already `sending` is a recovery and asks the carrier before anything else.
  attempts             int not null default 0,
  locked_by            text,
  provider_id          text,
  -- The caller's `messageId` of POST /v1/messages: its idempotency key, unique per company.
  client_message_id    text check (length(client_message_id) <= 255),
  -- SHA-256 of the request that created the message with client_message_id: a retry must send the same body.
  request_fingerprint  text,
  skip_fatigue         boolean not null default false,
  name                 text check (length(name) <= 255),
  -- When it moved to `sending`: what the frequency cap counts.
  dispatched_at        timestamptz,
  sent_at              timestamptz,
  created_at           timestamptz not null,
  updated_at           timestamptz not null
);
-- The dispatcher's claim: (due_at, id) order, due rows only. Finished rows leave it (due_at null).
create index messages_due on messages (due_at, id) where due_at is not null;
create unique index messages_client_message_id on messages (company_id, client_message_id) where client_message_id is not null;
-- The frequency cap counts a person's recent dispatches; merges move a person's rows by user_id.
create index messages_user on messages (user_id, dispatched_at) where user_id is not null;
-- Messages still waiting for a final receipt, for the 72 h sweep to `unknown`.
create index messages_awaiting_receipt on messages (sent_at) where state = 'sent';

-- Each message's state history after `queued` (that entry is the message's created_at), in order:
-- GET /v1/messages/{id} shows it. Receipts that change nothing (a duplicate, a late one) are not written.
create table message_events (
  -- Orders entries written at the same instant (a receipt that also records `sent`).
  id          bigint generated always as identity,
  message_id  bigint not null references messages (id) on delete cascade,
  company_id  bigint not null,
  state       text not null,
  at          timestamptz not null,
  detail      jsonb
);
create index message_events_message on message_events (message_id, id);

-- What the sandbox carrier (src/carriers/sandbox.ts) was handed: the far side of the protocol, kept by Attune so
-- a newcomer can watch sends with no carrier account. `submissions` counts hand-offs of one message id: a
-- duplicate submission increments it and gets the first provider id back (idempotent by message id), so a test
-- can prove no message was submitted twice.
create table sandbox_submissions (
  message_id      bigint primary key,
  company_id      bigint not null references companies (id) on delete cascade,
  provider_id     text not null,
  to_address      text not null,
  from_address    text not null,
  body            text not null,
  media_url       text,
  segments        int not null,
  submissions     int not null default 1,
  submitted_at    timestamptz not null,
  -- The simulated delivery receipt: due at receipt_due_at with this outcome; receipted_at once produced.
  receipt_due_at  timestamptz not null,
  receipt_status  text not null check (receipt_status in ('delivered', 'undelivered', 'failed')),
  receipted_at    timestamptz
);
create index sandbox_submissions_company on sandbox_submissions (company_id, message_id);
create index sandbox_submissions_receipts on sandbox_submissions (receipt_due_at) where receipted_at is null;
