//! The frame around every signed-in page: who may enter (`SessionGate`), the navigation, the
//! breadcrumbs and the sign-out button (`Shell`).

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use crate::session::{self, SessionState, SignedInUser, session_state};
use crate::toast::ToastRegion;
use crate::{Loading, ServerStatus, SignInForm};

/// One entry of the main navigation; `href` is relative to the portal's base, e.g. `/llm`.
#[derive(Clone, Copy, Debug)]
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
}

/// Restores the session from the cookie once, then shows the sign-in form, a refusal for an
/// account without the portal's role (`#refusal`, with only a sign-out button), or the children.
#[component]
pub fn SessionGate(
    heading: &'static str,
    /// Whether this account may use the portal.
    allowed: fn(&SignedInUser) -> bool,
    /// Shown to a signed-in account that is not allowed.
    refusal: &'static str,
    children: ChildrenFn,
) -> impl IntoView {
    let state = session_state();
    if state.get_untracked() == SessionState::Restoring {
        leptos::task::spawn_local(async {
            session::refresh().await;
        });
    }
    let children = StoredValue::new(children);
    view! {
        {move || match state.get() {
            SessionState::Restoring => {
                view! {
                    <main class="card">
                        <h1>{heading}</h1>
                        <Loading label="Restoring your session…" />
                    </main>
                }
                    .into_any()
            }
            SessionState::SignedOut => {
                view! {
                    <main class="card">
                        <h1>{heading}</h1>
                        <h2>"Sign in"</h2>
                        <SignInForm on_signed_in=|_| {} />
                        <ServerStatus />
                    </main>
                }
                    .into_any()
            }
            SessionState::SignedIn(user) if !allowed(&user) => {
                view! {
                    <main class="card">
                        <h1>{heading}</h1>
                        <p id="signed-in-as">"Signed in as " <strong>{user.fairyname}</strong></p>
                        <p id="refusal" class="notice" role="alert">{refusal}</p>
                        <SignOutButton />
                    </main>
                }
                    .into_any()
            }
            SessionState::SignedIn(_) => children.with_value(|children| children()).into_any(),
        }}
    }
}

/// `#sign-out`: ends the session on the server, which clears the cookie.
#[component]
pub fn SignOutButton() -> impl IntoView {
    let signing_out = Action::new_local(|_: &()| session::sign_out());
    view! {
        <button
            id="sign-out"
            type="button"
            class="secondary"
            disabled=move || signing_out.pending().get()
            on:click=move |_| {
                signing_out.dispatch_local(());
            }
        >
            "Sign out"
        </button>
    }
}

/// Header with the portal's name, the navigation and the signed-in user; the page below.
#[component]
pub fn Shell(
    heading: &'static str,
    /// The portal's base path, e.g. `/admin`, so the current page can be highlighted.
    base: &'static str,
    nav: &'static [NavItem],
    children: Children,
) -> impl IntoView {
    let state = session_state();
    let location = use_location();
    let fairyname = move || match state.get() {
        SessionState::SignedIn(user) => user.fairyname,
        _ => String::new(),
    };
    let is_current = move |href: &'static str| {
        let path = location.pathname.get();
        let local = path.strip_prefix(base).unwrap_or(&path);
        let local = if local.is_empty() { "/" } else { local };
        if href == "/" {
            local == "/"
        } else {
            local == href || local.starts_with(&format!("{href}/"))
        }
    };
    view! {
        <ToastRegion>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <div class="shell">
                <header class="topbar">
                    <span class="brand">{heading}</span>
                    <span class="who">
                        <span id="signed-in-as">{fairyname}</span>
                        <SignOutButton />
                    </span>
                </header>
                <nav class="sidenav" aria-label="Main">
                    <ul>
                        {nav
                            .iter()
                            .map(|item| {
                                let href = item.href;
                                view! {
                                    <li>
                                        <A
                                            href=href
                                            attr:class=move || {
                                                if is_current(href) { "current" } else { "" }
                                            }
                                        >
                                            {item.label}
                                        </A>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </nav>
                <main id="main" class="content" tabindex="-1">
                    {children()}
                </main>
            </div>
        </ToastRegion>
    }
}

/// The page's title under a breadcrumb trail; the last crumb is the current page (no link).
#[component]
pub fn PageHeader(
    #[prop(into)] title: String,
    /// Earlier pages as (label, href relative to the portal base, e.g. `/questions`).
    #[prop(default = Vec::new())]
    crumbs: Vec<(&'static str, String)>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="page-header">
            <nav class="breadcrumbs" aria-label="Breadcrumb">
                <ol>
                    {crumbs
                        .into_iter()
                        .map(|(label, href)| view! { <li><A href=href>{label}</A></li> })
                        .collect_view()}
                    <li aria-current="page">{title.clone()}</li>
                </ol>
            </nav>
            <div class="title-row">
                <h1>{title}</h1>
                {children.map(|children| children())}
            </div>
        </div>
    }
}
