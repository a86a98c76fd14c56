-- Fills a migrated fairydust database (PostgreSQL) with years of data in minutes, with SQL only:
-- 1 000 000 users, 10 000 000 DUST transactions, 1 000 apps (with actions) by 100 builders,
-- 100 000 recipes and 1 000 000 LLM usage rows. The ledger invariant holds: every user's transactions
-- (a 25 DUST welcome grant, then 9 consumes of 1 DUST) sum to their balance of 16.
--
-- Run by bench/scale/run.sh; `psql -v users=N` scales it down (transactions and usage follow).
\set ON_ERROR_STOP on
\if :{?users}
\else
  \set users 1000000
\endif
\timing on

SET synchronous_commit = off;
SET maintenance_work_mem = '512MB';

-- Bulk loading into indexed tables row by row is what makes a 10 M-row seed slow: the big tables lose
-- their secondary indexes and foreign-key triggers while they fill (the rows are consistent by
-- construction) and get them back at the end. Needs a superuser (DISABLE TRIGGER ALL).
CREATE TEMP TABLE scale_indexes AS
SELECT indexname, indexdef FROM pg_indexes
WHERE tablename IN ('dust_transactions', 'llm_usage_logs') AND indexname NOT LIKE '%\_pkey';
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT indexname FROM scale_indexes LOOP
    EXECUTE format('DROP INDEX %I', r.indexname);
  END LOOP;
END $$;
ALTER TABLE dust_transactions DISABLE TRIGGER ALL;
ALTER TABLE llm_usage_logs DISABLE TRIGGER ALL;

-- Users: created over two years; the first 100 are builders.
INSERT INTO users (id, fairyname, email, phone, is_builder, is_admin, is_active, is_system, dust_balance,
                   streak_days, total_profiling_sessions, created_at, updated_at)
SELECT gen_random_uuid(), 'scale-fairy-' || i, 'scale' || i || '@example.com', NULL, i <= 100, false, true,
       false, 16, 0, 0, now() - (interval '730 days' * (1 - i::float / :users)), now()
FROM generate_series(1, :users) AS i;

CREATE TEMP TABLE scale_users AS
SELECT id, created_at, row_number() OVER (ORDER BY fairyname) AS n
FROM users WHERE fairyname LIKE 'scale-fairy-%';
CREATE INDEX ON scale_users (n);

-- Apps: 1 000 approved apps of the 100 builders, each with one action at 1 DUST.
CREATE TEMP TABLE scale_apps AS
SELECT gen_random_uuid() AS id, i AS n, (SELECT id FROM scale_users WHERE n = 1 + (i % 100)) AS builder_id
FROM generate_series(1, 1000) AS i;
CREATE INDEX ON scale_apps (n);
INSERT INTO apps (id, builder_id, name, slug, description, category, status, is_active, created_at, updated_at)
SELECT id, builder_id, 'Scale app ' || n, 'scale-app-' || n, 'An app of the scale test', 'other', 'approved',
       true, now() - interval '400 days' + (n || ' minutes')::interval, now()
FROM scale_apps;
INSERT INTO app_actions (id, app_id, action, dust_cost, created_at, updated_at)
SELECT gen_random_uuid(), id, 'use', 1, now(), now() FROM scale_apps;

-- DUST: per user a grant, then 9 consumes in apps picked by user and position; balance_after runs down.
INSERT INTO dust_transactions (id, user_id, amount, balance_after, type, status, app_id, action, quantity,
                               description, idempotency_key, created_at, updated_at)
SELECT gen_random_uuid(), u.id,
       CASE WHEN k = 1 THEN 25 ELSE -1 END,
       26 - k,
       CASE WHEN k = 1 THEN 'grant' ELSE 'consume' END,
       'completed',
       CASE WHEN k = 1 THEN NULL ELSE a.id END,
       CASE WHEN k = 1 THEN NULL ELSE 'use' END,
       CASE WHEN k = 1 THEN NULL ELSE 1 END,
       CASE WHEN k = 1 THEN 'Welcome bonus' ELSE NULL END,
       CASE WHEN k = 1 THEN NULL ELSE 'scale-' || k END,
       u.created_at + (k || ' hours')::interval,
       u.created_at + (k || ' hours')::interval
FROM scale_users u
CROSS JOIN generate_series(1, 10) AS k
JOIN scale_apps a ON a.n = 1 + ((u.n * 7 + k) % 1000);

-- Recipes: 10 each for 10 000 users, in the seeded recipe app.
INSERT INTO user_recipes (id, user_id, app_id, title, content, metadata, is_favorited, client_updated_at,
                          created_at, updated_at)
SELECT gen_random_uuid(), u.id, (SELECT id FROM apps WHERE slug = 'fairydust-recipe'),
       'Soup ' || k, '# Soup ' || k || E'\n\nWater, salt, patience.', '{}'::jsonb, k = 1,
       u.created_at + (k || ' days')::interval, u.created_at + (k || ' days')::interval,
       u.created_at + (k || ' days')::interval
FROM scale_users u CROSS JOIN generate_series(1, 10) AS k
WHERE u.n <= least(10000, :users);

-- LLM usage: one row per user, spread over the last 90 days and the 1 000 apps.
INSERT INTO llm_usage_logs (id, user_id, app_id, provider, model, prompt_tokens, completion_tokens, total_tokens,
                            cost_usd, latency_ms, was_fallback, action, success, source, created_at, updated_at)
SELECT gen_random_uuid(), u.id, a.id, 'anthropic', 'claude-3-5-haiku-20241022', 400, 150, 550,
       0.000920, 800 + (u.n % 400)::int, u.n % 20 = 0, 'use', true, 'gateway',
       now() - (interval '90 days' * ((u.n % 9973)::float / 9973)),
       now() - (interval '90 days' * ((u.n % 9973)::float / 9973))
FROM scale_users u
JOIN scale_apps a ON a.n = 1 + (u.n % 1000);

ALTER TABLE dust_transactions ENABLE TRIGGER ALL;
ALTER TABLE llm_usage_logs ENABLE TRIGGER ALL;
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT indexdef FROM scale_indexes LOOP
    EXECUTE r.indexdef;
  END LOOP;
END $$;

ANALYZE;
