//! Everything that runs only on the server, grouped by what it does for
//! people: their own accounts, the admin panel, signing in to the site's
//! other apps, and mail; then the HTTP plumbing, the platform pieces every
//! service leans on, and storage (`db`, where all the SQL lives).

pub mod accounts;
pub mod admin;
pub mod cli;
pub mod db;
pub mod http;
pub mod mail;
pub mod platform;
pub mod sign_in;

mod error;
mod state;

pub use error::ServiceError;
pub use state::{AppState, Shared};
