-- pgbench script for bench/run.sh: the database work of one `{ me { fairyname dustBalance } }` as the
-- server does it (schema/src/identity/graphql/mod.rs: users::Entity::find_by_id(id).one(db)): one
-- statement reading every column of the user's row by primary key. The token check before it reads
-- Redis only, so this is the request's whole SQL.
-- Variables (-D): users=N. Client c always reads user b<c % N + 1>@bench.test, like one connection per
-- user in the server run. pgbench 15 cannot keep a per-client text variable, so the statement finds the
-- id by the user's unique email in a sub-select: one more unique-index lookup (uq_users_email) than the
-- server's `WHERE id = $1`, in the same statement, no extra round trip. The server binds the id and
-- LIMIT as parameters; here LIMIT is a literal. pgbench (libpq) takes the row in text format, the
-- server (sqlx) in binary.
\set n :client_id % :users + 1
SELECT id, fairyname, email, phone, is_builder, is_admin, is_active, is_system, dust_balance, first_name, birth_date, age_range, city, country, avatar_url, streak_days, last_daily_bonus_date, last_daily_bonus_at, total_profiling_sessions, last_profiling_session_at, created_at, updated_at FROM users WHERE id = (SELECT id FROM users WHERE email = 'b' || :n || '@bench.test') LIMIT 1;
