//! An audit entry's recorded states side by side: key by key when both are objects, with the
//! changed keys marked, else each pretty-printed.

use std::collections::BTreeSet;

use leptos::prelude::*;
use serde_json::Value;

fn pretty(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "—".to_owned(),
        Some(Value::String(text)) => text.clone(),
        Some(value) => serde_json::to_string_pretty(value).unwrap_or_default(),
    }
}

/// Before and after, key by key when both are objects (changed keys marked), else side by side.
#[component]
pub fn AuditDiff(before: Option<Value>, after: Option<Value>) -> impl IntoView {
    let is_object =
        |value: &Option<Value>| matches!(value, None | Some(Value::Null | Value::Object(_)));
    if !(is_object(&before) && is_object(&after)) {
        return view! {
            <div class="diff-columns">
                <div><h4>"Before"</h4><pre>{pretty(before.as_ref())}</pre></div>
                <div><h4>"After"</h4><pre>{pretty(after.as_ref())}</pre></div>
            </div>
        }
        .into_any();
    }
    let field =
        |state: &Option<Value>, key: &str| state.as_ref().and_then(|state| state.get(key)).cloned();
    let keys: BTreeSet<String> = [&before, &after]
        .into_iter()
        .filter_map(|state| state.as_ref().and_then(Value::as_object))
        .flat_map(|object| object.keys().cloned())
        .collect();
    if keys.is_empty() {
        return view! { <p class="hint">"This action recorded no state."</p> }.into_any();
    }
    view! {
        <table class="diff">
            <thead>
                <tr>
                    <th scope="col">"Key"</th>
                    <th scope="col">"Before"</th>
                    <th scope="col">"After"</th>
                </tr>
            </thead>
            <tbody>
                {keys
                    .into_iter()
                    .map(|key| {
                        let (old, new) = (field(&before, &key), field(&after, &key));
                        let changed = old != new;
                        let key_attribute = key.clone();
                        view! {
                            <tr class:changed=changed data-key=key_attribute>
                                <th scope="row">{key}{changed.then_some(" (changed)")}</th>
                                <td><pre>{pretty(old.as_ref())}</pre></td>
                                <td><pre>{pretty(new.as_ref())}</pre></td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
