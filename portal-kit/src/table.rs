//! Lists: server-side pagination over GraphQL connections (`first`/`after`, `totalCount`) and a
//! search box that waits for the typing to stop before it asks the server.

use std::time::Duration;

use leptos::prelude::*;

pub const PAGE_SIZES: [i32; 3] = [20, 50, 100];

/// Where a paginated list is. Connections page forward with cursors, so "previous" walks back
/// through the cursors already seen.
#[derive(Clone, Copy)]
pub struct Pagination {
    pub page_size: RwSignal<i32>,
    /// The `after` cursor of every page up to the current one (`None` for the first).
    cursors: RwSignal<Vec<Option<String>>>,
}

impl Default for Pagination {
    fn default() -> Self {
        Self::new()
    }
}

impl Pagination {
    pub fn new() -> Self {
        Self {
            page_size: RwSignal::new(PAGE_SIZES[0]),
            cursors: RwSignal::new(vec![None]),
        }
    }

    /// The `after` argument for the current page (tracked: a query reading it re-runs on change).
    pub fn after(&self) -> Option<String> {
        self.cursors
            .with(|cursors| cursors.last().cloned().flatten())
    }

    /// Zero-based.
    pub fn page_index(&self) -> usize {
        self.cursors.with(Vec::len) - 1
    }

    pub fn next(&self, end_cursor: String) {
        self.cursors
            .update(|cursors| cursors.push(Some(end_cursor)));
    }

    pub fn previous(&self) {
        self.cursors.update(|cursors| {
            if cursors.len() > 1 {
                cursors.pop();
            }
        });
    }

    /// Back to the first page, e.g. when the search or the page size changes.
    pub fn reset(&self) {
        self.cursors.set(vec![None]);
    }
}

/// "21–40 of 134", previous/next and the page size; `#pager`.
#[component]
pub fn Pager(
    pagination: Pagination,
    #[prop(into)] total_count: Signal<i64>,
    /// The rows on this page.
    #[prop(into)]
    shown: Signal<usize>,
    /// The connection's `endCursor` when it has a next page.
    #[prop(into)]
    next_cursor: Signal<Option<String>>,
) -> impl IntoView {
    let range = move || {
        let size = pagination.page_size.get() as usize;
        let first = pagination.page_index() * size;
        let shown = shown.get();
        if shown == 0 {
            format!("0 of {}", total_count.get())
        } else {
            format!("{}–{} of {}", first + 1, first + shown, total_count.get())
        }
    };
    view! {
        <nav id="pager" class="pager" aria-label="Pages">
            <span class="range" aria-live="polite">{range}</span>
            <button
                type="button"
                class="secondary"
                disabled=move || pagination.page_index() == 0
                on:click=move |_| pagination.previous()
            >
                "Previous"
            </button>
            <button
                type="button"
                class="secondary"
                disabled=move || next_cursor.get().is_none()
                on:click=move |_| {
                    if let Some(cursor) = next_cursor.get_untracked() {
                        pagination.next(cursor);
                    }
                }
            >
                "Next"
            </button>
            <label class="inline">
                "Rows per page "
                <select on:change=move |event| {
                    if let Ok(size) = event_target_value(&event).parse() {
                        pagination.page_size.set(size);
                        pagination.reset();
                    }
                }>
                    {PAGE_SIZES
                        .map(|size| {
                            view! {
                                <option
                                    value=size.to_string()
                                    selected=move || pagination.page_size.get() == size
                                >
                                    {size.to_string()}
                                </option>
                            }
                        })}
                </select>
            </label>
        </nav>
    }
}

/// A labelled search input whose `value` changes only after `delay` without typing, so a list is
/// not re-queried on every keystroke.
#[component]
pub fn SearchBox(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    /// The debounced text.
    value: RwSignal<String>,
    #[prop(default = Duration::from_millis(300))] delay: Duration,
) -> impl IntoView {
    let typed = RwSignal::new(value.get_untracked());
    let generation = StoredValue::new(0u64);
    let on_input = move |event| {
        let text = event_target_value(&event);
        typed.set(text.clone());
        let mine = generation.get_value() + 1;
        generation.set_value(mine);
        set_timeout(
            move || {
                if generation.try_get_value() == Some(mine) {
                    value.set(text);
                }
            },
            delay,
        );
    };
    view! {
        <div class="search">
            <label for=id.clone()>{label}</label>
            <input id=id type="search" prop:value=move || typed.get() on:input=on_input />
        </div>
    }
}
