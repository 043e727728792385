//! Mail: fixed templates, a durable outbox and the transports that deliver it.

pub mod outbox;
pub mod templates;
pub mod transport;
