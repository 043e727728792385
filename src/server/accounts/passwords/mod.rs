//! Passwords: the rules a new one must meet (`policy`) and their hashing
//! on worker threads (`hashing`).

mod hashing;
mod policy;

pub use hashing::{Area, HashError, Hasher, Verification};
pub use policy::{check_new_password, is_common, NewPassword, PasswordPair};
