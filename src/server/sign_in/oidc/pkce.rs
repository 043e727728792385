//! Proof Key for Code Exchange (RFC 7636), S256 only.

use super::error::OAuthError;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use sha2::{Digest, Sha256};

/// A code challenge an app sent with its authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge(String);

impl Challenge {
    /// The request's `code_challenge` and `code_challenge_method`: none, or
    /// a well-formed S256 challenge (`plain` is refused).
    pub fn parse(
        challenge: Option<&str>,
        method: Option<&str>,
    ) -> Result<Option<Self>, OAuthError> {
        match (challenge.filter(|c| !c.is_empty()), method) {
            (None, _) => Ok(None),
            (Some(_), Some(method)) if method != "S256" => Err(OAuthError::invalid_request(
                "only the S256 code_challenge_method is supported",
            )),
            (Some(_), None) => Err(OAuthError::invalid_request(
                "code_challenge_method=S256 is required",
            )),
            (Some(c), _) if !shaped(c) => {
                Err(OAuthError::invalid_request("code_challenge is malformed"))
            }
            (Some(c), _) => Ok(Some(Self(c.to_owned()))),
        }
    }

    /// As stored with the code.
    pub fn stored(stored: String) -> Self {
        Self(stored)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `verifier` is the one this challenge was made from.
    pub fn is_met_by(&self, verifier: &str) -> bool {
        shaped(verifier) && sha256_b64(verifier) == self.0
    }
}

fn sha256_b64(input: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(input.as_bytes()))
}

/// A PKCE verifier or challenge: 43 to 128 unreserved characters.
fn shaped(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_values_are_43_to_128_unreserved_characters() {
        assert!(shaped(&"a".repeat(43)));
        assert!(!shaped(&"a".repeat(42)));
        assert!(!shaped(&"a".repeat(129)));
        assert!(!shaped(&format!("{}+", "a".repeat(43))));
    }

    #[test]
    fn a_challenge_is_met_by_its_verifier_only() {
        // RFC 7636 appendix B.
        let challenge = Challenge::parse(
            Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
            Some("S256"),
        )
        .unwrap()
        .unwrap();
        assert!(challenge.is_met_by("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
        assert!(!challenge.is_met_by("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx"));
    }

    #[test]
    fn only_well_formed_s256_challenges_are_taken() {
        let c = "a".repeat(43);
        assert_eq!(Challenge::parse(None, Some("S256")), Ok(None));
        assert_eq!(Challenge::parse(Some(""), None), Ok(None));
        for (challenge, method) in [
            (c.as_str(), Some("plain")),
            (c.as_str(), None),
            ("short", Some("S256")),
        ] {
            let err = Challenge::parse(Some(challenge), method).unwrap_err();
            assert_eq!(err.code, super::super::error::ErrorCode::InvalidRequest);
        }
    }
}
