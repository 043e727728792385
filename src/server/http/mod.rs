//! The HTTP application, one file per job: where the browser bundle is
//! (`bundle`), the routes (`router`), what every request passes through
//! (`middleware`), the client's address behind proxies (`client_addr`), what
//! a server function knows of its request (`request`), which language a
//! request is answered in (`language`), the pages kept for visitors without
//! a cookie (`page_cache`), and starting and stopping the server (`serve`).

mod bundle;
pub mod client_addr;
pub mod language;
pub mod light;
mod middleware;
mod page_cache;
pub mod request;
mod router;
mod serve;

pub use bundle::{leptos_options, stylesheet_href, HASH_FILE};
pub use middleware::{content_security_policy, set_page_csp};
pub use page_cache::PageCache;
pub use router::router;
pub use serve::{build_state, serve, start, Running};
