//! Facebook Login: a user access token is opaque, so the Graph API has to vouch for it. `debug_token` (called with
//! our app token) says whether it is valid and which app it was issued to; `/me` then says who the user is.
//!
//! Email: the Graph API has no `email_verified` flag, and an address Facebook returns is not proof that the user
//! controls it (accounts can be registered with phone numbers and carry unconfirmed addresses). So a Facebook email
//! never counts as verified: it neither links to an existing account nor becomes a new account's sign-in address.

use fairydust_schema::identity::oauth::{OAuthError, OAuthProvider, VerifiedIdentity};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::{not_configured, rejected, unavailable};
use crate::integrations::config::Secret;
use crate::integrations::http::{describe_transport_error, provider_text_excerpt};

const PROVIDER: OAuthProvider = OAuthProvider::Facebook;

pub(super) struct FacebookClient {
    pub(super) graph_url: String,
    pub(super) app_id: Option<String>,
    pub(super) app_secret: Option<Secret>,
    pub(super) http: reqwest::Client,
}

#[derive(Deserialize)]
struct DebugTokenResponse {
    data: DebugTokenData,
}

#[derive(Deserialize)]
struct DebugTokenData {
    #[serde(default)]
    is_valid: bool,
    app_id: Option<String>,
    user_id: Option<String>,
    error: Option<GraphErrorDetail>,
}

#[derive(Deserialize)]
struct GraphErrorBody {
    error: GraphErrorDetail,
}

#[derive(Deserialize)]
struct GraphErrorDetail {
    message: Option<String>,
}

#[derive(Deserialize)]
struct Profile {
    id: String,
    name: Option<String>,
    email: Option<String>,
    picture: Option<PictureField>,
}

#[derive(Deserialize)]
struct PictureField {
    data: Option<Picture>,
}

#[derive(Deserialize)]
struct Picture {
    url: Option<String>,
    #[serde(default)]
    is_silhouette: bool,
}

impl FacebookClient {
    pub(super) async fn verify(&self, access_token: &str) -> Result<VerifiedIdentity, OAuthError> {
        let (Some(app_id), Some(app_secret)) = (&self.app_id, &self.app_secret) else {
            return Err(not_configured(PROVIDER));
        };

        let app_token = format!("{app_id}|{}", app_secret.expose());
        let debug_url = format!("{}/debug_token", self.graph_url);
        let query = [
            ("input_token", access_token),
            ("access_token", app_token.as_str()),
        ];
        let (status, body) = self.get(&debug_url, &query).await?;
        if !status.is_success() {
            // debug_token answers 200 even for a bad input token; anything else means our app token was refused
            // or Facebook is failing, and neither is the user's fault.
            return Err(unavailable(
                PROVIDER,
                format!("debug_token failed: {}", graph_failure(status, &body)),
            ));
        }
        let token = serde_json::from_slice::<DebugTokenResponse>(&body)
            .map_err(|_| unavailable(PROVIDER, "debug_token answered with malformed JSON"))?
            .data;
        if !token.is_valid {
            let detail = token
                .error
                .and_then(|error| error.message)
                .map(|message| provider_text_excerpt(&message));
            let reason = match detail {
                Some(message) => format!("the access token is not valid: {message}"),
                None => "the access token is not valid (expired, revoked or malformed)".to_owned(),
            };
            return Err(rejected(PROVIDER, reason));
        }
        if token.app_id.as_deref() != Some(app_id.as_str()) {
            return Err(rejected(
                PROVIDER,
                "the access token was issued to another Facebook app",
            ));
        }

        // appsecret_proof ties the call to our app secret, so apps that require it keep working and a stolen token
        // cannot be replayed from elsewhere under our name.
        let proof = appsecret_proof(app_secret, access_token);
        let me_url = format!("{}/me", self.graph_url);
        let query = [
            ("fields", "id,name,email,picture"),
            ("access_token", access_token),
            ("appsecret_proof", proof.as_str()),
        ];
        let (status, body) = self.get(&me_url, &query).await?;
        if status.is_server_error() {
            return Err(unavailable(
                PROVIDER,
                format!("/me failed: {}", graph_failure(status, &body)),
            ));
        }
        if !status.is_success() {
            return Err(rejected(
                PROVIDER,
                format!(
                    "the profile could not be read: {}",
                    graph_failure(status, &body)
                ),
            ));
        }
        let profile: Profile = serde_json::from_slice(&body)
            .map_err(|_| unavailable(PROVIDER, "/me answered with malformed JSON"))?;
        if token
            .user_id
            .as_deref()
            .is_some_and(|user_id| user_id != profile.id)
        {
            return Err(rejected(
                PROVIDER,
                "the access token belongs to another user than the profile",
            ));
        }

        let picture_url = profile
            .picture
            .and_then(|picture| picture.data)
            .filter(|picture| !picture.is_silhouette)
            .and_then(|picture| picture.url);
        Ok(VerifiedIdentity {
            provider: PROVIDER,
            subject: profile.id,
            email_verified: false,
            email: profile.email,
            name: profile.name,
            picture_url,
        })
    }

    async fn get(
        &self,
        url: &str,
        query: &[(&str, &str)],
    ) -> Result<(reqwest::StatusCode, Vec<u8>), OAuthError> {
        let unreachable = |error: reqwest::Error| {
            unavailable(
                PROVIDER,
                format!("Graph API unreachable: {}", describe_transport_error(error)),
            )
        };
        let response = self
            .http
            .get(url)
            .query(query)
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status();
        let body = response.bytes().await.map_err(unreachable)?;
        Ok((status, body.to_vec()))
    }
}

/// HMAC-SHA256 of the access token keyed by the app secret, hex-encoded, as the Graph API expects.
fn appsecret_proof(app_secret: &Secret, access_token: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.expose().as_bytes())
        .expect("HMAC takes any key length");
    mac.update(access_token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn graph_failure(status: reqwest::StatusCode, body: &[u8]) -> String {
    match serde_json::from_slice::<GraphErrorBody>(body)
        .ok()
        .and_then(|body| body.error.message)
    {
        Some(message) => format!("HTTP {status}: {}", provider_text_excerpt(&message)),
        None => format!("HTTP {status}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appsecret_proof_is_the_hex_hmac_of_the_token() {
        // Reference value: printf 'user-token' | openssl dgst -sha256 -hmac 'app-secret'
        assert_eq!(
            appsecret_proof(&Secret::new("app-secret"), "user-token"),
            "b5a94d985eb7b68467d28ca5375162d12b9ca8fe238615acc927c8a9c08d2e95"
        );
    }
}
