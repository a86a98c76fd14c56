//! Files the server hands out only to a bearer token (the admin CSV exports): a plain link cannot
//! carry the in-memory access token, so the portal fetches the file itself and saves it from a
//! blob, which keeps the token out of URLs, history and logs.

use gloo_net::http::Request;
use serde::Deserialize;
use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

use crate::graphql::UNAUTHENTICATED;
use crate::{PortalError, session};

/// The server's standard JSON error body: `{ "message", "details": { "code" } }`.
#[derive(Deserialize)]
struct ErrorBody {
    message: String,
    #[serde(default)]
    details: Option<ErrorDetails>,
}

#[derive(Deserialize)]
struct ErrorDetails {
    code: Option<String>,
}

async fn fetch_text(url: &str, token: Option<&str>) -> Result<String, PortalError> {
    let mut request = Request::get(url);
    if let Some(token) = token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let response = request
        .send()
        .await
        .map_err(|_| PortalError::local("Could not reach the server. Check the connection."))?;
    let status = response.status();
    if response.ok() {
        return response
            .text()
            .await
            .map_err(|_| PortalError::local("The download was cut off. Try again."));
    }
    Err(match response.json::<ErrorBody>().await {
        Ok(body) => PortalError {
            message: body.message,
            code: body.details.and_then(|details| details.code),
            field: None,
        },
        Err(_) => PortalError::local(format!("The server answered HTTP {status}.")),
    })
}

/// Fetches `url` (same origin, e.g. `/export/users.csv?role=ADMIN`) with the access token,
/// refreshing it once when it expired, and saves the answer as `filename`.
pub async fn download(url: String, filename: String) -> Result<(), PortalError> {
    let token = session::access_token();
    let text = match fetch_text(&url, token.as_deref()).await {
        Err(error) if token.is_some() && error.has_code(UNAUTHENTICATED) => {
            let renewed = session::refresh().await;
            fetch_text(
                &url,
                renewed.then(session::access_token).flatten().as_deref(),
            )
            .await?
        }
        result => result?,
    };
    save(&text, &filename).map_err(|_| PortalError::local("The browser refused to save the file."))
}

fn save(text: &str, filename: &str) -> Result<(), wasm_bindgen::JsValue> {
    let parts = js_sys::Array::of1(&text.into());
    let options = BlobPropertyBag::new();
    options.set_type("text/csv;charset=utf-8");
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let href = Url::create_object_url_with_blob(&blob)?;
    let document = leptos::prelude::document();
    let link: HtmlAnchorElement = document.create_element("a")?.unchecked_into();
    link.set_href(&href);
    link.set_download(filename);
    link.click();
    Url::revoke_object_url(&href)
}
