//! The 404 page.

use crate::{
    components::sentence,
    i18n::{t, Msg},
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text=t(Msg::NotFoundTitle)/>
        <h1>{t(Msg::NotFoundTitle)}</h1>
        <p>
            {sentence(Msg::NotFoundText, |_| view! {
                <a href="/">{t(Msg::NotFoundStartLink)}</a>
            }.into_any())}
        </p>
    }
}
