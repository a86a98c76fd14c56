-- pgbench script for bench/run.sh: the database work of one marketplace page,
-- `{ apps(first: 50) { edges { node { name builder { fairyname } actions { action dustCost } } } } }`,
-- as the server does it, three statements outside a transaction block (each its own transaction):
-- 1. the page (schema/src/apps/listing.rs, MarketFilter::condition for the public marketplace:
--    approved and active; keyset order newest first; first: 50 + 1 to know whether there is a next
--    page), every column of apps;
-- 2. the builders of those 51 apps, every column of users, one IN list of the distinct builder ids
--    (schema/src/loaders.rs, UserLoader, primed by Loaders::prime_apps);
-- 3. the priced actions of the 51 apps, every column of app_actions, by action (AppActionsLoader).
-- The token check reads Redis only, so this is the request's whole SQL. The page is the same for every
-- user, so no client works on a user here.
-- Variables (-D): apps and builders, PostgreSQL array literals ('{id,id,…}') of the ids statement 1
-- returns on the bench database (its 51 app ids; the distinct builder ids among them), which
-- bench/run.sh reads once, before the run, by wrapping the first SQL line of this file. pgbench 15 cannot
-- carry a multi-row result into the next statement (\gset takes one row), and the marketplace does not
-- change during the run, so statements 2 and 3 get the ids the server's would. How they differ from the
-- server's: the server binds each id as its own parameter, `id IN ($1, …, $n)` (PostgreSQL plans that
-- as `id = ANY (ARRAY[$1, …, $n])`), while here one uuid[] parameter is bound, `id = ANY ($1::uuid[])`;
-- the server binds 'approved', true and LIMIT 51 in statement 1 as parameters, here they are literals;
-- pgbench (libpq) takes the rows in text format, the server (sqlx) in binary — for 51 + 33 + 51 rows
-- of uuids and timestamps that is more work for PostgreSQL here than for the server's requests.
SELECT id, builder_id, name, slug, description, category, icon_url, website_url, demo_url, callback_url, status, is_active, admin_notes, created_at, updated_at FROM apps WHERE status = 'approved' AND is_active = true ORDER BY created_at DESC, id DESC LIMIT 51;
SELECT id, fairyname, email, phone, is_builder, is_admin, is_active, is_system, dust_balance, first_name, birth_date, age_range, city, country, avatar_url, streak_days, last_daily_bonus_date, last_daily_bonus_at, total_profiling_sessions, last_profiling_session_at, created_at, updated_at FROM users WHERE id = ANY (CAST(:builders AS uuid[]));
SELECT id, app_id, action, dust_cost, description, created_at, updated_at FROM app_actions WHERE app_id = ANY (CAST(:apps AS uuid[])) ORDER BY action;
