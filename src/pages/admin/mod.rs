//! The admin panel: users, apps and the audit log. Site admins only.

pub mod apps;
pub mod audit;
pub mod confirm;
pub mod groups;
pub mod mail;
pub mod users;

use crate::{
    components::{sentence, Auth, GoTo},
    domain::CurrentUser,
    error::AppError,
    i18n::{t, Msg},
};
use leptos::prelude::*;

/// Renders `page` for site admins; others get a "not allowed" page (403),
/// visitors the login page.
pub fn admin_only<V: IntoView + 'static>(
    back: &'static str,
    page: impl Fn(CurrentUser) -> V + Send + Sync + Clone + 'static,
) -> impl IntoView {
    let auth = expect_context::<Auth>();
    view! {
        <Suspense fallback=|| view! { <p>{t(Msg::CommonLoading)}</p> }>
            {move || {
                let page = page.clone();
                Suspend::new(async move {
                    match auth.user.await {
                        Ok(Some(user)) if user.is_admin() => page(user).into_any(),
                        Ok(Some(_)) => view! { <NotAllowed/> }.into_any(),
                        _ => view! { <GoTo path=format!("/login?next={back}")/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn NotAllowed() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(http::StatusCode::FORBIDDEN);
        }
    }
    view! {
        <h1>{t(Msg::AdminNotAllowedTitle)}</h1>
        <p>
            {sentence(Msg::AdminNotAllowedText, |_| view! {
                <a href="/account">{t(Msg::AdminBackLink)}</a>
            }.into_any())}
        </p>
    }
}

/// After a change refused for want of the admin's recent password (see
/// [`AppError::PasswordAgain`]): the way to give it, then come back.
#[component]
pub fn PasswordAgainLink(
    #[prop(into)] errors: Signal<Vec<Option<AppError>>>,
    back: &'static str,
) -> impl IntoView {
    let shown = move || {
        errors
            .get()
            .iter()
            .any(|e| e == &Some(AppError::PasswordAgain))
    };
    move || {
        shown().then(|| {
            view! {
                <p class="alert alert-error" id="password-again">
                    <a href=format!("/admin/confirm?next={back}")>{t(Msg::AdminConfirmLink)}</a>
                </p>
            }
        })
    }
}

/// Percent-encodes a query value (with the percent-encoding crate, which the
/// browser bundle already carries for Leptos's router).
pub fn encode_query(value: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    /// Everything but RFC 3986's unreserved characters.
    const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(super::encode_query("a b&c=ä"), "a%20b%26c%3D%C3%A4");
    }
}
