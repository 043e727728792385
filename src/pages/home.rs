//! `/`: sends people where they belong.

use crate::components::{Auth, GoTo};
use leptos::prelude::*;

#[component]
pub fn HomePage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                match auth.user.await {
                    Ok(Some(_)) => view! { <GoTo path="/account"/> }.into_any(),
                    _ => view! { <GoTo path="/login"/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
