-- Tracked short links (ATTUNE_PUBLIC_URL/s/<code>) made when a send asks for them (useShortLinks,
-- createShortLink): one per link occurrence in one message, so a click is attributed to the message and person.
create table short_links (
  code        text primary key check (length(code) between 6 and 32),
  company_id  bigint not null references companies (id) on delete cascade,
  message_id  bigint not null references messages (id) on delete cascade,
  -- The person the message went to; the column name lets identity merges move links to the survivor.
  user_id     bigint references users (id),
  url         text not null check (length(url) between 1 and 2048),
  created_at  timestamptz not null
);
create index short_links_message on short_links (message_id);
create index short_links_user on short_links (user_id) where user_id is not null;

-- Every click of a short link (GET /s/<code>), also announced as an sms.message_link_click domain event.
create table link_clicks (
  id          bigint generated always as identity primary key,
  company_id  bigint not null references companies (id) on delete cascade,
  code        text not null references short_links (code) on delete cascade,
  message_id  bigint not null references messages (id) on delete cascade,
  user_id     bigint references users (id),
  clicked_at  timestamptz not null,
  ip          inet,
  user_agent  text check (length(user_agent) <= 1000)
);
create index link_clicks_message on link_clicks (message_id, id);
create index link_clicks_user on link_clicks (user_id) where user_id is not null;
create index link_clicks_code on link_clicks (code);
