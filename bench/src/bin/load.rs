//! The `consumeDust` load generator of bench/run.sh, and the sign-in it needs.
//!
//! `bench-load setup`: signs users in through the public API exactly as an app does (`requestOtp`, the
//! code read from the server's development log line `otp identifier=… code=…`, `verifyOtp`), signs the
//! admin in the same way and gives every user DUST with `grantDustBulk`; writes ids and tokens to a file.
//!
//! `bench-load consume`: one tokio task per connection, each on its own HTTP/1.1 keep-alive connection and
//! with its own user's bearer token, sending `consumeDust` back to back with a unique idempotency key per
//! request. After a warm-up, every request that completes inside the measured window is recorded in an
//! HDR histogram (microseconds). A request counts as a success only when the answer is HTTP 200 and its
//! body has no `errors`.
//!
//! wrk cannot pin a token to a connection (its Lua `request()` runs per thread, not per connection),
//! which is why this benchmark has its own generator.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
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

#[derive(Parser)]
#[command(
    name = "bench-load",
    about = "Sign-in and consumeDust load for bench/run.sh"
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
    /// Drive consumeDust and print the results (also as JSON with --json-out).
    Consume(ConsumeArgs),
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
struct ConsumeArgs {
    #[arg(long)]
    addr: SocketAddr,
    /// The file `setup` wrote.
    #[arg(long)]
    users: PathBuf,
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Measured seconds.
    #[arg(long, default_value_t = 15)]
    duration: u64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Every connection uses the first user (one hot balance row) instead of one user per connection.
    #[arg(long)]
    hot: bool,
    /// The app's id or slug, as sent in `appId`.
    #[arg(long, default_value = "fairydust-story")]
    app: String,
    #[arg(long, default_value = "story_short")]
    action: String,
    /// A name for this run in the output.
    #[arg(long, default_value = "consumeDust")]
    label: String,
    #[arg(long)]
    json_out: Option<PathBuf>,
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
            Command::Consume(args) => consume(args).await,
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

/// One GraphQL call during setup; fails on any error.
async fn graphql(
    addr: SocketAddr,
    query: &str,
    variables: Value,
    headers: &[(&str, &str)],
) -> anyhow::Result<Value> {
    let mut connection = Connection::open(addr).await?;
    let body = serde_json::to_vec(&json!({ "query": query, "variables": variables }))?;
    let answer = connection.post(body.into(), headers).await?;
    let text = String::from_utf8_lossy(&answer.body).into_owned();
    ensure!(answer.ok(), "HTTP {}: {text}", answer.status);
    let mut value = answer.json()?;
    Ok(value["data"].take())
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
// consume

/// `mutation C($k: String!) { consumeDust(input: {appId: "<app>", action: "<action>", idempotencyKey: $k}) { balanceAfter } }`
fn consume_query(app: &str, action: &str) -> String {
    format!(
        "mutation C($k: String!) {{ consumeDust(input: {{appId: {}, action: {}, idempotencyKey: $k}}) {{ balanceAfter }} }}",
        Value::from(app),
        Value::from(action)
    )
}

#[derive(Default)]
struct Tally {
    /// Latency of every request completed in the measured window (µs), success or not.
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
struct ConsumeReport {
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

/// What every connection shares.
struct Plan {
    addr: SocketAddr,
    query: String,
    /// Makes idempotency keys unique across runs.
    run: String,
    measure_from: Instant,
    until: Instant,
}

async fn connection_loop(plan: Arc<Plan>, index: usize, bearer: String) -> Tally {
    let Plan {
        addr,
        ref query,
        ref run,
        measure_from,
        until,
    } = *plan;
    let mut tally = Tally {
        latency: Some(histogram()),
        ..Tally::default()
    };
    let headers = [("authorization", bearer.as_str())];
    let mut connection: Option<Connection> = None;
    let mut counter: u64 = 0;
    while Instant::now() < until {
        if connection.is_none() {
            match Connection::open(addr).await {
                Ok(c) => connection = Some(c),
                Err(_) => {
                    tally.io_errors += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        counter += 1;
        let key = format!("{run}-c{index}-{counter}");
        let body = serde_json::to_vec(&json!({
            "query": query,
            "variables": { "k": key },
        }))
        .expect("plain JSON");
        let sent = Instant::now();
        let result = connection
            .as_mut()
            .expect("opened above")
            .post(body.into(), &headers)
            .await;
        let done = Instant::now();
        let measured = sent >= measure_from && done <= until;
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
                            let text = String::from_utf8_lossy(&answer.body);
                            let text: String = text.chars().take(300).collect();
                            *tally
                                .samples
                                .entry(format!("HTTP {}: {text}", answer.status))
                                .or_default() += 1;
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

async fn consume(args: ConsumeArgs) -> anyhow::Result<()> {
    let file: UsersFile = serde_json::from_slice(
        &std::fs::read(&args.users).with_context(|| format!("reading {}", args.users.display()))?,
    )?;
    ensure!(
        !file.users.is_empty(),
        "no users in {}",
        args.users.display()
    );
    let users_used = if args.hot {
        1
    } else {
        file.users.len().min(args.connections)
    };
    let run = format!(
        "bench{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis()
    );
    let cpu_before = own_cpu_seconds();
    let measure_from = Instant::now() + Duration::from_secs(args.warmup);
    let plan = Arc::new(Plan {
        addr: args.addr,
        query: consume_query(&args.app, &args.action),
        run,
        measure_from,
        until: measure_from + Duration::from_secs(args.duration),
    });
    let mut tasks = Vec::new();
    for index in 0..args.connections {
        let user = if args.hot {
            &file.users[0]
        } else {
            &file.users[index % file.users.len()]
        };
        tasks.push(tokio::spawn(connection_loop(
            plan.clone(),
            index,
            format!("Bearer {}", user.token),
        )));
    }
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
    let report = ConsumeReport {
        label: args.label,
        connections: args.connections,
        users: users_used,
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
}
