//! One module per page.
//!
//! The admin pages are lazy routes: their code is a separate chunk
//! (split out by `cargo xtask bundle`) that the browser fetches when a site admin first
//! opens one, so nobody else downloads it. Splitting every page but login
//! as well made the first download 9% smaller, but the pages people open
//! next then each needed further chunks, 9% more in all (BENCHMARKS.md).

/// Declares `$route`, the lazy route that shows page component `$page`.
macro_rules! lazy_page {
    ($route:ident, $page:ident) => {
        #[doc = concat!("The lazily loaded route of [`", stringify!($page), "`].")]
        pub struct $route;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> leptos::prelude::AnyView {
                leptos::prelude::IntoAny::into_any($page())
            }
        }
    };
}

pub mod account;
pub mod admin;
pub mod forgot_password;
pub mod home;
pub mod log_out;
pub mod login;
pub mod login_verify;
pub mod not_found;
pub mod reset_password;
pub mod security;
pub mod setup;
pub mod sign_in_problem;

use crate::error::{AppError, Field};

/// The light pages: sent without the client (see the server's
/// `http::light`), so the browser always loads them whole, never through
/// the client's router, which does not carry them.
pub fn is_light(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    matches!(path, "/login" | "/login/verify" | "/forgot-password")
}
use leptos::prelude::*;

/// The message for one field from an action's error.
pub fn field_error(error: Signal<Option<AppError>>, field: Field) -> Signal<Option<String>> {
    Signal::derive(move || error.get().and_then(|e| e.field_message(field)))
}

/// The sentence at the top of the form.
pub fn form_error(error: Signal<Option<AppError>>) -> Signal<Option<String>> {
    Signal::derive(move || error.get().map(|e| e.message()))
}
