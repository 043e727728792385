//! Passwords: the rules a new one must meet (`policy`), their hashing on
//! worker threads (`hashing`), and the hashes kept from other systems
//! until their owner's next login (`imported`).

mod hashing;
pub mod imported;
mod policy;

pub use hashing::{Area, HashError, Hasher, Verification};
pub use policy::{check_new_password, is_common, NewPassword, PasswordPair};
