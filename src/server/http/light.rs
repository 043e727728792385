//! Light pages: what a visitor sees before logging in is sent without the
//! client (no WebAssembly, no hydration script), since its forms work as
//! plain posts; a few lines of inline script keep what the client did for
//! them (a busy submit button that cannot be pressed twice, focus on the
//! first field with an error). The reset page of a valid link keeps the
//! client for its live password hint; that of a used or unknown link is
//! light.

use crate::{
    pages::is_light,
    server::{accounts::password_reset, AppState},
};
use axum::{extract::Request, http::Method};

/// Whether a page loads the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    /// The client hydrates the page.
    Full,
    /// The server's HTML alone.
    Light,
}

/// Weighs a page request before it is rendered (the page shell reads it):
/// puts the page's [`Weight`] in the request's extensions.
pub(super) async fn mark(state: &AppState, req: &mut Request) {
    let weight = if req.method() == Method::GET {
        weigh(state, req.uri().path()).await
    } else {
        Weight::Full
    };
    req.extensions_mut().insert(weight);
}

async fn weigh(state: &AppState, path: &str) -> Weight {
    if is_light(path) {
        return Weight::Light;
    }
    let Some(token) = path.strip_prefix("/reset-password/") else {
        return Weight::Full;
    };
    match password_reset::link_state(state, token).await {
        Ok(password_reset::LinkState::Valid { .. }) => Weight::Full,
        // The page says the link has ended; an error renders its own page.
        _ => Weight::Light,
    }
}

/// The weight of the page being rendered.
pub fn of_page() -> Weight {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Weight>().copied())
        .unwrap_or(Weight::Full)
}

/// What a light page keeps of the client: a submit button shows it is
/// working and cannot be pressed twice (and is pressable again when the
/// browser comes back to the page), and the first field with an error has
/// the focus. Inline, with the page's nonce.
pub const LIGHT_SCRIPT: &str = r#"(function(){function busy(b,on){b.disabled=on;b.classList.toggle("pending",on);on?b.setAttribute("aria-busy","true"):b.removeAttribute("aria-busy")}document.addEventListener("submit",function(e){var b=e.submitter||e.target.querySelector("button[type=submit]");if(!b)return;if(b.disabled){e.preventDefault();return}b.name?setTimeout(function(){busy(b,true)},0):busy(b,true)});addEventListener("pageshow",function(e){if(e.persisted)document.querySelectorAll("button[aria-busy]").forEach(function(b){busy(b,false)})});document.addEventListener("DOMContentLoaded",function(){var f=document.querySelector("[aria-invalid=true]");if(f)f.focus()})})()"#;
