//! Gatehouse: self-hosted user accounts. The same crate builds the server
//! (`ssr`) and the WASM client that hydrates its pages (`hydrate`).

pub mod api;
pub mod app;
pub mod components;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        // The page's words first; without them the page stays as the
        // server sent it, which works without the client.
        if i18n::load().await.is_ok() {
            // Lazy: the admin pages' code is a separate chunk
            // (src/pages/admin), which hydration of those pages waits for.
            leptos::mount::hydrate_lazy(app::App);
        }
    });
}
