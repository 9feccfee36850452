-- Sign-up sources: a brand's forms, checkouts and API flows that collect consent (Attentive's "sign-up units").
-- The id is Attentive's `signUpSourceId`: chosen by the brand (so ids kept from Attentive, such as "132109", keep
-- working) or generated as a numeric string; unique per company.
create table sign_up_sources (
  company_id          bigint not null references companies (id) on delete cascade,
  id                  text not null check (id ~ '^[A-Za-z0-9_-]{1,64}$'),
  name                text not null check (length(name) between 1 and 200),
  channels            text[] not null check (cardinality(channels) between 1 and 2 and channels <@ array['TEXT', 'EMAIL']),
  type                text not null check (type in ('MARKETING', 'TRANSACTIONAL')),
  -- Subscribe by locale + subscriptionType finds the one source with this exact locale and type.
  locale_language     text check (locale_language ~ '^[a-z]{2}$'),
  locale_country      text check (locale_country ~ '^[A-Z]{2}$'),
  -- TEXT sign-ups wait for a "Reply Y" unless the request says singleOptIn (COMPLIANCE.md §1.4).
  double_opt_in       boolean not null,
  -- Liquid templates the messaging feature renders: the "Reply Y" prompt and the welcome (COMPLIANCE.md §1.3).
  opt_in_request_text text not null check (length(opt_in_request_text) between 1 and 1600),
  welcome_text        text not null check (length(welcome_text) between 1 and 1600),
  -- The disclosure version shown now; each consent records the version it was given under.
  disclosure_version  int not null,
  created_at          timestamptz not null,
  updated_at          timestamptz not null,
  primary key (company_id, id)
);
create index sign_up_sources_locale on sign_up_sources (company_id, locale_language, locale_country, type);

-- Every disclosure text a source ever showed, never changed: the consent ledger cites (source, version), so the
-- exact words a person agreed to can be shown years later (COMPLIANCE.md §1.2, §1.9).
create table sign_up_source_disclosures (
  company_id  bigint not null,
  source_id   text not null,
  version     int not null check (version >= 1),
  text        text not null check (length(text) <= 4000),
  created_at  timestamptz not null,
  primary key (company_id, source_id, version),
  foreign key (company_id, source_id) references sign_up_sources (company_id, id)
);
create trigger sign_up_source_disclosures_append_only before update or delete on sign_up_source_disclosures
  for each row execute function attune_append_only();
create trigger sign_up_source_disclosures_no_truncate before truncate on sign_up_source_disclosures
  for each statement execute function attune_append_only();
