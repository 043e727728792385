//! Recovery codes: ten single-use codes for someone who has lost their
//! authenticator app and passkeys. Each is 50 random bits, shown once as
//! `xxxxx-xxxxx` (lower-case letters and digits without look-alikes) and
//! stored as a keyed hash (HMAC-SHA256 with the server's key: 50 bits could
//! be tried one by one against a plain hash); as typed, case, spaces and
//! dashes do not matter.

use crate::server::platform::secret_key::SecretKey;

/// How many codes a person gets at a time.
pub const COUNT: usize = 10;
/// 32 characters without 0/o and 1/l: 5 bits each.
const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// A new set of codes, as shown to the person.
pub fn new_codes() -> Vec<String> {
    (0..COUNT)
        .map(|_| {
            let mut bytes = [0u8; 10];
            getrandom::fill(&mut bytes).expect("the OS random source is unavailable");
            let chars: String = bytes
                .iter()
                .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// The code as typed, in the form that is hashed: `None` when it cannot be
/// a recovery code at all.
pub fn normalize(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (code.len() == 10 && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// What is stored of a code.
pub fn hash(code: &str, key: &SecretKey) -> Option<String> {
    normalize(code).map(|code| key.keyed_hash("recovery code", code.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_ten_and_hash_alike_however_they_are_typed() {
        let key = SecretKey::from_bytes(&[1; 32]);
        let hash = |code: &str| hash(code, &key);
        let codes = new_codes();
        assert_eq!(codes.len(), COUNT);
        let first = &codes[0];
        assert_eq!(first.len(), 11);
        assert!(hash(first).is_some());
        assert_eq!(hash(first), hash(&first.to_uppercase().replace('-', " ")));
        assert_ne!(hash(&codes[0]), hash(&codes[1]));
        assert_eq!(
            normalize("123456"),
            None,
            "an authenticator code is not one"
        );
        assert_eq!(normalize("abcde-fghi0"), None, "0 is not in the alphabet");
    }
}
