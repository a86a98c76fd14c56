//! One line telling whether the API, its database and its cache answer: the first thing to check
//! when a portal misbehaves.

use leptos::prelude::*;

use crate::graphql::run;
use crate::operations::{PortalHealth, portal_health};

/// E.g. "Server 0.1.0 — UP · database sqlite UP · cache memory UP".
fn summary(health: &portal_health::PortalHealthHealth) -> String {
    format!(
        "Server {} — {} · database {} {} · cache {} {}",
        health.version,
        status(&health.status),
        health.database_backend,
        status(&health.database),
        health.cache_backend,
        status(&health.cache)
    )
}

/// `UP` or `DOWN`: the generated enum's variant names are the schema's.
fn status(value: &portal_health::DependencyStatus) -> String {
    format!("{value:?}")
}

/// `#server-status` with `data-state` = `loading`, `ready` or `error`, so tests can wait for it.
#[component]
pub fn ServerStatus() -> impl IntoView {
    let health = LocalResource::new(|| run::<PortalHealth>(portal_health::Variables {}));

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
                    Ok(portal_health::ResponseData { health }) => {
                        view! {
                            <p
                                id="server-status"
                                class="server-status"
                                data-state="ready"
                                data-health=status(&health.status)
                            >
                                {summary(&health)}
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
