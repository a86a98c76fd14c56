//! The same behaviour checks against both implementations. The Redis half runs when `TEST_REDIS_URL`
//! is set (the test command sets it when a Redis answers) and says so when it is skipped.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use fairydust_schema::cache::{Admission, Admit, Cache, RateLimit, Write};
use fairydust_schema::skipped_tests::report_skipped;

use super::{Clock, ManualClock, MemoryCache, RedisCache};

/// A cache under test and, for the in-process one, the clock the test moves.
#[derive(Clone)]
struct TestCache {
    cache: Arc<dyn Cache>,
    clock: Option<ManualClock>,
}

impl std::ops::Deref for TestCache {
    type Target = Arc<dyn Cache>;

    fn deref(&self) -> &Self::Target {
        &self.cache
    }
}

impl TestCache {
    /// Lets `time` pass for TTLs and rate windows: the in-process cache's clock jumps; Redis keeps
    /// its own clock, so there the test has to wait for it.
    async fn pass(&self, time: Duration) {
        match &self.clock {
            Some(clock) => clock.advance(time),
            None => tokio::time::sleep(time).await,
        }
    }
}

async fn backends() -> Vec<TestCache> {
    let clock = ManualClock::default();
    let mut caches = vec![TestCache {
        cache: Arc::new(MemoryCache::with_clock(Clock::Manual(clock.clone()))),
        clock: Some(clock),
    }];
    match std::env::var("TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => {
            let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
            caches.push(TestCache {
                cache: Arc::new(
                    RedisCache::connect(&url, &prefix)
                        .await
                        .expect("TEST_REDIS_URL must answer"),
                ),
                clock: None,
            });
        }
        _ => report_skipped(
            "cache tests on Redis",
            "TEST_REDIS_URL is not set; checked the in-process cache only",
        ),
    }
    caches
}

#[tokio::test]
async fn values_expire_after_their_ttl() {
    for cache in backends().await {
        cache
            .set("k", "v", Duration::from_millis(150))
            .await
            .unwrap();
        assert_eq!(
            cache.get("k").await.unwrap().as_deref(),
            Some("v"),
            "{}",
            cache.backend()
        );
        cache.pass(Duration::from_millis(300)).await;
        assert_eq!(cache.get("k").await.unwrap(), None, "{}", cache.backend());
    }
}

#[tokio::test]
async fn set_if_absent_keeps_the_first_value() {
    for cache in backends().await {
        assert!(
            cache
                .set_if_absent("once", "a", Duration::from_secs(5))
                .await
                .unwrap()
        );
        assert!(
            !cache
                .set_if_absent("once", "b", Duration::from_secs(5))
                .await
                .unwrap()
        );
        assert_eq!(
            cache.get("once").await.unwrap().as_deref(),
            Some("a"),
            "{}",
            cache.backend()
        );
        cache.delete("once").await.unwrap();
        assert!(
            cache
                .set_if_absent("once", "c", Duration::from_secs(5))
                .await
                .unwrap()
        );
    }
}

#[tokio::test]
async fn take_hands_a_value_to_exactly_one_of_many_concurrent_callers() {
    for cache in backends().await {
        cache
            .set("code", "123456", Duration::from_secs(5))
            .await
            .unwrap();
        let takes = (0..20).map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.take("code").await.unwrap() })
        });
        let winners = futures_util::future::join_all(takes)
            .await
            .into_iter()
            .filter(|taken| taken.as_ref().unwrap().is_some())
            .count();
        assert_eq!(winners, 1, "{}", cache.backend());
        assert_eq!(cache.get("code").await.unwrap(), None);
    }
}

#[tokio::test]
async fn increments_are_atomic_and_expire() {
    for cache in backends().await {
        let adds = (0..50).map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .increment("n", 2, Duration::from_millis(400))
                    .await
                    .unwrap()
            })
        });
        let mut results: Vec<i64> = futures_util::future::join_all(adds)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        results.sort_unstable();
        assert_eq!(
            results,
            (1..=50).map(|i| i * 2).collect::<Vec<_>>(),
            "{}",
            cache.backend()
        );
        cache.pass(Duration::from_millis(600)).await;
        assert_eq!(
            cache
                .increment("n", 1, Duration::from_secs(1))
                .await
                .unwrap(),
            1,
            "{}",
            cache.backend()
        );
    }
}

#[tokio::test]
async fn rate_limiter_admits_exactly_the_limit_under_concurrency() {
    for cache in backends().await {
        let limit = RateLimit::per(5, Duration::from_secs(60));
        let hits = (0..30).map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.hit("rl:user", limit).await.unwrap() })
        });
        let decisions: Vec<_> = futures_util::future::join_all(hits)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            decisions.iter().filter(|d| d.is_allowed()).count(),
            5,
            "{}",
            cache.backend()
        );
        let retry = decisions
            .iter()
            .find_map(|d| d.retry_after_seconds())
            .unwrap();
        assert!(
            (59..=60).contains(&retry),
            "{} retry_after {retry}",
            cache.backend()
        );
    }
}

#[tokio::test]
async fn rate_limiter_window_slides() {
    for cache in backends().await {
        let limit = RateLimit::per(2, Duration::from_millis(300));
        assert!(cache.hit("rl:slide", limit).await.unwrap().is_allowed());
        cache.pass(Duration::from_millis(150)).await;
        assert!(cache.hit("rl:slide", limit).await.unwrap().is_allowed());
        assert!(
            !cache.hit("rl:slide", limit).await.unwrap().is_allowed(),
            "{}",
            cache.backend()
        );
        // The first hit leaves the window before the second does.
        cache.pass(Duration::from_millis(200)).await;
        assert!(
            cache.hit("rl:slide", limit).await.unwrap().is_allowed(),
            "{}",
            cache.backend()
        );
        assert!(
            !cache.hit("rl:slide", limit).await.unwrap().is_allowed(),
            "{}",
            cache.backend()
        );
    }
}

#[tokio::test]
async fn admit_reads_counts_every_window_or_none_and_sets_the_mark() {
    for cache in backends().await {
        let backend = cache.backend();
        cache
            .set("seen", "v", Duration::from_secs(5))
            .await
            .unwrap();
        let tight = RateLimit::per(1, Duration::from_secs(60));
        let loose = RateLimit::per(10, Duration::from_secs(60));
        let admission = |mark: &'static str| Admission {
            reads: vec!["seen", "unseen"],
            mark: Some((mark, Duration::from_secs(5))),
            windows: vec![("w:loose", loose), ("w:tight", tight)],
        };

        let first = cache.admit(&admission("m1")).await.unwrap();
        assert_eq!(first.decision, Admit::Admitted, "{backend}");
        assert_eq!(first.values, vec![Some("v".to_owned()), None], "{backend}");
        assert_eq!(cache.get("m1").await.unwrap().as_deref(), Some("1"));

        // The mark is set: busy, and nothing is counted.
        let busy = cache.admit(&admission("m1")).await.unwrap();
        assert_eq!(busy.decision, Admit::Busy, "{backend}");
        assert_eq!(busy.values[0].as_deref(), Some("v"), "{backend}");

        // The tight window is full: refused, the loose one not counted, no mark.
        let limited = cache.admit(&admission("m2")).await.unwrap();
        let Admit::Limited { retry_after } = limited.decision else {
            panic!("{backend}: {limited:?}");
        };
        assert!(
            retry_after > Duration::from_secs(58),
            "{backend} {retry_after:?}"
        );
        assert_eq!(cache.get("m2").await.unwrap(), None, "{backend}");
        for _ in 0..9 {
            assert!(
                cache.hit("w:loose", loose).await.unwrap().is_allowed(),
                "{backend}"
            );
        }
        assert!(
            !cache.hit("w:loose", loose).await.unwrap().is_allowed(),
            "{backend}"
        );

        // An admission without windows or mark only reads.
        let read = cache
            .admit(&Admission {
                reads: vec!["seen"],
                ..Admission::default()
            })
            .await
            .unwrap();
        assert_eq!(read.decision, Admit::Admitted, "{backend}");
        assert_eq!(read.values, vec![Some("v".to_owned())], "{backend}");
    }
}

#[tokio::test]
async fn admit_lets_exactly_one_of_many_concurrent_callers_set_the_mark() {
    for cache in backends().await {
        let limit = RateLimit::per(100, Duration::from_secs(60));
        let admits = (0..20).map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .admit(&Admission {
                        reads: vec![],
                        mark: Some(("mark", Duration::from_secs(5))),
                        windows: vec![("w", limit)],
                    })
                    .await
                    .unwrap()
                    .decision
            })
        });
        let decisions: Vec<Admit> = futures_util::future::join_all(admits)
            .await
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let admitted = decisions.iter().filter(|d| **d == Admit::Admitted).count();
        assert_eq!(admitted, 1, "{}", cache.backend());
        // Only the admitted call was counted.
        for _ in 0..99 {
            assert!(cache.hit("w", limit).await.unwrap().is_allowed());
        }
        assert!(
            !cache.hit("w", limit).await.unwrap().is_allowed(),
            "{}",
            cache.backend()
        );
    }
}

#[tokio::test]
async fn apply_runs_its_writes_in_one_call() {
    for cache in backends().await {
        let backend = cache.backend();
        let mut events = cache.subscribe("ch").await.unwrap();
        let limit = RateLimit::per(2, Duration::from_secs(60));
        assert!(cache.hit("w", limit).await.unwrap().is_allowed());
        assert!(cache.hit("w", limit).await.unwrap().is_allowed());
        cache
            .set("mark", "1", Duration::from_secs(5))
            .await
            .unwrap();
        cache
            .increment("counter", 5, Duration::from_millis(400))
            .await
            .unwrap();
        let answers = cache
            .apply(&[
                Write::AddIfPresent {
                    key: "counter",
                    delta: 3,
                },
                Write::AddIfPresent {
                    key: "absent",
                    delta: 3,
                },
                Write::Increment {
                    key: "fresh",
                    delta: 2,
                    ttl: Duration::from_secs(5),
                },
                Write::Unhit("w"),
                Write::Delete("mark"),
                Write::Publish {
                    channel: "ch",
                    message: "done",
                },
            ])
            .await
            .unwrap();
        assert_eq!(
            answers,
            vec![Some(8), None, Some(2), None, None, None],
            "{backend}"
        );
        assert_eq!(cache.get("absent").await.unwrap(), None, "{backend}");
        assert_eq!(cache.get("mark").await.unwrap(), None, "{backend}");
        assert!(
            cache.hit("w", limit).await.unwrap().is_allowed(),
            "{backend}: a slot was given back"
        );
        let received = tokio::time::timeout(Duration::from_secs(3), events.next())
            .await
            .unwrap();
        assert_eq!(received.as_deref(), Some("done"), "{backend}");
        // Adding kept the counter's TTL.
        cache.pass(Duration::from_millis(600)).await;
        assert_eq!(cache.get("counter").await.unwrap(), None, "{backend}");
        assert!(cache.apply(&[]).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn subscribers_receive_what_is_published_after_they_subscribe() {
    for cache in backends().await {
        let mut first = cache.subscribe("events").await.unwrap();
        let mut second = cache.subscribe("events").await.unwrap();
        let mut other = cache.subscribe("other").await.unwrap();
        cache.publish("events", "hello").await.unwrap();
        let timeout = Duration::from_secs(3);
        assert_eq!(
            tokio::time::timeout(timeout, first.next())
                .await
                .unwrap()
                .as_deref(),
            Some("hello")
        );
        assert_eq!(
            tokio::time::timeout(timeout, second.next())
                .await
                .unwrap()
                .as_deref(),
            Some("hello")
        );
        assert!(
            tokio::time::timeout(Duration::from_millis(200), other.next())
                .await
                .is_err(),
            "{}",
            cache.backend()
        );
    }
}

#[tokio::test]
async fn redis_subscribers_hear_other_replicas() {
    let Ok(url) = std::env::var("TEST_REDIS_URL") else {
        report_skipped(
            "redis_subscribers_hear_other_replicas",
            "TEST_REDIS_URL is not set",
        );
        return;
    };
    let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
    let replica_a = RedisCache::connect(&url, &prefix).await.unwrap();
    let replica_b = RedisCache::connect(&url, &prefix).await.unwrap();
    let mut events = replica_a.subscribe("balance").await.unwrap();
    replica_b.publish("balance", "42").await.unwrap();
    let received = tokio::time::timeout(Duration::from_secs(3), events.next())
        .await
        .unwrap();
    assert_eq!(received.as_deref(), Some("42"));
}

/// Subscribers of `channel` on the Redis server, across all connections.
async fn redis_subscribers(url: &str, channel: &str) -> i64 {
    let client = redis::Client::open(url).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let counts: Vec<(String, i64)> = redis::cmd("PUBSUB")
        .arg("NUMSUB")
        .arg(channel)
        .query_async(&mut connection)
        .await
        .unwrap();
    counts.first().map(|(_, count)| *count).unwrap_or(0)
}

#[tokio::test]
async fn redis_unsubscribes_when_the_last_local_subscriber_goes() {
    let Ok(url) = std::env::var("TEST_REDIS_URL") else {
        report_skipped(
            "redis_unsubscribes_when_the_last_local_subscriber_goes",
            "TEST_REDIS_URL is not set",
        );
        return;
    };
    let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
    let channel = format!("{prefix}user-events");
    let cache = RedisCache::connect(&url, &prefix).await.unwrap();
    let first = cache.subscribe("user-events").await.unwrap();
    let mut second = cache.subscribe("user-events").await.unwrap();
    assert_eq!(redis_subscribers(&url, &channel).await, 1, "one connection");

    drop(first);
    cache.publish("user-events", "still here").await.unwrap();
    let received = tokio::time::timeout(Duration::from_secs(3), second.next())
        .await
        .unwrap();
    assert_eq!(received.as_deref(), Some("still here"));
    assert_eq!(redis_subscribers(&url, &channel).await, 1);

    drop(second);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while redis_subscribers(&url, &channel).await > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the channel is still subscribed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Subscribing again after the release works.
    let mut again = cache.subscribe("user-events").await.unwrap();
    cache.publish("user-events", "back").await.unwrap();
    let received = tokio::time::timeout(Duration::from_secs(3), again.next())
        .await
        .unwrap();
    assert_eq!(received.as_deref(), Some("back"));
}
