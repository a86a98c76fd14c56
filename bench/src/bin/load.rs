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
use std::sync::{Arc, Mutex};
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

/// Waits for the server's log line `otp identifier=<email> code=<6 digits>` and returns the newest code.
async fn code_from_log(log: &PathBuf, email: &str) -> anyhow::Result<String> {
    let pattern = regex::Regex::new(&format!(
        r"otp identifier={} code=(\d{{6}})",
        regex::escape(email)
    ))?;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let text = tokio::fs::read_to_string(log).await.unwrap_or_default();
        if let Some(found) = pattern.captures_iter(&text).last() {
            return Ok(found[1].to_owned());
        }
        if Instant::now() > deadline {
            bail!("no code for {email} in {} after 15 s", log.display());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn sign_in(
    addr: SocketAddr,
    log: &PathBuf,
    email: &str,
    n: usize,
) -> anyhow::Result<BenchUser> {
    let xff = forwarded_for(n);
    graphql(
        addr,
        REQUEST_OTP,
        json!({ "email": email }),
        &[("x-forwarded-for", &xff)],
    )
    .await
    .with_context(|| format!("requestOtp for {email}"))?;
    let code = code_from_log(log, email).await?;
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
    // Sign-ins run concurrently (each waits for its own code in the log).
    let mut tasks = Vec::new();
    for (index, email) in emails.iter().enumerate() {
        let (email, log, addr) = (email.clone(), args.log.clone(), args.addr);
        tasks.push(tokio::spawn(async move {
            sign_in(addr, &log, &email, index + 1).await
        }));
    }
    let mut users = Vec::new();
    for task in tasks {
        users.push(task.await??);
    }
    let admin = sign_in(args.addr, &args.log, &args.admin_email, 0).await?;
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
