//! One line telling whether the API, its database and its cache answer: the first thing to check
//! when a portal misbehaves.

use leptos::prelude::*;
use serde::Deserialize;
use serde_json::json;

use crate::graphql;

const PORTAL_HEALTH: &str =
    "query PortalHealth { health { status version database databaseBackend cache cacheBackend } }";

#[derive(Clone, Deserialize)]
struct PortalHealth {
    health: Health,
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Health {
    /// `UP` or `DOWN`, as are `database` and `cache`.
    status: String,
    version: String,
    database: String,
    database_backend: String,
    cache: String,
    cache_backend: String,
}

impl Health {
    /// E.g. "Server 0.1.0 — UP · database sqlite UP · cache memory UP".
    fn summary(&self) -> String {
        format!(
            "Server {} — {} · database {} {} · cache {} {}",
            self.version,
            self.status,
            self.database_backend,
            self.database,
            self.cache_backend,
            self.cache
        )
    }
}

/// `#server-status` with `data-state` = `loading`, `ready` or `error`, so tests can wait for it.
#[component]
pub fn ServerStatus() -> impl IntoView {
    let health = LocalResource::new(|| graphql::<PortalHealth>(PORTAL_HEALTH, json!({})));

    view! {
        <Suspense fallback=|| {
            view! {
                <p id="server-status" class="server-status" data-state="loading">
                    "Checking the server…"
                </p>
            }
        }>
            {move || Suspend::new(async move {
                match health.await {
                    Ok(PortalHealth { health }) => {
                        view! {
                            <p
                                id="server-status"
                                class="server-status"
                                data-state="ready"
                                data-health=health.status.clone()
                            >
                                {health.summary()}
                            </p>
                        }
                            .into_any()
                    }
                    Err(error) => {
                        view! {
                            <p id="server-status" class="server-status" data-state="error">
                                "Server check failed: "
                                {error.message}
                                " "
                                <button type="button" class="link" on:click=move |_| health.refetch()>
                                    "Retry"
                                </button>
                            </p>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}
