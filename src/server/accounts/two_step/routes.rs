//! The WebAuthn ceremonies, for the browser's small passkey script
//! (`public/passkey.js`): each is a `start` that answers the options for
//! `navigator.credentials`, and a `finish` that takes the browser's answer.
//! Answers are JSON: `{"options": …}`, `{"go": "/next/page"}`, or, with a
//! 4xx, `{"error": "…", "field": "…"}` in the page's language.
//!
//! - `/webauthn/register/{start,finish}`: add a passkey (logged in; the
//!   current password and the passkey's name come with `start`);
//! - `/webauthn/verify/{start,finish}`: the second step of the login
//!   waiting in this browser;
//! - `/webauthn/sign-in/{start,finish}`: sign in with a passkey alone.

use super::{manage, verify, Bound};
use crate::{
    domain::password::Secret,
    error::AppError,
    i18n::Lang,
    server::{
        accounts::sessions,
        http::request::{safe_next, RequestMeta},
        AppState, ServiceError,
    },
};
use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Extension, Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/webauthn/register/start", post(register_start))
        .route("/webauthn/register/finish", post(register_finish))
        .route("/webauthn/verify/start", post(verify_start))
        .route("/webauthn/verify/finish", post(verify_finish))
        .route("/webauthn/sign-in/start", post(sign_in_start))
        .route("/webauthn/sign-in/finish", post(sign_in_finish))
}

/// What the browser sends with a finish: its credential, and for a
/// sign-in where to go next.
#[derive(Deserialize)]
struct Finish {
    credential: Value,
    #[serde(default)]
    next: Option<String>,
}

#[derive(Deserialize)]
struct Register {
    #[serde(default)]
    name: String,
    #[serde(default)]
    current_password: String,
}

/// An answer with cookies to set.
struct Answer {
    body: Value,
    cookies: Vec<String>,
}

impl Answer {
    fn options(options: &str, ceremony_cookie: String) -> Result<Self, ServiceError> {
        let options: Value = serde_json::from_str(options).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Self {
            body: json!({ "options": options }),
            cookies: vec![ceremony_cookie],
        })
    }

    fn go(to: &str, cookies: Vec<String>) -> Self {
        Self {
            body: json!({ "go": to }),
            cookies,
        }
    }
}

/// The answer, or the error in the page's language.
fn respond(lang: Lang, result: Result<Answer, ServiceError>) -> Response {
    match result {
        Ok(Answer { body, cookies }) => {
            let mut response = Json(body).into_response();
            for cookie in cookies {
                if let Ok(v) = HeaderValue::from_str(&cookie) {
                    response.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            response
        }
        Err(e) => {
            let e = AppError::from(e);
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            let owner = leptos::prelude::Owner::new();
            let body = owner.with(|| {
                leptos::prelude::provide_context(lang);
                match &e {
                    AppError::Validation(problems) => {
                        let (field, problem) = &problems[0];
                        json!({ "error": problem.message(), "field": field })
                    }
                    e => json!({ "error": e.message() }),
                }
            });
            (status, Json(body)).into_response()
        }
    }
}

fn meta(request: &Request) -> RequestMeta {
    RequestMeta::of(request.headers(), request.extensions())
}

async fn body_json(request: Request) -> Result<Finish, ServiceError> {
    let bytes = axum::body::to_bytes(request.into_body(), 256 * 1024)
        .await
        .map_err(|_| AppError::BadRequest)?;
    Ok(serde_json::from_slice(&bytes).map_err(|_| AppError::BadRequest)?)
}

async fn logged_in(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(sessions::LiveSession, Option<String>), ServiceError> {
    let session = sessions::from_headers(state, headers)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok((session, sessions::read_cookie(&state.settings, headers)))
}

async fn register_start(
    State(state): State<AppState>,
    Extension(lang): Extension<Lang>,
    request: Request,
) -> Response {
    let (meta, headers) = (meta(&request), request.headers().clone());
    let result = async {
        let (session, _) = logged_in(&state, &headers).await?;
        let bytes = axum::body::to_bytes(request.into_body(), 16 * 1024)
            .await
            .map_err(|_| AppError::BadRequest)?;
        let form: Register =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| AppError::BadRequest)?;
        let current = Secret::from(form.current_password);
        let (options, id) =
            manage::passkey_start(&state, &session.user, &form.name, &current, &meta).await?;
        Answer::options(&options, Bound::Ceremony.set(&state.settings, &id))
    }
    .await;
    respond(lang, result)
}

async fn register_finish(
    State(state): State<AppState>,
    Extension(lang): Extension<Lang>,
    request: Request,
) -> Response {
    let (meta, headers) = (meta(&request), request.headers().clone());
    let result = async {
        let (session, session_id) = logged_in(&state, &headers).await?;
        let ceremony_id = Bound::Ceremony.read(&state.settings, &headers);
        let finish = body_json(request).await?;
        let ceremony = verify::take_ceremony(&state, ceremony_id.as_deref()).await?;
        let credential = finish.credential.to_string();
        let codes = manage::passkey_finish(
            &state,
            &session.user,
            session_id.as_deref(),
            ceremony,
            &credential,
            &meta,
        )
        .await?;
        let mut cookies = vec![Bound::Ceremony.clear(&state.settings)];
        if let Some(codes) = codes {
            cookies.push(crate::server::http::request::recovery_codes_cookie(
                &state, &codes,
            ));
        }
        let next = safe_next(&state.settings, finish.next.as_deref());
        let done = crate::domain::SecurityDone::PasskeyAdded.as_str();
        let to = match next.as_str() {
            "/account" => format!("/account/security?done={done}"),
            next => {
                let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
                format!("/account/security?done={done}&next={next}")
            }
        };
        Ok(Answer::go(&to, cookies))
    }
    .await;
    respond(lang, result)
}

async fn verify_start(
    State(state): State<AppState>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let id = Bound::PendingLogin.read(&state.settings, &headers);
        let waiting = verify::waiting(&state, id.as_deref())
            .await?
            .ok_or(AppError::SecondStepExpired)?;
        let (options, ceremony) = verify::passkey_second_step_start(&state, &waiting).await?;
        Answer::options(&options, Bound::Ceremony.set(&state.settings, &ceremony))
    }
    .await;
    respond(lang, result)
}

async fn verify_finish(
    State(state): State<AppState>,
    Extension(lang): Extension<Lang>,
    request: Request,
) -> Response {
    let (meta, headers) = (meta(&request), request.headers().clone());
    let result = async {
        let id = Bound::PendingLogin.read(&state.settings, &headers);
        let waiting = verify::waiting(&state, id.as_deref())
            .await?
            .ok_or(AppError::SecondStepExpired)?;
        let ceremony_id = Bound::Ceremony.read(&state.settings, &headers);
        let finish = body_json(request).await?;
        let ceremony = verify::take_ceremony(&state, ceremony_id.as_deref()).await?;
        let credential = finish.credential.to_string();
        let done =
            verify::passkey_second_step_finish(&state, waiting, ceremony, &credential, &meta)
                .await?;
        Ok(signed_in(&state, &headers, done).await)
    }
    .await;
    respond(lang, result)
}

async fn sign_in_start(
    State(state): State<AppState>,
    Extension(lang): Extension<Lang>,
) -> Response {
    let result = async {
        let (options, ceremony) = verify::passkey_sign_in_start(&state).await?;
        Answer::options(&options, Bound::Ceremony.set(&state.settings, &ceremony))
    }
    .await;
    respond(lang, result)
}

async fn sign_in_finish(
    State(state): State<AppState>,
    Extension(lang): Extension<Lang>,
    request: Request,
) -> Response {
    let (meta, headers) = (meta(&request), request.headers().clone());
    let result = async {
        let ceremony_id = Bound::Ceremony.read(&state.settings, &headers);
        let finish = body_json(request).await?;
        let ceremony = verify::take_ceremony(&state, ceremony_id.as_deref()).await?;
        let next = safe_next(&state.settings, finish.next.as_deref());
        let credential = finish.credential.to_string();
        let done =
            verify::passkey_sign_in_finish(&state, ceremony, &credential, &next, &meta).await?;
        Ok(signed_in(&state, &headers, done).await)
    }
    .await;
    respond(lang, result)
}

/// A session began: the browser's old one (if any) ends, the new one's
/// cookie is set, and what was under way is forgotten.
async fn signed_in(state: &AppState, headers: &HeaderMap, done: verify::Finished) -> Answer {
    if let Some(old) = sessions::read_cookie(&state.settings, headers) {
        sessions::end(state, &old).await.ok();
    }
    let mut cookies = sessions::set_cookies(state, &done.session_id);
    cookies.push(Bound::PendingLogin.clear(&state.settings));
    cookies.push(Bound::Ceremony.clear(&state.settings));
    Answer::go(&done.next, cookies)
}
