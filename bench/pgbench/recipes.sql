-- pgbench script for bench/run.sh: the database work of one recipes page,
-- `{ me { recipes(first: 20) { edges { node { id title } } } } }`, as the server does it when the page
-- does not ask for `content` (schema/src/content/recipes.rs): one statement reading every column of
-- user_recipes but `content` (an empty string in its place: no content, so no byte budget), filtered as
-- RecipeFilter::condition does with no app, favourites or search filter (the user's live recipes),
-- newest first, first: 20 + 1 to know whether there is a next page. The `me` row is not loaded and the
-- token check reads Redis only, so this is the request's whole SQL.
-- Variables (-D): users=N. Client c always reads the recipes of user b<c % N + 1>@bench.test, like one
-- connection per user in the server run. pgbench 15 cannot keep a per-client text variable, so the
-- statement finds the user id by the user's unique email in a sub-select: one unique-index lookup
-- (uq_users_email) more than the server's `user_id = $1`, in the same statement, no extra round trip.
-- The server binds the user id and LIMIT as parameters; here LIMIT is a literal. pgbench (libpq) takes
-- the rows in text format, the server (sqlx) in binary.
\set n :client_id % :users + 1
SELECT id, user_id, app_id, client_id, title, category, metadata, is_favorited, deleted_at, client_updated_at, created_at, updated_at, '' AS content FROM user_recipes WHERE user_id = (SELECT id FROM users WHERE email = 'b' || :n || '@bench.test') AND deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 21;
