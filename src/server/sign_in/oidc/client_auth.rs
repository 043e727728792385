//! How an app proves who it is at the token and revocation endpoints:
//! `client_secret_basic`, `client_secret_post`, or none for a public app.

use super::{
    answer::oauth_error,
    error::{ErrorCode, Failure, OAuthError},
};
use crate::server::{
    admin::apps,
    db,
    platform::{
        audit::{self, Entry, Event},
        client::{throttle_subject, ClientAddr, RequestMeta},
        rate_limit::Limit,
    },
    AppState,
};
use axum::{
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::Response,
};
use base64::{engine::general_purpose::STANDARD, Engine as _};
use std::collections::HashMap;

/// An app's form fields, each at most once (RFC 6749 §3.2).
pub type Form = HashMap<String, String>;

/// The credentials an app presented.
#[derive(Debug, Clone, Default)]
pub struct ClientAuth {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Whether the credentials came in an `Authorization: Basic` header
    /// (an `invalid_client` answer then says so in `WWW-Authenticate`).
    pub basic: bool,
}

/// An app's call to the token or revocation endpoint: its form fields
/// (each once) and its credentials, or the error to answer (and whether
/// the credentials came as Basic).
pub fn app_call(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Form, ClientAuth), (OAuthError, bool)> {
    let Some(form) = form_fields(body) else {
        return Err((
            OAuthError::invalid_request("a parameter was repeated"),
            false,
        ));
    };
    let auth = client_auth(headers, &form).map_err(|e| (e, true))?;
    Ok((form, auth))
}

/// The form fields, each at most once.
fn form_fields(body: &[u8]) -> Option<Form> {
    let mut fields = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        if fields.insert(k.into_owned(), v.into_owned()).is_some() {
            return None;
        }
    }
    Some(fields)
}

/// Client credentials from `Authorization: Basic` (each part
/// form-urlencoded, RFC 6749 §2.3.1) or from the form; never both.
fn client_auth(headers: &HeaderMap, form: &Form) -> Result<ClientAuth, OAuthError> {
    let from_form = ClientAuth {
        client_id: form.get("client_id").cloned(),
        client_secret: form.get("client_secret").cloned(),
        basic: false,
    };
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(from_form);
    };
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return Ok(from_form);
    };
    let invalid = || OAuthError::new(ErrorCode::InvalidClient, "malformed Basic credentials");
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| invalid())?;
    let decoded = String::from_utf8(decoded).map_err(|_| invalid())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(invalid)?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    if from_form.client_secret.is_some() {
        return Err(OAuthError::invalid_request(
            "use one client authentication method",
        ));
    }
    let id = unescape(id);
    if from_form.client_id.as_deref().is_some_and(|f| f != id) {
        return Err(invalid());
    }
    Ok(ClientAuth {
        client_id: Some(id),
        client_secret: Some(unescape(secret)),
        basic: true,
    })
}

/// Failed client authentication allowed an address: 20 at once, then one
/// every 6 seconds. An app with its right credentials never counts.
const CLIENT_AUTH_FAILURES: Limit = Limit {
    per_hour: 600,
    burst: 20,
};

/// Where an app's call came from, for the throttle of failed client
/// authentication: kept in this process (a flood of bad credentials writes
/// nothing), per address ([`CLIENT_AUTH_FAILURES`]).
pub struct Caller<'s> {
    state: &'s AppState,
    key: String,
    meta: RequestMeta,
}

impl<'s> Caller<'s> {
    pub fn new(state: &'s AppState, addr: Option<axum::Extension<ClientAddr>>) -> Self {
        let addr = addr.map(|a| a.0 .0);
        Self {
            state,
            key: addr.map_or_else(|| "unknown".to_owned(), throttle_subject),
            meta: RequestMeta {
                addr,
                ..RequestMeta::default()
            },
        }
    }

    /// The app's call (its form and credentials), or the answer already:
    /// for an address that failed too often, or a call that cannot be read
    /// (counted like any failure).
    pub fn read(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(Form, ClientAuth), Box<Response>> {
        if let Some(refused) = self.refused() {
            return Err(Box::new(refused));
        }
        app_call(headers, body).map_err(|(e, basic)| {
            self.note(&e.clone().into(), None);
            Box::new(oauth_error(e, basic))
        })
    }

    /// The answer to an app's failed call, noted (see [`Caller::note`]).
    pub fn failed(&self, failure: Failure, auth: &ClientAuth) -> Response {
        self.note(&failure, auth.client_id.as_deref());
        super::answer::failure(failure, auth.basic)
    }

    /// An answer for an address that failed too often, if this one has.
    fn refused(&self) -> Option<Response> {
        let limit = CLIENT_AUTH_FAILURES;
        let throttled =
            self.state
                .client_auth_failures
                .refuses(&self.key, self.state.clock.now_ms(), limit)?;
        let e = OAuthError::new(
            ErrorCode::InvalidClient,
            "too many failed client authentications from this address; try again later",
        );
        let mut response = oauth_error(e, false);
        *response.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        if let Ok(v) = HeaderValue::from_str(&throttled.retry_after_secs.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        Some(response)
    }

    /// Counts the answer's failure, if the app was not who it said, and
    /// audits a refused app or code (one row an hour for each app and
    /// address, counted, so a flood writes one row: see
    /// `audit::record_repeated`). A replay is audited where it is found.
    fn note(&self, failure: &Failure, client_id: Option<&str>) {
        let Failure::OAuth(e) = failure else {
            return;
        };
        let event = match e.code {
            ErrorCode::InvalidClient => {
                let limit = CLIENT_AUTH_FAILURES;
                self.state
                    .client_auth_failures
                    .count(&self.key, self.state.clock.now_ms(), limit);
                Event::AppAuthFailed
            }
            ErrorCode::InvalidGrant if e.description != REPLAYED => Event::AppTokenRefused,
            _ => return,
        };
        let client = client_id
            .unwrap_or("-")
            .chars()
            .take(100)
            .collect::<String>();
        let detail = format!("{client}: {}", e.description);
        let key = format!("{client}:{}", self.key);
        // Off the request's path: the answer never waits for a write (on
        // SQLite, the one writer), and the address's throttle bounds how
        // many of these a flood makes.
        let (state, meta) = (self.state.clone(), self.meta.clone());
        tokio::spawn(async move {
            let recorded = async {
                let mut conn = state.db.conn().await?;
                let entry = Entry::new(event).detail(&detail);
                let repeated = audit::Repeated { entry, key: &key };
                audit::record_repeated(&mut conn, state.clock.now(), &meta, repeated).await
            };
            if let Err(e) = recorded.await {
                tracing::error!(error = %e, "could not audit an app's refused request");
            }
        });
    }
}

/// The description of a code or refresh token presented a second time.
pub const REPLAYED: &str = "the code or refresh token was already used";

/// The app behind the credentials: a confidential app with its right
/// secret, or a public app that sent none.
pub async fn authenticate(
    conn: &mut db::Conn,
    auth: &ClientAuth,
) -> Result<db::apps::AppRow, Failure> {
    let client_id = auth.client_id.as_deref().filter(|c| !c.is_empty());
    let app = match client_id {
        Some(id) => db::apps::find(conn, id).await?,
        None => None,
    };
    let authenticated = app.filter(|app| match (&auth.client_secret, app.is_public()) {
        (Some(secret), false) => apps::secret_matches(app, secret),
        (None, true) => true,
        _ => false,
    });
    authenticated.ok_or_else(|| OAuthError::invalid_client().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded_and_exclusive_with_the_form() {
        let mut headers = HeaderMap::new();
        let creds = STANDARD.encode("my%20app:s%3Acret");
        headers.insert(
            header::AUTHORIZATION,
            format!("Basic {creds}").parse().unwrap(),
        );
        let auth = client_auth(&headers, &Default::default()).unwrap();
        assert_eq!(auth.client_id.as_deref(), Some("my app"));
        assert_eq!(auth.client_secret.as_deref(), Some("s:cret"));
        assert!(auth.basic);
        let form = [("client_secret".to_owned(), "x".to_owned())]
            .into_iter()
            .collect();
        assert_eq!(
            client_auth(&headers, &form).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
    }

    #[test]
    fn repeated_form_fields_are_refused() {
        assert!(form_fields(b"a=1&b=2").is_some());
        assert!(form_fields(b"a=1&a=2").is_none());
    }
}
