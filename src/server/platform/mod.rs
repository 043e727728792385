//! What every service leans on: configuration, the clock, random tokens,
//! the server's own secret key, throttling, the audit log, metrics, memory
//! and periodic clean-up.

pub mod audit;
pub mod client;
pub mod clock;
pub mod config;
pub mod housekeeping;
pub mod memory;
pub mod metrics;
pub mod rate_limit;
pub mod secret_key;
pub mod tokens;
