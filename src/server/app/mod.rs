//! The HTTP application, one file per job: where the browser bundle is
//! (`bundle`), the routes (`router`), what every request passes through
//! (`middleware`), and starting and stopping the server (`serve`).

mod bundle;
mod middleware;
mod router;
mod serve;

pub use bundle::{leptos_options, stylesheet_href, HASH_FILE};
pub use middleware::{content_security_policy, set_page_csp};
pub use router::router;
pub use serve::{build_state, redact_url, serve, start, Running};
