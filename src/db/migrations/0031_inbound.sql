-- Inbound texts: every message a person sends to one of the company's numbers, keyword or not. With the outbound
-- `messages` to the same number they form the two-way conversation with that person. `user_id` names the profile
-- found (or created) by the sender's number, so a merge of profiles moves the conversation with them.
create table inbound_messages (
  id                bigint generated always as identity primary key,
  company_id        bigint not null references companies (id) on delete cascade,
  user_id           bigint references users (id),
  -- The sender in E.164, and the company number it was sent to (E.164 or a short code).
  from_address      text not null,
  to_address        text not null,
  body              text not null check (length(body) <= 10000),
  -- The carrier's id of the inbound message: carriers retry their webhooks, so a second delivery of one id is
  -- stored once and acted on once (COMPLIANCE.md §0 #13). Null where the carrier gives none (sandbox).
  provider_id       text check (length(provider_id) <= 200),
  -- What the text asked for (compliance/keywords.ts classifyInbound) and what was done with it (inboundAction).
  intent            text not null check (intent in ('opt_out', 'help', 'opt_in', 'confirm', 'none')),
  action            text not null
                    check (action in ('opt_out', 'help', 'confirm_double_opt_in', 'resubscribe', 'conversation')),
  -- The reply this text caused, if any: the one opt-out confirmation, the HELP text, the welcome after "Y", the
  -- re-subscription confirmation. A repeated STOP that changes nothing finds the earlier confirmation here.
  reply             text check (reply in ('opt_out_confirmation', 'help', 'welcome', 'resubscribe_confirmation')),
  reply_message_id  bigint references messages (id) on delete set null,
  received_at       timestamptz not null
);
create unique index inbound_messages_provider_id on inbound_messages (company_id, provider_id)
  where provider_id is not null;
-- The conversation with one number, newest first; and "was an opt-out confirmation sent to it lately?".
create index inbound_messages_from on inbound_messages (company_id, from_address, id);
create index inbound_messages_user on inbound_messages (company_id, user_id, id) where user_id is not null;

-- "Was this number ever subscribed to this type?": START re-subscribes only what the number once agreed to, so a
-- STOP from a stranger (a suppression) followed by START creates no consent nobody gave.
create index consent_ledger_opt_ins on consent_ledger (company_id, channel, address) where new_state = 'SUBSCRIBED';
