//! Random secrets: reset/invitation tokens and session ids.
//!
//! 256 bits from the OS, URL-safe base64 in links and cookies, SHA-256 at
//! rest. SHA-256 suffices (no slow hash needed): the input is uniformly
//! random, so there is nothing to guess.

use crate::server::db::{self, tokens::TokenRow, Conn};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Length of an encoded token: 32 bytes in unpadded base64url.
pub const TOKEN_LEN: usize = 43;

pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is unavailable");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A new person's stable, opaque identifier for apps (OIDC `sub`): 128
/// random bits in hex.
pub fn subject() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source is unavailable");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn hash(raw: &str) -> String {
    format!("{:x}", Sha256::digest(raw.as_bytes()))
}

/// Whether `raw` looks like a token we could have made.
pub fn well_formed(raw: &str) -> bool {
    raw.len() == TOKEN_LEN
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Reset,
    Invite,
}

impl Purpose {
    /// The link an account gets: a reset once it has a password, an
    /// invitation until then.
    pub fn for_account(has_password: bool) -> Self {
        if has_password {
            Self::Reset
        } else {
            Self::Invite
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reset => "reset",
            Self::Invite => "invite",
        }
    }
}

/// What a token in a link turned out to be.
#[derive(Debug, Clone)]
pub enum TokenState {
    Valid(TokenRow),
    /// Ours, but expired or already used: the owner may ask for a new link.
    Spent(TokenRow),
    Unknown,
}

/// A new token for a link, made before its transaction: the raw value for
/// the link, and its row (only the hash is stored).
pub struct Fresh {
    pub raw: String,
    hash: String,
    purpose: Purpose,
    pub created_at: i64,
    pub expires_at: i64,
}

impl Fresh {
    pub fn new(purpose: Purpose, now: i64, hours: u32) -> Self {
        let raw = generate();
        Self {
            hash: hash(&raw),
            raw,
            purpose,
            created_at: now,
            expires_at: now + i64::from(hours) * 3600,
        }
    }

    pub fn row(&self, user_id: i64) -> db::tokens::NewToken<'_> {
        db::tokens::NewToken {
            user_id,
            token_hash: &self.hash,
            purpose: self.purpose.as_str(),
            created_at: self.created_at,
            expires_at: self.expires_at,
        }
    }
}

pub async fn issue(
    conn: &mut Conn,
    user_id: i64,
    purpose: Purpose,
    now: i64,
    hours: u32,
) -> sqlx::Result<(String, i64)> {
    let token = Fresh::new(purpose, now, hours);
    db::tokens::insert(conn, token.row(user_id)).await?;
    Ok((token.raw, token.expires_at))
}

pub async fn inspect(conn: &mut Conn, raw: &str, now: i64) -> sqlx::Result<TokenState> {
    if !well_formed(raw) {
        return Ok(TokenState::Unknown);
    }
    let wanted = hash(raw);
    let Some(row) = db::tokens::find_by_hash(conn, &wanted).await? else {
        return Ok(TokenState::Unknown);
    };
    // The lookup went through an index; confirm in constant time anyway.
    if !bool::from(row.token_hash.as_bytes().ct_eq(wanted.as_bytes())) {
        return Ok(TokenState::Unknown);
    }
    Ok(if row.used_at.is_none() && now < row.expires_at {
        TokenState::Valid(row)
    } else {
        TokenState::Spent(row)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_bits_and_are_url_safe() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        assert!(well_formed(&a), "{a}");
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 32);
    }

    #[test]
    fn only_the_hash_is_kept_and_it_is_stable() {
        let raw = generate();
        assert_eq!(hash(&raw), hash(&raw));
        assert_eq!(hash(&raw).len(), 64);
        assert!(!hash(&raw).contains(&raw));
    }

    #[test]
    fn garbage_is_not_well_formed() {
        for bad in ["", "abc", &"a".repeat(44), &"+".repeat(43), "ä"] {
            assert!(!well_formed(bad), "{bad}");
        }
    }
}
