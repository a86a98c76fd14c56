-- pgbench script for bench/run.sh: the database work of one consumeDust as the server does it
-- (schema/src/ledger/posting.rs): in one transaction, the conditional balance update with RETURNING,
-- then the ledger row carrying the new balance and a unique idempotency key.
-- Variables (-D): users=N, app=<story app id>, cost=<DUST of story_short>. Client c always works on
-- user b<c % N + 1>@bench.test, like one connection per user in the server run; users=1 puts every
-- client on the same (hot) balance row. pgbench 15 cannot keep a per-client text variable, so the
-- UPDATE finds the user by its unique email inside the same statement (one index lookup, no extra
-- round trip) and returns the id for the INSERT.
\set n :client_id % :users + 1
BEGIN;
UPDATE users SET dust_balance = dust_balance - :cost, updated_at = now() WHERE id = (SELECT id FROM users WHERE email = 'b' || :n || '@bench.test') AND dust_balance >= :cost RETURNING id AS uid, dust_balance AS bal \gset
INSERT INTO dust_transactions (id, user_id, amount, balance_after, type, status, app_id, action, quantity, description, idempotency_key, request_hash, created_at, updated_at) VALUES (gen_random_uuid(), :uid, -1 * :cost, :bal, 'consume', 'completed', :app, 'story_short', 1, 'story_short × 1', 'pgbench-' || gen_random_uuid(), repeat('0', 64), now(), now());
END;
