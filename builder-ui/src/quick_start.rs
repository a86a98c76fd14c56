//! Quick start: copy-paste GraphQL for this app with its real id and actions — how an app signs its
//! user in, then checkDust, consumeDust with an idempotency key, generateText, aiContext and the
//! dustBalanceChanged subscription — and a "try it" that runs checkDust as the builder.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use portal_kit::{ErrorState, Loading, PageHeader, PortalError, run};

use crate::clipboard::CopyButton;
use crate::ops::{AppDetail, TryCheckDust, app_detail, try_check_dust};

#[component]
pub fn QuickStartPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let app = LocalResource::new(move || run::<AppDetail>(app_detail::Variables { id: id() }));
    view! {
        <Suspense fallback=|| view! { <Loading label="Loading the app…" /> }>
            {move || Suspend::new(async move {
                match app.await {
                    Err(error) => view! {
                        <PageHeader title="Quick start" crumbs=vec![("My apps", "/builder/".to_owned())] />
                        <ErrorState error />
                    }
                        .into_any(),
                    Ok(data) => view! { <Guide app=data.app /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// One step: a title, what it is for, and the code with a copy button.
#[component]
fn Step(
    id: &'static str,
    title: &'static str,
    #[prop(into)] why: String,
    #[prop(into)] code: String,
) -> impl IntoView {
    view! {
        <section class="panel step" aria-labelledby=format!("{id}-title")>
            <div class="title-row">
                <h2 id=format!("{id}-title")>{title}</h2>
                <CopyButton id=format!("copy-{id}") text=code.clone() what=title />
            </div>
            <p>{why}</p>
            <pre id=format!("code-{id}")><code>{code}</code></pre>
        </section>
    }
}

#[component]
fn Guide(app: app_detail::AppDetailApp) -> impl IntoView {
    let id = app.id.clone();
    let action = app
        .actions
        .first()
        .map_or("your_action".to_owned(), |a| a.action.clone());
    let price = app.actions.first().map_or(1, |a| a.dust_cost);
    let prices = if app.actions.is_empty() {
        "This app has no actions yet: add one on the app's page, then come back.".to_owned()
    } else {
        app.actions
            .iter()
            .map(|a| format!("{} ({} DUST)", a.action, a.dust_cost))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let sign_in = r#"# 1. Ask for a code by email (or phone: {phone: "+15551234567"})
mutation { requestOtp(input: {email: "user@example.com"}) { sentTo } }

# 2. Exchange the code the user typed for tokens
mutation {
  verifyOtp(input: {email: "user@example.com", code: "123456"}) {
    accessToken expiresIn refreshToken user { id fairyname dustBalance }
  }
}
# Send "Authorization: Bearer <accessToken>" with every request (valid 1 hour).

# 3. Before it expires, swap the refresh token (single use, 30 days) for new ones
mutation { refreshSession(refreshToken: "<refreshToken>") { accessToken refreshToken } }"#
        .to_owned();
    let check = format!(
        "query {{\n  checkDust(appId: \"{id}\", action: \"{action}\") {{\n    sufficient balance required\n  }}\n}}"
    );
    let consume = format!(
        "mutation {{\n  consumeDust(input: {{\n    appId: \"{id}\"\n    action: \"{action}\"\n    idempotencyKey: \"order-2026-0001\"  # one per purchase: a retry with it is charged once\n  }}) {{\n    id amount balanceAfter replayed\n  }}\n}}"
    );
    let generate = format!(
        "mutation {{\n  generateText(input: {{\n    appId: \"{id}\"\n    action: \"{action}\"\n    prompt: \"Give me an idea for a rainy day\"\n    idempotencyKey: \"idea-2026-0001\"\n  }}) {{\n    text model wasFallback dustCharged usage {{ promptTokens completionTokens costUsd }}\n  }}\n}}"
    );
    let context = format!("query {{\n  aiContext(appId: \"{id}\") {{\n    text json\n  }}\n}}");
    let subscription = "# Over WebSocket at /graphql/ws (graphql-transport-ws), with\n# {\"Authorization\": \"Bearer <accessToken>\"} in connection_init\nsubscription {\n  dustBalanceChanged {\n    balance\n    transaction { amount action createdAt }\n  }\n}".to_owned();
    view! {
        <PageHeader
            title=format!("Quick start: {}", app.name)
            crumbs=vec![("My apps", "/builder/".to_owned()), ("App", format!("/builder/apps/{id}"))]
        />
        <p class="lead">
            "Every call goes to " <code>"POST /graphql"</code> " as the signed-in user. This app's id is "
            <code id="quick-start-app-id">{id.clone()}</code> "; its actions: " {prices}
        </p>
        <Step id="sign-in" title="Sign the user in" why="Your app gets the user's access token through the sign-in flow: the user proves their email (or phone) with a 6-digit code." code=sign_in />
        <Step id="check-dust" title="checkDust" why="Whether the user can pay for the action now. Nothing is charged." code=check />
        <TryIt app_id=id.clone() actions=app.actions.iter().map(|a| a.action.clone()).collect() />
        <Step id="consume-dust" title="consumeDust" why=format!("Charges the action's price ({price} DUST) once per idempotency key; retrying with the same key returns the first result.") code=consume />
        <Step id="generate-text" title="generateText" why="Calls the app's model (with its fallbacks) and charges the action only when the model answered." code=generate />
        <Step id="ai-context" title="aiContext" why="What the user told fairydust about themself and the people in their life, ready for a prompt." code=context />
        <Step id="subscription" title="dustBalanceChanged" why="Pushes the user's new balance whenever it changes, in your app or elsewhere." code=subscription />
    }
}

/// Runs checkDust for this app as the signed-in builder.
#[component]
fn TryIt(app_id: String, actions: Vec<String>) -> impl IntoView {
    let action = RwSignal::new(actions.first().cloned().unwrap_or_default());
    let run_it = Action::new_local(move |_: &()| {
        let app_id = app_id.clone();
        let action = action.get_untracked();
        async move {
            if action.is_empty() {
                return Err(PortalError::local("Add an action first."));
            }
            run::<TryCheckDust>(try_check_dust::Variables { app_id, action }).await
        }
    });
    let result = move || {
        run_it.value().get().map(|result| match result {
            Ok(data) => {
                let check = data.check_dust;
                view! {
                    <pre id="try-result" data-state="ok"><code>{format!(
                        "{{\n  \"checkDust\": {{\n    \"sufficient\": {},\n    \"balance\": {},\n    \"required\": {}\n  }}\n}}",
                        check.sufficient, check.balance, check.required
                    )}</code></pre>
                }
                    .into_any()
            }
            Err(error) => view! { <div id="try-result" data-state="error"><ErrorState error /></div> }.into_any(),
        })
    };
    view! {
        <section class="panel step" aria-labelledby="try-title">
            <h2 id="try-title">"Try it"</h2>
            <p>"Runs checkDust for this app as you, the builder: your own balance against the action's price."</p>
            <div class="inline-form">
                <div class="field">
                    <label for="try-action">"Action"</label>
                    <select id="try-action" on:change=move |event| action.set(event_target_value(&event))>
                        {actions.into_iter().map(|name| view! { <option value=name.clone()>{name.clone()}</option> }).collect_view()}
                    </select>
                </div>
                <button id="try-check-dust" type="button" disabled=move || run_it.pending().get() on:click=move |_| { run_it.dispatch_local(()); }>
                    "Run checkDust"
                </button>
            </div>
            {result}
        </section>
    }
}
