//! Password hashes brought from other systems by `gatehouse import`, kept
//! as they came until their owner's next login, which replaces them with
//! Gatehouse's own argon2id: bcrypt (`$2a$`, `$2b$`, `$2y$`), Django's
//! `pbkdf2_sha256$…`, `argon2$argon2id$…` and `bcrypt_sha256$…`, and
//! Zope's and Plone's `{SSHA}…`. Argon2 PHC strings need nothing here: the
//! hasher verifies them as its own.
//!
//! Each is verified with a well-kept implementation (RustCrypto's `pbkdf2`
//! and `sha1`/`sha2`, the `bcrypt` crate) and compared in constant time, on
//! the hashing workers like any other hash. Their cost is bounded when they
//! are imported and again when they are read: a stored hash cannot make a
//! login work without end.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The most bcrypt rounds (2^cost) a kept hash may ask for: one above
/// Django's default (12) and PHP's (10, 12 since PHP 8.4); each step
/// doubles the work of every login until the hash is replaced.
pub const MOST_BCRYPT_COST: u32 = 13;

/// The most PBKDF2 iterations a kept Django hash may ask for (Django 6.0
/// makes 1,200,000).
pub const MOST_PBKDF2_ITERATIONS: u32 = 1_500_000;

/// The most memory (KiB) and passes a kept argon2 hash may ask for
/// (Django's default is 100 MiB and 2 passes).
pub const MOST_ARGON2_KIB: u32 = 128 * 1024;
pub const MOST_ARGON2_PASSES: u32 = 10;

/// A hash from another system, read.
#[derive(Debug, PartialEq, Eq)]
pub enum Kept<'a> {
    /// An argon2 PHC string (as is, or Django's without its `argon2` prefix).
    Argon2(&'a str),
    /// bcrypt's modular crypt string.
    Bcrypt(&'a str),
    /// Django's `bcrypt_sha256`: bcrypt over the SHA-256 of the password,
    /// in hex (so long passwords are not cut at 72 bytes).
    BcryptSha256(&'a str),
    /// Django's `pbkdf2_sha256$iterations$salt$hash`: the salt is used as
    /// its text, the hash is base64.
    Pbkdf2Sha256 {
        iterations: u32,
        salt: &'a str,
        hash: Vec<u8>,
    },
    /// Zope's `{SSHA}`: base64 of SHA-1(password + salt), then the salt.
    Ssha { digest: Vec<u8>, salt: Vec<u8> },
}

/// Why a hash cannot be kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unkept {
    #[error("unknown password hash format")]
    UnknownFormat,
    #[error("malformed {0} hash")]
    Malformed(&'static str),
    #[error("{0} hash too costly to verify (at most {1})")]
    TooCostly(&'static str, u32),
}

impl<'a> Kept<'a> {
    /// Reads a stored or imported hash; its cost within the bounds above.
    pub fn read(stored: &'a str) -> Result<Self, Unkept> {
        if stored.starts_with("$argon2") {
            return argon2(stored).map(|()| Self::Argon2(stored));
        }
        if let Some(phc) = stored.strip_prefix("argon2$") {
            let phc = &stored[stored.len() - phc.len() - 1..];
            return argon2(phc).map(|()| Self::Argon2(phc));
        }
        if let Some(rest) = stored.strip_prefix("bcrypt_sha256$") {
            return bcrypt(rest).map(|()| Self::BcryptSha256(rest));
        }
        if ["$2a$", "$2b$", "$2y$"]
            .iter()
            .any(|p| stored.starts_with(p))
        {
            return bcrypt(stored).map(|()| Self::Bcrypt(stored));
        }
        if let Some(rest) = stored.strip_prefix("pbkdf2_sha256$") {
            return pbkdf2(rest);
        }
        if let Some(rest) = stored.strip_prefix("{SSHA}") {
            let malformed = Unkept::Malformed("{SSHA}");
            let bytes = STANDARD
                .decode(rest.trim())
                .map_err(|_| malformed.clone())?;
            if bytes.len() <= 20 {
                return Err(malformed);
            }
            let (digest, salt) = bytes.split_at(20);
            return Ok(Self::Ssha {
                digest: digest.to_vec(),
                salt: salt.to_vec(),
            });
        }
        Err(Unkept::UnknownFormat)
    }

    /// Whether `password` is the one this hash was made of, compared in
    /// constant time. Not for [`Kept::Argon2`], which the hasher verifies
    /// in its working area (false here).
    pub fn verify(&self, password: &str) -> bool {
        match self {
            Self::Argon2(_) => false,
            Self::Bcrypt(hash) => bcrypt::verify(password, hash).unwrap_or(false),
            Self::BcryptSha256(hash) => {
                let hex = format!("{:x}", Sha256::digest(password.as_bytes()));
                bcrypt::verify(hex, hash).unwrap_or(false)
            }
            Self::Pbkdf2Sha256 {
                iterations,
                salt,
                hash,
            } => {
                let mut computed = vec![0u8; hash.len()];
                pbkdf2::pbkdf2_hmac::<Sha256>(
                    password.as_bytes(),
                    salt.as_bytes(),
                    *iterations,
                    &mut computed,
                );
                bool::from(computed.ct_eq(hash))
            }
            Self::Ssha { digest, salt } => {
                let mut sha = Sha1::new();
                sha.update(password.as_bytes());
                sha.update(salt);
                bool::from(sha.finalize().as_slice().ct_eq(digest))
            }
        }
    }
}

/// An argon2 PHC string within the bounds.
fn argon2(phc: &str) -> Result<(), Unkept> {
    use argon2::{password_hash::PasswordHash, Params};
    let malformed = Unkept::Malformed("argon2");
    let parsed = PasswordHash::new(phc).map_err(|_| malformed.clone())?;
    if !["argon2id", "argon2i", "argon2d"].contains(&parsed.algorithm.as_str())
        || parsed.hash.is_none()
        || parsed.salt.is_none()
    {
        return Err(malformed);
    }
    let params = Params::try_from(&parsed).map_err(|_| malformed)?;
    if params.m_cost() > MOST_ARGON2_KIB {
        return Err(Unkept::TooCostly("argon2 memory (KiB)", MOST_ARGON2_KIB));
    }
    if params.t_cost() > MOST_ARGON2_PASSES {
        return Err(Unkept::TooCostly("argon2 passes", MOST_ARGON2_PASSES));
    }
    Ok(())
}

/// A bcrypt string (`$2b$12$` + 53 characters) within the bounds.
fn bcrypt(hash: &str) -> Result<(), Unkept> {
    let malformed = Unkept::Malformed("bcrypt");
    let parts: Vec<&str> = hash.split('$').collect();
    let ["", variant, cost, rest] = parts[..] else {
        return Err(malformed);
    };
    let bcrypt_chars = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '/';
    if !["2a", "2b", "2y"].contains(&variant) || rest.len() != 53 || !rest.chars().all(bcrypt_chars)
    {
        return Err(malformed);
    }
    let cost: u32 = cost.parse().map_err(|_| malformed.clone())?;
    if !(4..=31).contains(&cost) {
        return Err(malformed);
    }
    if cost > MOST_BCRYPT_COST {
        return Err(Unkept::TooCostly("bcrypt cost", MOST_BCRYPT_COST));
    }
    Ok(())
}

/// Django's `pbkdf2_sha256` after its name: `iterations$salt$hash`.
fn pbkdf2(rest: &str) -> Result<Kept<'_>, Unkept> {
    let malformed = Unkept::Malformed("pbkdf2_sha256");
    let mut parts = rest.split('$');
    let (Some(iterations), Some(salt), Some(hash), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed);
    };
    let iterations: u32 = iterations.parse().map_err(|_| malformed.clone())?;
    let hash = STANDARD.decode(hash).map_err(|_| malformed.clone())?;
    if iterations == 0 || salt.is_empty() || hash.len() < 16 || hash.len() > 64 {
        return Err(malformed);
    }
    if iterations > MOST_PBKDF2_ITERATIONS {
        return Err(Unkept::TooCostly(
            "pbkdf2_sha256 iterations",
            MOST_PBKDF2_ITERATIONS,
        ));
    }
    Ok(Kept::Pbkdf2Sha256 {
        iterations,
        salt,
        hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_apart_and_their_cost_is_bounded() {
        let bcrypt = "$2b$04$abcdefghijklmnopqrstuu5MBRgWjVPqLa6FuOgpQ2iYbhHjDHoJ.";
        assert_eq!(Kept::read(bcrypt), Ok(Kept::Bcrypt(bcrypt)));
        let costly = bcrypt.replace("$04$", "$14$");
        assert_eq!(
            Kept::read(&costly),
            Err(Unkept::TooCostly("bcrypt cost", MOST_BCRYPT_COST))
        );
        assert!(matches!(
            Kept::read("pbkdf2_sha256$2000000$salt$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
            Err(Unkept::TooCostly(..))
        ));
        assert!(matches!(
            Kept::read("argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"),
            Ok(Kept::Argon2(
                "$argon2id$v=19$m=102400,t=2,p=8$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
            ))
        ));
        for unknown in ["md5$abc$def", "plain", "", "sha1$x$y", "{SHA}abc"] {
            assert_eq!(Kept::read(unknown), Err(Unkept::UnknownFormat), "{unknown}");
        }
        for malformed in [
            "$2b$12$short",
            "{SSHA}not base64!",
            "pbkdf2_sha256$x$salt$hash",
        ] {
            assert!(
                matches!(Kept::read(malformed), Err(Unkept::Malformed(_))),
                "{malformed}"
            );
        }
    }
}
