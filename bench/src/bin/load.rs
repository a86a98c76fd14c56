//! The load generator of bench/run.sh, and the set-up it needs, all through the public API.
//!
//! Set-up:
//! - `bench-load setup`: signs users in exactly as an app does (`requestOtp`, the code read from the
//!   server's development log line `otp identifier=… code=…`, `verifyOtp`), signs the admin in the same
//!   way and gives every user DUST with `grantDustBulk`; writes ids and tokens to a file.
//! - `bench-load seed`: stores recipes for every user (`saveRecipe`) and publishes approved apps
//!   (`becomeBuilder`, `createApp`, `setAppAction`, the admin's `approveApp`), then checks that the
//!   recipes page and the marketplace show them.
//!
//! Load (one shared connection loop, [`connection_loop`]; each subcommand only says what one unit of
//! work is):
//! - `bench-load query`: any GraphQL document, as is or with a unique string per request in one
//!   variable (an idempotency key).
//! - `bench-load consume`: `query` with the `consumeDust` document and a unique idempotency key.
//! - `bench-load sign-in`: `requestOtp` + `verifyOtp` pairs for fresh addresses, the code read from the
//!   server's log as it is written.
//!
//! One tokio task per connection, each on its own HTTP/1.1 keep-alive connection and, where the work
//! is signed in, with its own user's bearer token (connection *i* uses user *i* mod N). After a warm-up,
//! every unit that completes inside the measured window is recorded in an HDR histogram
//! (microseconds). A unit counts as a success only when every answer in it is HTTP 200 without
//! `errors`.
//!
//! wrk cannot pin a token to a connection (its Lua `request()` runs per thread, not per connection),
//! which is why these benchmarks have their own generator.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use bytes::Bytes;
use clap::{Parser, Subcommand};
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONTENT_TYPE, HOST};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

#[derive(Parser)]
#[command(
    name = "bench-load",
    about = "Set-up and GraphQL load for bench/run.sh"
)]
struct Cli {
    /// Worker threads of the generator's tokio runtime.
    #[arg(long, global = true, default_value_t = 2)]
    threads: usize,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign users and the admin in, grant DUST, write ids and tokens as JSON.
    Setup(SetupArgs),
    /// Store recipes for every user and publish approved apps, through the API.
    Seed(SeedArgs),
    /// Drive consumeDust and print the results (also as JSON with --json-out).
    Consume(ConsumeArgs),
    /// Drive one GraphQL document, each connection with its own user's token (or none).
    Query(QueryArgs),
    /// Drive requestOtp + verifyOtp pairs, each for a new address from its own client IP.
    SignIn(SignInArgs),
    /// Open WebSockets subscribed to dustBalanceChanged, drive consumeDust for their users and
    /// measure from each debit's answer to its event at every subscriber.
    Subscriptions(SubscriptionsArgs),
}

#[derive(clap::Args)]
struct SetupArgs {
    /// The server, e.g. 127.0.0.1:8000.
    #[arg(long)]
    addr: SocketAddr,
    /// The server's log file, where the development sender writes one-time codes.
    #[arg(long)]
    log: PathBuf,
    #[arg(long, default_value_t = 32)]
    users: usize,
    /// Users are `<prefix><n>@bench.test`, n = 1..=users.
    #[arg(long, default_value = "b")]
    email_prefix: String,
    /// Must already be an admin (`server create-admin --email …`).
    #[arg(long, default_value = "admin@bench.test")]
    admin_email: String,
    /// Use the admin of this file (written by an earlier `setup`) instead of signing the admin in.
    #[arg(long)]
    admin_from: Option<PathBuf>,
    /// DUST per grantDustBulk call (at most 100 000).
    #[arg(long, default_value_t = 100_000)]
    grant: i64,
    /// How many grantDustBulk calls.
    #[arg(long, default_value_t = 1)]
    grants: usize,
    #[arg(long)]
    out: PathBuf,
}

#[derive(clap::Args)]
struct SeedArgs {
    #[arg(long)]
    addr: SocketAddr,
    /// The file `setup` wrote (users and the admin).
    #[arg(long)]
    users: PathBuf,
    /// Recipes stored for every user.
    #[arg(long, default_value_t = 50)]
    recipes: usize,
    /// The app the recipes belong to (id or slug).
    #[arg(long, default_value = "fairydust-recipe")]
    recipe_app: String,
    /// Bytes of Markdown content per recipe.
    #[arg(long, default_value_t = 1500)]
    recipe_bytes: usize,
    /// Apps published (`bench-app-<i>`, action `run` at 3 DUST; `bench-app-0` also gets a model:
    /// Anthropic's claude-3-5-haiku-20241022); app *i* belongs to user *i* mod N, who becomes a builder.
    #[arg(long, default_value_t = 50)]
    apps: usize,
}

/// What every load subcommand shares.
#[derive(clap::Args)]
struct LoadArgs {
    #[arg(long)]
    addr: SocketAddr,
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Measured seconds.
    #[arg(long, default_value_t = 15)]
    duration: u64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// A name for this run in the output.
    #[arg(long)]
    label: Option<String>,
    #[arg(long)]
    json_out: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ConsumeArgs {
    #[command(flatten)]
    load: LoadArgs,
    /// The file `setup` wrote.
    #[arg(long)]
    users: PathBuf,
    /// Every connection uses the first user (one hot balance row) instead of one user per connection.
    #[arg(long)]
    hot: bool,
    /// The app's id or slug, as sent in `appId`.
    #[arg(long, default_value = "fairydust-story")]
    app: String,
    #[arg(long, default_value = "story_short")]
    action: String,
}

#[derive(clap::Args)]
struct QueryArgs {
    #[command(flatten)]
    load: LoadArgs,
    /// The file `setup` wrote; connection *i* sends user *i* mod N's token. Without it, no token.
    #[arg(long)]
    users: Option<PathBuf>,
    /// The GraphQL document.
    #[arg(long)]
    document: String,
    /// Its variables, as a JSON object.
    #[arg(long, default_value = "{}")]
    variables: String,
    /// A variable that gets a unique string per request (`<run>-c<connection>-<n>`), e.g. an
    /// idempotency key.
    #[arg(long)]
    unique: Option<String>,
}

#[derive(clap::Args)]
struct SignInArgs {
    #[command(flatten)]
    load: LoadArgs,
    /// The server's log file, where the development sender writes one-time codes.
    #[arg(long)]
    log: PathBuf,
}

#[derive(clap::Args)]
struct SubscriptionsArgs {
    /// `--connections` is the number of consumeDust connections; each owns the users *u* with
    /// *u* mod connections = its index and debits them in turn, so a user's debits never overlap.
    #[command(flatten)]
    load: LoadArgs,
    /// The file `setup` wrote: the subscribers, each with DUST for every debit of the run.
    #[arg(long)]
    users: PathBuf,
    /// WebSockets to open, socket *i* for user *i* mod N (keep it ≤ N × WS_MAX_SOCKETS_PER_USER).
    #[arg(long, default_value_t = 1000)]
    sockets: usize,
    /// Sockets being opened at once.
    #[arg(long, default_value_t = 50)]
    open_at_once: usize,
    /// The server's pid: its VmRSS is read once every socket is subscribed and sampled (every 0.2 s)
    /// during the debits.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Seconds to wait after the last debit for its events.
    #[arg(long, default_value_t = 2)]
    grace: u64,
    /// The app's id or slug, as sent in `appId`.
    #[arg(long, default_value = "fairydust-story")]
    app: String,
    #[arg(long, default_value = "story_short")]
    action: String,
}

#[derive(Serialize, Deserialize)]
struct BenchUser {
    email: String,
    id: String,
    token: String,
}

#[derive(Serialize, Deserialize)]
struct UsersFile {
    users: Vec<BenchUser>,
    /// DUST each user was granted on top of the sign-up bonus.
    granted_each: i64,
    /// The signed-in admin (files written before `seed` existed have none).
    #[serde(default)]
    admin: Option<BenchUser>,
}

impl UsersFile {
    fn read(path: &PathBuf) -> anyhow::Result<Self> {
        let file: UsersFile = serde_json::from_slice(
            &std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
        )?;
        ensure!(!file.users.is_empty(), "no users in {}", path.display());
        Ok(file)
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cli.threads.max(1))
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match cli.command {
            Command::Setup(args) => setup(args).await,
            Command::Seed(args) => seed(args).await,
            Command::Consume(args) => consume(args).await,
            Command::Query(args) => query(args).await,
            Command::SignIn(args) => sign_in_load(args).await,
            Command::Subscriptions(args) => subscriptions(args).await,
        }
    })
}

// ---------------------------------------------------------------------------------------------------
// HTTP: one keep-alive connection, raw hyper, so the generator costs little CPU on a shared machine.

struct Connection {
    addr: SocketAddr,
    sender: SendRequest<Full<Bytes>>,
}

struct Answer {
    /// 0: no HTTP answer to show (the unit failed before or between requests; `body` says why).
    status: u16,
    body: Bytes,
}

impl Answer {
    /// STYLE.md: a success is HTTP 200 without GraphQL `errors`.
    fn ok(&self) -> bool {
        self.status == 200 && !contains(&self.body, b"\"errors\"")
    }

    fn json(&self) -> anyhow::Result<Value> {
        serde_json::from_slice(&self.body).context("the answer is not JSON")
    }

    /// A failed unit of work that has no HTTP answer of its own.
    fn failure(reason: String) -> Self {
        Self {
            status: 0,
            body: Bytes::from(reason),
        }
    }

    fn describe(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text: String = text.chars().take(300).collect();
        match self.status {
            0 => format!("no answer: {text}"),
            status => format!("HTTP {status}: {text}"),
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

impl Connection {
    async fn open(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Self { addr, sender })
    }

    async fn post(&mut self, body: Bytes, headers: &[(&str, &str)]) -> anyhow::Result<Answer> {
        let mut request = Request::post("/graphql")
            .header(HOST, self.addr.to_string())
            .header(CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(body))?;
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        Ok(Answer { status, body })
    }
}

fn graphql_body(query: &str, variables: &Value) -> Bytes {
    serde_json::to_vec(&json!({ "query": query, "variables": variables }))
        .expect("plain JSON")
        .into()
}

/// One GraphQL call during set-up on an open connection; fails on any error.
async fn call(
    connection: &mut Connection,
    query: &str,
    variables: Value,
    headers: &[(&str, &str)],
) -> anyhow::Result<Value> {
    let answer = connection
        .post(graphql_body(query, &variables), headers)
        .await?;
    let text = String::from_utf8_lossy(&answer.body).into_owned();
    ensure!(answer.ok(), "HTTP {}: {text}", answer.status);
    let mut value = answer.json()?;
    Ok(value["data"].take())
}

/// One GraphQL call during set-up on a connection of its own; fails on any error.
async fn graphql(
    addr: SocketAddr,
    query: &str,
    variables: Value,
    headers: &[(&str, &str)],
) -> anyhow::Result<Value> {
    let mut connection = Connection::open(addr).await?;
    call(&mut connection, query, variables, headers).await
}

// ---------------------------------------------------------------------------------------------------
// setup

const REQUEST_OTP: &str =
    "mutation R($email: String!) { requestOtp(input: {email: $email}) { sentTo } }";
const VERIFY_OTP: &str = "mutation V($email: String!, $code: String!) { verifyOtp(input: {email: $email, code: $code}) { accessToken user { id } } }";
const GRANT: &str = "mutation G($ids: [ID!]!, $amount: Int!) { grantDustBulk(userIds: $ids, amount: $amount, reason: \"bench\") { userId granted error } }";

/// A distinct client address per sign-in, so the per-IP code throttle (20 an hour) is not hit; the
/// server must run with TRUST_FORWARDED_FOR=true.
fn forwarded_for(n: usize) -> String {
    format!("10.77.{}.{}", n / 250, n % 250 + 1)
}

async fn sign_in(
    addr: SocketAddr,
    codes: &CodeBook,
    email: &str,
    n: usize,
) -> anyhow::Result<BenchUser> {
    let xff = forwarded_for(n);
    let code = codes.expect(email);
    let requested = graphql(
        addr,
        REQUEST_OTP,
        json!({ "email": email }),
        &[("x-forwarded-for", &xff)],
    )
    .await
    .with_context(|| format!("requestOtp for {email}"));
    if requested.is_err() {
        codes.forget(email);
    }
    requested?;
    let code = match tokio::time::timeout(Duration::from_secs(15), code).await {
        Ok(Ok(code)) => code,
        _ => {
            codes.forget(email);
            bail!("no code for {email} in the server's log after 15 s");
        }
    };
    let data = graphql(
        addr,
        VERIFY_OTP,
        json!({ "email": email, "code": code }),
        &[("x-forwarded-for", &xff)],
    )
    .await
    .with_context(|| format!("verifyOtp for {email}"))?;
    let payload = &data["verifyOtp"];
    Ok(BenchUser {
        email: email.to_owned(),
        id: payload["user"]["id"]
            .as_str()
            .context("verifyOtp without user id")?
            .to_owned(),
        token: payload["accessToken"]
            .as_str()
            .context("verifyOtp without accessToken")?
            .to_owned(),
    })
}

async fn setup(args: SetupArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let emails: Vec<String> = (1..=args.users)
        .map(|n| format!("{}{n}@bench.test", args.email_prefix))
        .collect();
    // Sign-ins run concurrently, at most SIGN_INS_AT_ONCE at a time (a thousand at once would queue
    // for the server's database pool past its acquire timeout); each waits for its own code, which
    // one reader takes from the log as it is written.
    const SIGN_INS_AT_ONCE: usize = 32;
    let codes = CodeBook::follow(args.log.clone())?;
    let permits = Arc::new(tokio::sync::Semaphore::new(SIGN_INS_AT_ONCE));
    let mut tasks = Vec::new();
    for (index, email) in emails.iter().enumerate() {
        let (email, codes, addr, permits) =
            (email.clone(), codes.clone(), args.addr, permits.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await?;
            sign_in(addr, &codes, &email, index + 1).await
        }));
    }
    let mut users = Vec::new();
    for task in tasks {
        users.push(task.await??);
    }
    let admin = match &args.admin_from {
        // The admin signed in by an earlier `setup` (its code throttle allows one code a minute).
        Some(path) => UsersFile::read(path)?
            .admin
            .with_context(|| format!("no admin in {}", path.display()))?,
        None => sign_in(args.addr, &codes, &args.admin_email, 0).await?,
    };
    let bearer = format!("Bearer {}", admin.token);
    let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    for _ in 0..args.grants {
        let data = graphql(
            args.addr,
            GRANT,
            json!({ "ids": ids, "amount": args.grant }),
            &[("authorization", &bearer)],
        )
        .await
        .context("grantDustBulk")?;
        let results = data["grantDustBulk"]
            .as_array()
            .context("grantDustBulk answer")?;
        let granted = results.iter().filter(|r| r["granted"] == true).count();
        ensure!(
            granted == users.len(),
            "grantDustBulk granted {granted} of {}: {data}",
            users.len()
        );
    }
    let file = UsersFile {
        users,
        granted_each: args.grant * args.grants as i64,
        admin: Some(admin),
    };
    std::fs::write(&args.out, serde_json::to_vec_pretty(&file)?)?;
    eprintln!(
        "signed in {} users and {}, granted each {} DUST, in {:.1} s",
        file.users.len(),
        args.admin_email,
        file.granted_each,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// seed: recipes and marketplace apps, through the API

const SAVE_RECIPE: &str =
    "mutation S($input: SaveRecipeInput!) { saveRecipe(input: $input) { id } }";
const BECOME_BUILDER: &str = "mutation { becomeBuilder { isBuilder } }";
const CREATE_APP: &str =
    "mutation C($input: CreateAppInput!) { createApp(input: $input) { id status } }";
const SET_ACTION: &str = "mutation A($id: ID!) { setAppAction(appId: $id, action: \"run\", dustCost: 3, description: \"One run\") { dustCost } }";
const APPROVE_APP: &str = "mutation P($id: ID!) { approveApp(id: $id) { status } }";
/// Bench app 0's model, for the `generateText` benchmark (answered by `bench-mock-llm`).
const SET_MODEL: &str = "mutation M($id: ID!) { setAppModelConfig(appId: $id, input: {provider: ANTHROPIC, model: \"claude-3-5-haiku-20241022\", parameters: {temperature: 0.7, maxTokens: 150, topP: 0.9}, costLimits: {perRequestMax: \"0.5\", dailyMax: \"50\", monthlyMax: \"500\"}}) { model } }";
/// The recipes page of benchmark 3 (also run once by `seed` to check what it stored).
const RECIPES_PAGE: &str = "{ me { recipes(first: 20) { edges { node { id title } } } } }";
/// The marketplace page of benchmark 3.
const MARKETPLACE: &str = "{ apps(first: 50) { edges { node { name builder { fairyname } actions { action dustCost } } } } }";

/// Markdown of about `bytes` bytes.
fn recipe_content(n: usize, bytes: usize) -> String {
    let mut text = format!("# Bench recipe {n}\n\n");
    let line = "- 200 g flour, 2 eggs, a pinch of salt; whisk, rest ten minutes, bake at 180 °C.\n";
    while text.len() < bytes {
        text.push_str(line);
    }
    text
}

async fn seed(args: SeedArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let file = UsersFile::read(&args.users)?;
    let admin = file
        .admin
        .as_ref()
        .context("the users file has no admin: run `bench-load setup` again")?;
    let users: Vec<(String, String)> = file
        .users
        .iter()
        .map(|u| (u.email.clone(), format!("Bearer {}", u.token)))
        .collect();

    // Apps: builder i mod N, one connection per builder; created pending, priced, then approved.
    let builders = users.len().min(args.apps);
    let mut tasks = Vec::new();
    for (b, (_, bearer)) in users.iter().take(builders).enumerate() {
        let (addr, bearer) = (args.addr, bearer.clone());
        let apps: Vec<usize> = (0..args.apps).filter(|i| i % builders == b).collect();
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(addr).await?;
            let headers = [("authorization", bearer.as_str())];
            call(&mut connection, BECOME_BUILDER, json!({}), &headers)
                .await
                .context("becomeBuilder")?;
            let mut created = Vec::new();
            for i in apps {
                let input = json!({ "input": {
                    "name": format!("Bench App {i}"),
                    "slug": format!("bench-app-{i}"),
                    "description": "An app published by bench/run.sh",
                    "category": "UTILITIES",
                }});
                let data = call(&mut connection, CREATE_APP, input, &headers)
                    .await
                    .context("createApp")?;
                let id = data["createApp"]["id"]
                    .as_str()
                    .context("createApp without id")?
                    .to_owned();
                let status = data["createApp"]["status"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned();
                call(&mut connection, SET_ACTION, json!({ "id": id }), &headers)
                    .await
                    .context("setAppAction")?;
                if i == 0 {
                    call(&mut connection, SET_MODEL, json!({ "id": id }), &headers)
                        .await
                        .context("setAppModelConfig")?;
                }
                created.push((id, status));
            }
            anyhow::Ok(created)
        }));
    }
    let mut created = Vec::new();
    for task in tasks {
        created.extend(task.await??);
    }
    let admin_bearer = format!("Bearer {}", admin.token);
    let mut connection = Connection::open(args.addr).await?;
    let mut approved = 0;
    for (id, status) in &created {
        if status == "PENDING" {
            call(
                &mut connection,
                APPROVE_APP,
                json!({ "id": id }),
                &[("authorization", &admin_bearer)],
            )
            .await
            .context("approveApp")?;
            approved += 1;
        }
    }

    // Recipes: one connection per user, saved one after another.
    let mut tasks = Vec::new();
    for (email, bearer) in users.clone() {
        let (addr, app, count, bytes) = (
            args.addr,
            args.recipe_app.clone(),
            args.recipes,
            args.recipe_bytes,
        );
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(addr).await?;
            let headers = [("authorization", bearer.as_str())];
            for n in 1..=count {
                let input = json!({ "input": {
                    "appId": app,
                    "title": format!("Bench recipe {n}"),
                    "content": recipe_content(n, bytes),
                    "category": "dinner",
                }});
                call(&mut connection, SAVE_RECIPE, input, &headers)
                    .await
                    .with_context(|| format!("saveRecipe {n} for {email}"))?;
            }
            let page = call(&mut connection, RECIPES_PAGE, json!({}), &headers).await?;
            let edges = page["me"]["recipes"]["edges"]
                .as_array()
                .map_or(0, Vec::len);
            ensure!(
                edges == count.min(20),
                "the recipes page of {email} has {edges} recipes"
            );
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }

    // The marketplace shows the new apps, each with its builder and its action.
    let page = graphql(args.addr, MARKETPLACE, json!({}), &[]).await?;
    let nodes = page["apps"]["edges"].as_array().context("apps answer")?;
    let bench_apps = nodes
        .iter()
        .filter(|e| {
            let node = &e["node"];
            node["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("Bench App "))
                && node["builder"]["fairyname"].is_string()
                && node["actions"].as_array().is_some_and(|a| !a.is_empty())
        })
        .count();
    ensure!(
        bench_apps == args.apps.min(50),
        "the marketplace's first page shows {bench_apps} of the {} bench apps: {page}",
        args.apps
    );
    eprintln!(
        "published {} apps by {builders} builders ({approved} approved by the admin, {} approved at \
         creation), stored {} recipes for each of {} users, in {:.1} s",
        created.len(),
        created.len() - approved,
        args.recipes,
        users.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// The load: one loop for every kind of work.

/// One kind of work: what a connection does once, again and again.
trait Workload: Send + Sync + 'static {
    /// Learns the measured window before the first unit starts.
    fn begin(&self, _window: Window) {}

    /// Does one unit of work for connection `index` (its `n`-th) on `http`. `Err` is a transport error
    /// (the connection is then reopened); a failed unit is an `Ok` answer that is not [`Answer::ok`].
    fn once(
        &self,
        http: &mut Connection,
        index: usize,
        n: u64,
    ) -> impl Future<Output = anyhow::Result<Answer>> + Send;
}

#[derive(Default)]
struct Tally {
    /// Latency of every unit completed in the measured window (µs), success or not.
    latency: Option<Histogram<u64>>,
    ok: u64,
    failed: u64,
    /// Transport errors (connection reset, refused); the connection is reopened.
    io_errors: u64,
    /// A few failure bodies, by text, to show what went wrong.
    samples: BTreeMap<String, u64>,
}

fn histogram() -> Histogram<u64> {
    // 1 µs to 60 s, 3 significant digits.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds")
}

#[derive(Serialize)]
struct LoadReport {
    label: String,
    connections: usize,
    users: usize,
    duration_s: f64,
    warmup_s: u64,
    requests: u64,
    ok: u64,
    failed: u64,
    io_errors: u64,
    rps: f64,
    ok_rps: f64,
    latency_ms: BTreeMap<String, f64>,
    failure_samples: BTreeMap<String, u64>,
    generator_cpu_s: Option<f64>,
}

/// When a connection measures.
#[derive(Clone, Copy)]
struct Window {
    addr: SocketAddr,
    measure_from: Instant,
    until: Instant,
}

async fn connection_loop<W: Workload>(work: Arc<W>, window: Window, index: usize) -> Tally {
    let mut tally = Tally {
        latency: Some(histogram()),
        ..Tally::default()
    };
    let mut connection: Option<Connection> = None;
    let mut counter: u64 = 0;
    while Instant::now() < window.until {
        if connection.is_none() {
            match Connection::open(window.addr).await {
                Ok(opened) => connection = Some(opened),
                Err(_) => {
                    tally.io_errors += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let http = connection.as_mut().expect("opened above");
        counter += 1;
        let sent = Instant::now();
        let result = work.once(http, index, counter).await;
        let done = Instant::now();
        let measured = sent >= window.measure_from && done <= window.until;
        match result {
            Ok(answer) => {
                if measured {
                    let micros = (done - sent).as_micros().max(1) as u64;
                    let histogram = tally.latency.as_mut().expect("set above");
                    histogram.saturating_record(micros);
                    if answer.ok() {
                        tally.ok += 1;
                    } else {
                        tally.failed += 1;
                        if tally.samples.len() < 5 {
                            *tally.samples.entry(answer.describe()).or_default() += 1;
                        }
                    }
                }
            }
            Err(error) => {
                connection = None;
                if measured {
                    tally.io_errors += 1;
                    *tally
                        .samples
                        .entry(format!("transport: {error}"))
                        .or_default() += 1;
                }
            }
        }
    }
    tally
}

/// CPU seconds (user + system) this process has used, from /proc/self/stat.
fn own_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of proc(5) (utime, stime) are 11 and 12 after the name.
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Runs `work` on `args.connections` connections and prints the results.
async fn drive<W: Workload>(
    args: LoadArgs,
    default_label: &str,
    users: usize,
    work: W,
) -> anyhow::Result<()> {
    let cpu_before = own_cpu_seconds();
    let measure_from = Instant::now() + Duration::from_secs(args.warmup);
    let window = Window {
        addr: args.addr,
        measure_from,
        until: measure_from + Duration::from_secs(args.duration),
    };
    work.begin(window);
    let work = Arc::new(work);
    let tasks: Vec<_> = (0..args.connections)
        .map(|index| tokio::spawn(connection_loop(work.clone(), window, index)))
        .collect();
    let mut latency = histogram();
    let mut total = Tally::default();
    for task in tasks {
        let tally = task.await?;
        latency.add(tally.latency.as_ref().expect("set"))?;
        total.ok += tally.ok;
        total.failed += tally.failed;
        total.io_errors += tally.io_errors;
        for (text, count) in tally.samples {
            *total.samples.entry(text).or_default() += count;
        }
    }
    let generator_cpu_s = match (cpu_before, own_cpu_seconds()) {
        (Some(before), Some(after)) => Some(after - before),
        _ => None,
    };
    let seconds = args.duration as f64;
    let requests = total.ok + total.failed + total.io_errors;
    let ms = |q: f64| latency.value_at_quantile(q) as f64 / 1000.0;
    let mut latency_ms = BTreeMap::new();
    latency_ms.insert("p50".to_owned(), ms(0.50));
    latency_ms.insert("p90".to_owned(), ms(0.90));
    latency_ms.insert("p99".to_owned(), ms(0.99));
    latency_ms.insert("p99.9".to_owned(), ms(0.999));
    latency_ms.insert("max".to_owned(), latency.max() as f64 / 1000.0);
    latency_ms.insert("mean".to_owned(), latency.mean() / 1000.0);
    let report = LoadReport {
        label: args.label.unwrap_or_else(|| default_label.to_owned()),
        connections: args.connections,
        users,
        duration_s: seconds,
        warmup_s: args.warmup,
        requests,
        ok: total.ok,
        failed: total.failed,
        io_errors: total.io_errors,
        rps: requests as f64 / seconds,
        ok_rps: total.ok as f64 / seconds,
        latency_ms,
        failure_samples: total.samples,
        generator_cpu_s,
    };
    println!(
        "{}: {} connections, {} user(s), {:.0} s: {} requests, {} ok, {} failed, {} transport errors; \
         {:.1} ok req/s; latency ms p50 {:.2} p90 {:.2} p99 {:.2} p99.9 {:.2} max {:.2}",
        report.label,
        report.connections,
        report.users,
        seconds,
        report.requests,
        report.ok,
        report.failed,
        report.io_errors,
        report.ok_rps,
        report.latency_ms["p50"],
        report.latency_ms["p90"],
        report.latency_ms["p99"],
        report.latency_ms["p99.9"],
        report.latency_ms["max"],
    );
    for (text, count) in &report.failure_samples {
        println!("  failure ×{count}: {text}");
    }
    // One machine-readable line for bench/run.sh, in the format of bench/wrk/graphql.lua.
    println!(
        "BENCH_RESULT requests={} ok={} failed={} io_errors={} seconds={seconds:.3} rps={:.1} ok_rps={:.1} \
         p50_ms={:.3} p90_ms={:.3} p99_ms={:.3} p999_ms={:.3} max_ms={:.3} mean_ms={:.3}",
        report.requests,
        report.ok,
        report.failed,
        report.io_errors,
        report.rps,
        report.ok_rps,
        report.latency_ms["p50"],
        report.latency_ms["p90"],
        report.latency_ms["p99"],
        report.latency_ms["p99.9"],
        report.latency_ms["max"],
        report.latency_ms["mean"],
    );
    if let Some(path) = &args.json_out {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)?;
    }
    Ok(())
}

/// `Bearer <token>` of user *i* mod N for connection *i* (of one user for every connection when `hot`).
fn bearers(file: &UsersFile, connections: usize, hot: bool) -> (Vec<String>, usize) {
    let bearers: Vec<String> = (0..connections)
        .map(|index| {
            let user = if hot {
                &file.users[0]
            } else {
                &file.users[index % file.users.len()]
            };
            format!("Bearer {}", user.token)
        })
        .collect();
    let users = if hot {
        1
    } else {
        file.users.len().min(connections)
    };
    (bearers, users)
}

// ---------------------------------------------------------------------------------------------------
// consume

/// `mutation C($k: String!) { consumeDust(input: {appId: "<app>", action: "<action>", idempotencyKey: $k}) { balanceAfter } }`
fn consume_query(app: &str, action: &str) -> String {
    format!(
        "mutation C($k: String!) {{ consumeDust(input: {{appId: {}, action: {}, idempotencyKey: $k}}) {{ balanceAfter }} }}",
        Value::from(app),
        Value::from(action)
    )
}

fn run_id() -> anyhow::Result<String> {
    Ok(format!(
        "bench{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis()
    ))
}

async fn consume(args: ConsumeArgs) -> anyhow::Result<()> {
    let file = UsersFile::read(&args.users)?;
    let (bearers, users) = bearers(&file, args.load.connections, args.hot);
    let work = Document::new(
        consume_query(&args.app, &args.action),
        json!({}),
        Some("k".to_owned()),
        bearers,
    )?;
    drive(args.load, "consumeDust", users, work).await
}

// ---------------------------------------------------------------------------------------------------
// query: any document

/// One GraphQL document, sent as is, or with a unique string per request in one variable (an
/// idempotency key: `<run>-c<connection>-<n>`). `consume` is this with the consumeDust document.
struct Document {
    query: String,
    variables: Value,
    /// The variable that gets a unique string per request.
    unique: Option<String>,
    /// The body when nothing changes between requests.
    fixed: Bytes,
    /// Makes the unique strings unique across runs.
    run: String,
    /// Per connection; empty: no token.
    bearers: Vec<String>,
}

impl Document {
    fn new(
        query: String,
        variables: Value,
        unique: Option<String>,
        bearers: Vec<String>,
    ) -> anyhow::Result<Self> {
        ensure!(variables.is_object(), "the variables must be a JSON object");
        Ok(Self {
            fixed: graphql_body(&query, &variables),
            query,
            variables,
            unique,
            run: run_id()?,
            bearers,
        })
    }

    fn body(&self, index: usize, n: u64) -> Bytes {
        match &self.unique {
            None => self.fixed.clone(),
            Some(name) => {
                let mut variables = self.variables.clone();
                variables[name.as_str()] = Value::from(format!("{}-c{index}-{n}", self.run));
                graphql_body(&self.query, &variables)
            }
        }
    }
}

impl Workload for Document {
    async fn once(&self, http: &mut Connection, index: usize, n: u64) -> anyhow::Result<Answer> {
        let body = self.body(index, n);
        match self.bearers.get(index) {
            Some(bearer) => http.post(body, &[("authorization", bearer.as_str())]).await,
            None => http.post(body, &[]).await,
        }
    }
}

async fn query(args: QueryArgs) -> anyhow::Result<()> {
    let variables: Value =
        serde_json::from_str(&args.variables).context("--variables is not JSON")?;
    let (bearers, users) = match &args.users {
        Some(path) => bearers(&UsersFile::read(path)?, args.load.connections, false),
        None => (Vec::new(), 0),
    };
    let work = Document::new(args.document, variables, args.unique, bearers)?;
    drive(args.load, "query", users, work).await
}

// ---------------------------------------------------------------------------------------------------
// sign-in: requestOtp + verifyOtp pairs

/// Codes as the server's development sender logs them, for the sign-ins waiting for them. A reader
/// thread follows the log file from its end (like `tail -f`, polling every millisecond).
struct CodeBook {
    waiting: Mutex<HashMap<String, oneshot::Sender<String>>>,
}

impl CodeBook {
    fn follow(log: PathBuf) -> anyhow::Result<Arc<Self>> {
        let book = Arc::new(Self {
            waiting: Mutex::new(HashMap::new()),
        });
        let mut file =
            std::fs::File::open(&log).with_context(|| format!("opening {}", log.display()))?;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::End(0))?;
        let reader = book.clone();
        // A plain thread: a tokio file read would go through the blocking pool a thousand times a second.
        std::thread::spawn(move || {
            let mut pending = Vec::new();
            let mut chunk = vec![0u8; 64 * 1024];
            loop {
                match std::io::Read::read(&mut file, &mut chunk) {
                    Ok(0) | Err(_) => std::thread::sleep(Duration::from_millis(1)),
                    Ok(read) => {
                        pending.extend_from_slice(&chunk[..read]);
                        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                            let line: Vec<u8> = pending.drain(..=end).collect();
                            if let Some((who, code)) =
                                parse_code_line(&String::from_utf8_lossy(&line))
                                && let Some(sender) =
                                    reader.waiting.lock().expect("not poisoned").remove(who)
                            {
                                let _ = sender.send(code.to_owned());
                            }
                        }
                    }
                }
            }
        });
        Ok(book)
    }

    /// Registers before the code is requested, so it cannot be missed.
    fn expect(&self, email: &str) -> oneshot::Receiver<String> {
        let (sender, receiver) = oneshot::channel();
        self.waiting
            .lock()
            .expect("not poisoned")
            .insert(email.to_owned(), sender);
        receiver
    }

    fn forget(&self, email: &str) {
        self.waiting.lock().expect("not poisoned").remove(email);
    }
}

/// `… otp identifier=<who> code=<6 digits>` → (who, code).
fn parse_code_line(line: &str) -> Option<(&str, &str)> {
    let rest = &line[line.find("otp identifier=")? + "otp identifier=".len()..];
    let (who, rest) = rest.split_once(" code=")?;
    let code = rest.get(..6)?;
    code.bytes()
        .all(|b| b.is_ascii_digit())
        .then_some((who, code))
}

struct SignIn {
    book: Arc<CodeBook>,
    run: String,
    /// Client addresses are handed out from 198.18.0.0/15 (RFC 2544, benchmarking), one per pair.
    next_address: AtomicU32,
}

impl SignIn {
    fn address(&self) -> String {
        let n = self.next_address.fetch_add(1, Ordering::Relaxed) % (1 << 17);
        std::net::Ipv4Addr::from(u32::from(std::net::Ipv4Addr::new(198, 18, 0, 0)) + n).to_string()
    }
}

impl Workload for SignIn {
    async fn once(&self, http: &mut Connection, index: usize, n: u64) -> anyhow::Result<Answer> {
        let email = format!("otp-{}-c{index}-{n}@bench.test", self.run);
        let xff = self.address();
        let headers = [("x-forwarded-for", xff.as_str())];
        let code = self.book.expect(&email);
        let requested = http
            .post(
                graphql_body(REQUEST_OTP, &json!({ "email": email })),
                &headers,
            )
            .await;
        let requested = match requested {
            Ok(answer) if answer.ok() => answer,
            other => {
                self.book.forget(&email);
                return other;
            }
        };
        drop(requested);
        let code = match tokio::time::timeout(Duration::from_secs(10), code).await {
            Ok(Ok(code)) => code,
            _ => {
                self.book.forget(&email);
                return Ok(Answer::failure(format!(
                    "no code for {email} in the server's log after 10 s"
                )));
            }
        };
        http.post(
            graphql_body(VERIFY_OTP, &json!({ "email": email, "code": code })),
            &headers,
        )
        .await
    }
}

async fn sign_in_load(args: SignInArgs) -> anyhow::Result<()> {
    let work = SignIn {
        book: CodeBook::follow(args.log.clone())?,
        run: run_id()?,
        next_address: AtomicU32::new(0),
    };
    drive(args.load, "requestOtp + verifyOtp", 0, work).await
}

// ---------------------------------------------------------------------------------------------------
// subscriptions: dustBalanceChanged on many WebSockets while consumeDust runs

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const BALANCE_SUBSCRIPTION: &str =
    "subscription { dustBalanceChanged { balance transaction { amount type } } }";

/// Where each debit stands: its answer, and the events its user's sockets received for it. Debits
/// are known by (user, balance after): a user is debited by one connection, one debit at a time, and
/// only debited during the run, so each balance after is that of exactly one debit.
#[derive(Default)]
struct Debit {
    /// (request sent, answer received, inside the measured window).
    answered: Option<(Instant, Instant, bool)>,
    /// Events that arrived before the debit's answer did.
    early: Vec<Instant>,
    events: u32,
}

struct Tracker {
    window: OnceLock<Window>,
    /// By user index: the debits seen so far, by balance after.
    debits: Vec<Mutex<HashMap<i64, Debit>>>,
    /// By user index: how many sockets subscribe to that user (the events each debit should cause).
    sockets_of: Vec<u32>,
    latency: Mutex<EventLatency>,
    /// Sockets that ended (closed, errored, or their subscription completed) before the run did.
    lost_sockets: AtomicU32,
}

struct EventLatency {
    /// From the debit's answer arriving (the commit happened before it) to the event arriving, µs.
    from_answer: Histogram<u64>,
    /// From the debit's request being sent to the event arriving, µs.
    from_request: Histogram<u64>,
    /// Events that arrived before their debit's answer (recorded as 0 in `from_answer`).
    before_answer: u64,
    events: u64,
}

fn micros_between(from: Instant, to: Instant) -> u64 {
    to.saturating_duration_since(from).as_micros().max(1) as u64
}

impl Tracker {
    fn new(users: usize, sockets: usize) -> Self {
        let mut sockets_of = vec![0u32; users];
        for socket in 0..sockets {
            sockets_of[socket % users] += 1;
        }
        Self {
            window: OnceLock::new(),
            debits: (0..users).map(|_| Mutex::new(HashMap::new())).collect(),
            sockets_of,
            latency: Mutex::new(EventLatency {
                from_answer: histogram(),
                from_request: histogram(),
                before_answer: 0,
                events: 0,
            }),
            lost_sockets: AtomicU32::new(0),
        }
    }

    fn record(&self, sent: Instant, answered: Instant, event: Instant) {
        let mut latency = self.latency.lock().expect("not poisoned");
        if event < answered {
            latency.before_answer += 1;
        }
        latency.events += 1;
        latency
            .from_answer
            .saturating_record(micros_between(answered, event));
        latency
            .from_request
            .saturating_record(micros_between(sent, event));
    }

    fn answered(&self, user: usize, balance: i64, sent: Instant, done: Instant) {
        let measured = self
            .window
            .get()
            .is_some_and(|w| sent >= w.measure_from && done <= w.until);
        let early = {
            let mut debits = self.debits[user].lock().expect("not poisoned");
            let debit = debits.entry(balance).or_default();
            debit.answered = Some((sent, done, measured));
            std::mem::take(&mut debit.early)
        };
        if measured {
            for event in early {
                self.record(sent, done, event);
            }
        }
    }

    fn event(&self, user: usize, balance: i64, at: Instant) {
        let answered = {
            let mut debits = self.debits[user].lock().expect("not poisoned");
            let debit = debits.entry(balance).or_default();
            debit.events += 1;
            if debit.events > self.sockets_of[user] {
                return; // sent twice (a change committed while a subscription started)
            }
            match debit.answered {
                Some(answered) => answered,
                None => {
                    debit.early.push(at);
                    return;
                }
            }
        };
        if let (sent, done, true) = answered {
            self.record(sent, done, at);
        }
    }

    /// (measured debits, events they should have caused, events that never arrived).
    fn missed(&self) -> (u64, u64, u64) {
        let (mut debits, mut expected, mut missed) = (0, 0, 0);
        for (user, slot) in self.debits.iter().enumerate() {
            let sockets = u64::from(self.sockets_of[user]);
            for debit in slot.lock().expect("not poisoned").values() {
                if let Some((_, _, true)) = debit.answered {
                    debits += 1;
                    expected += sockets;
                    missed += sockets.saturating_sub(u64::from(debit.events));
                }
            }
        }
        (debits, expected, missed)
    }
}

/// Opens one graphql-transport-ws socket for `bearer`, subscribes to `dustBalanceChanged` and waits
/// for its first event (the balance now: the subscription is listening).
async fn open_subscription(addr: SocketAddr, bearer: &str) -> anyhow::Result<Socket> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{addr}/graphql/ws").into_client_request()?;
    request.headers_mut().insert(
        "sec-websocket-protocol",
        hyper::header::HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .context("WebSocket handshake")?;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": bearer } });
    send_json(&mut socket, &init).await?;
    let ack = next_message(&mut socket).await?;
    ensure!(ack["type"] == "connection_ack", "connection_init: {ack}");
    let subscribe = json!({ "id": "balance", "type": "subscribe",
        "payload": { "query": BALANCE_SUBSCRIPTION } });
    send_json(&mut socket, &subscribe).await?;
    let first = next_message(&mut socket).await?;
    ensure!(first["type"] == "next", "subscribe: {first}");
    Ok(socket)
}

async fn send_json(socket: &mut Socket, value: &Value) -> anyhow::Result<()> {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    socket.send(Message::Text(value.to_string().into())).await?;
    Ok(())
}

/// The next text message as JSON, within 10 s.
async fn next_message(socket: &mut Socket) -> anyhow::Result<Value> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .context("no message in 10 s")?
            .context("the socket closed")??;
        match message {
            Message::Text(text) => return Ok(serde_json::from_str(&text)?),
            Message::Close(frame) => bail!("closed: {frame:?}"),
            _ => continue,
        }
    }
}

/// Reads one subscriber's events until the socket ends.
async fn read_events(mut socket: Socket, user: usize, tracker: Arc<Tracker>) {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    while let Some(Ok(message)) = socket.next().await {
        let at = Instant::now();
        let Message::Text(text) = message else {
            continue;
        };
        let Ok(value) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        match value["type"].as_str() {
            Some("next") => {
                if let Some(balance) =
                    value["payload"]["data"]["dustBalanceChanged"]["balance"].as_i64()
                {
                    tracker.event(user, balance, at);
                }
            }
            Some("ping") => {
                let pong = send_json(&mut socket, &json!({ "type": "pong" })).await;
                if pong.is_err() {
                    break;
                }
            }
            Some("error" | "complete") => break,
            _ => {}
        }
    }
    tracker.lost_sockets.fetch_add(1, Ordering::Relaxed);
}

/// VmRSS of a process in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// consumeDust for the users a connection owns, in turn; every answer is handed to the tracker.
struct Debits {
    document: Document,
    /// By connection: the users (indexes into the users file) it debits.
    users_of: Vec<Vec<usize>>,
    tracker: Arc<Tracker>,
}

impl Workload for Debits {
    fn begin(&self, window: Window) {
        let _ = self.tracker.window.set(window);
    }

    async fn once(&self, http: &mut Connection, index: usize, n: u64) -> anyhow::Result<Answer> {
        let users = &self.users_of[index];
        let user = users[(n as usize - 1) % users.len()];
        let body = self.document.body(index, n);
        let bearer = &self.document.bearers[user];
        let sent = Instant::now();
        let answer = http
            .post(body, &[("authorization", bearer.as_str())])
            .await?;
        let done = Instant::now();
        if answer.ok()
            && let Some(balance) = answer.json()?["data"]["consumeDust"]["balanceAfter"].as_i64()
        {
            self.tracker.answered(user, balance, sent, done);
        }
        Ok(answer)
    }
}

async fn subscriptions(args: SubscriptionsArgs) -> anyhow::Result<()> {
    use futures_util::StreamExt;
    let file = UsersFile::read(&args.users)?;
    let users = file.users.len();
    let connections = args.load.connections;
    ensure!(
        connections >= 1 && users >= connections,
        "{users} users cannot be shared by {connections} debit connections"
    );
    let tracker = Arc::new(Tracker::new(users, args.sockets));

    let opening = Instant::now();
    let bearers: Vec<String> = file
        .users
        .iter()
        .map(|u| format!("Bearer {}", u.token))
        .collect();
    let addr = args.load.addr;
    let opened: Vec<anyhow::Result<Socket>> =
        futures_util::stream::iter((0..args.sockets).map(|socket| {
            let bearer = bearers[socket % users].clone();
            async move { open_subscription(addr, &bearer).await }
        }))
        .buffered(args.open_at_once.max(1))
        .collect()
        .await;
    let mut readers = Vec::new();
    for (socket, result) in opened.into_iter().enumerate() {
        let socket_stream = result.with_context(|| format!("opening socket {socket}"))?;
        readers.push(tokio::spawn(read_events(
            socket_stream,
            socket % users,
            tracker.clone(),
        )));
    }
    let opening = opening.elapsed();
    let rss_idle = args.server_pid.and_then(rss_kib);
    eprintln!(
        "{} sockets subscribed to dustBalanceChanged for {} users in {:.1} s; server RSS {}",
        args.sockets,
        users.min(args.sockets),
        opening.as_secs_f64(),
        rss_idle.map_or("unknown".to_owned(), |k| format!(
            "{:.1} MiB",
            k as f64 / 1024.0
        )),
    );

    let peak = Arc::new(std::sync::atomic::AtomicU64::new(rss_idle.unwrap_or(0)));
    let sampler = args.server_pid.map(|pid| {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                if let Some(kib) = rss_kib(pid) {
                    peak.fetch_max(kib, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    });

    let mut users_of = vec![Vec::new(); connections];
    for user in 0..users {
        users_of[user % connections].push(user);
    }
    let work = Debits {
        document: Document::new(
            consume_query(&args.app, &args.action),
            json!({}),
            Some("k".to_owned()),
            bearers,
        )?,
        users_of,
        tracker: tracker.clone(),
    };
    drive(args.load, "consumeDust with subscribers", users, work).await?;
    tokio::time::sleep(Duration::from_secs(args.grace)).await;
    if let Some(sampler) = sampler {
        sampler.abort();
    }
    let open_at_end = args.sockets as u32 - tracker.lost_sockets.load(Ordering::Relaxed);
    for reader in &readers {
        reader.abort();
    }

    let (debits, expected, missed) = tracker.missed();
    let latency = tracker.latency.lock().expect("not poisoned");
    let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    let (a, r) = (&latency.from_answer, &latency.from_request);
    let rss = |k: Option<u64>| k.map_or("unknown".to_owned(), |k| k.to_string());
    println!(
        "events: {} sockets ({} still open at the end), {debits} measured debits, {} of {expected} \
         events ({missed} missed, {} before the debit's answer); from the debit's answer: ms p50 {:.2} \
         p90 {:.2} p99 {:.2} p99.9 {:.2} max {:.2}; from its request: p50 {:.2} p99 {:.2}",
        args.sockets,
        open_at_end,
        latency.events,
        latency.before_answer,
        ms(a, 0.5),
        ms(a, 0.9),
        ms(a, 0.99),
        ms(a, 0.999),
        a.max() as f64 / 1000.0,
        ms(r, 0.5),
        ms(r, 0.99),
    );
    println!(
        "BENCH_EVENTS sockets={} open_at_end={open_at_end} open_s={:.3} debits={debits} expected={expected} \
         events={} missed={missed} before_answer={} p50_ms={:.3} p90_ms={:.3} p99_ms={:.3} p999_ms={:.3} \
         max_ms={:.3} request_p50_ms={:.3} request_p99_ms={:.3} rss_sockets_kib={} rss_peak_kib={}",
        args.sockets,
        opening.as_secs_f64(),
        latency.events,
        latency.before_answer,
        ms(a, 0.5),
        ms(a, 0.9),
        ms(a, 0.99),
        ms(a, 0.999),
        a.max() as f64 / 1000.0,
        ms(r, 0.5),
        ms(r, 0.99),
        rss(rss_idle),
        rss(args.server_pid.map(|_| peak.load(Ordering::Relaxed))),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            body: Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn a_success_is_http_200_without_errors() {
        assert!(answer(200, r#"{"data":{"consumeDust":{"balanceAfter":8}}}"#).ok());
        assert!(!answer(200, r#"{"data":null,"errors":[{"message":"no"}]}"#).ok());
        assert!(!answer(503, r#"{"data":{"consumeDust":{"balanceAfter":8}}}"#).ok());
        assert!(!answer(429, "").ok());
        assert!(!Answer::failure("no code".into()).ok());
    }

    #[test]
    fn the_consume_query_inlines_app_and_action_as_graphql_strings() {
        assert_eq!(
            consume_query("fairydust-story", "story_short"),
            "mutation C($k: String!) { consumeDust(input: {appId: \"fairydust-story\", action: \"story_short\", idempotencyKey: $k}) { balanceAfter } }"
        );
    }

    #[test]
    fn every_sign_in_gets_its_own_client_address() {
        let addresses: std::collections::HashSet<String> = (0..=1000).map(forwarded_for).collect();
        assert_eq!(addresses.len(), 1001);
        assert!(
            addresses
                .iter()
                .all(|a| a.parse::<std::net::IpAddr>().is_ok())
        );
    }

    #[test]
    fn a_document_gets_a_unique_key_per_request_only_when_asked() {
        let fixed = Document::new("{ version }".into(), json!({}), None, vec![]).unwrap();
        assert_eq!(fixed.body(0, 1), fixed.body(3, 9));
        let keyed = Document::new(
            "mutation C($k: String!) { x(k: $k) }".into(),
            json!({ "a": 1 }),
            Some("k".into()),
            vec![],
        )
        .unwrap();
        let body: Value = serde_json::from_slice(&keyed.body(3, 9)).unwrap();
        assert_eq!(body["variables"]["a"], 1);
        assert_eq!(
            body["variables"]["k"],
            Value::from(format!("{}-c3-9", keyed.run))
        );
        assert_ne!(keyed.body(3, 9), keyed.body(3, 10));
    }

    #[test]
    fn codes_are_read_from_the_development_log_line() {
        let line = "2026-12-02T10:00:00.000Z  INFO fairydust::otp: otp identifier=otp-1-c0-1@bench.test code=042917\n";
        assert_eq!(
            parse_code_line(line),
            Some(("otp-1-c0-1@bench.test", "042917"))
        );
        assert_eq!(parse_code_line("INFO other line"), None);
        assert_eq!(parse_code_line("otp identifier=a@b.test code=12ab56"), None);
    }

    #[test]
    fn sign_in_addresses_are_distinct_and_outside_the_trusted_private_networks() {
        let work = SignIn {
            book: Arc::new(CodeBook {
                waiting: Mutex::new(HashMap::new()),
            }),
            run: "r".into(),
            next_address: AtomicU32::new(0),
        };
        let addresses: std::collections::HashSet<String> =
            (0..70_000).map(|_| work.address()).collect();
        assert_eq!(addresses.len(), 70_000);
        assert!(addresses.iter().all(|a| {
            let ip: std::net::Ipv4Addr = a.parse().unwrap();
            ip.octets()[0] == 198 && (ip.octets()[1] == 18 || ip.octets()[1] == 19)
        }));
    }

    #[test]
    fn recipe_content_has_the_size_asked_for() {
        let text = recipe_content(7, 1500);
        assert!(text.starts_with("# Bench recipe 7\n"));
        assert!((1500..1600).contains(&text.len()), "{}", text.len());
    }
}
