//! Sending the browser to another page from inside one.

use leptos::prelude::*;
use leptos_router::components::Redirect;

/// Sends the browser to `path`: through the client's router, or, for a
/// light page (which the client does not carry), as a whole page load. On
/// the server, a redirect.
#[component]
pub fn GoTo(#[prop(into)] path: String) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    if crate::pages::is_light(&path) {
        Effect::new(move |_| {
            let _ = window().location().set_href(&path);
        });
        return ().into_any();
    }
    view! { <Redirect path/> }.into_any()
}
