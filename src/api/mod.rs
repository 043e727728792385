//! Server functions, grouped by feature. Each is a thin adapter: parse,
//! call one service in `server/`, map the result. Paths are stable.

pub mod admin_users;
pub mod auth;
pub mod password_reset;
