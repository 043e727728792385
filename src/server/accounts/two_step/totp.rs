//! Authenticator apps: TOTP (RFC 6238) with SHA-1, 6 digits and 30-second
//! steps, what Google Authenticator, Authy, 1Password and Aegis all take.
//! A code is accepted for the current step or the one before or after it
//! (a clock a little off), and once only: the caller stores the step a code
//! was accepted for, and no code of that step or an earlier one is taken
//! again.

use totp_rs::{Algorithm, Builder, Totp};

/// Seconds in one step.
pub const STEP_SECS: u64 = 30;
/// The key's length: 160 bits, as RFC 4226 recommends.
pub const KEY_BYTES: usize = 20;

/// A new key, from the OS random source.
pub fn new_key() -> [u8; KEY_BYTES] {
    let mut key = [0u8; KEY_BYTES];
    getrandom::fill(&mut key).expect("the OS random source is unavailable");
    key
}

/// The key as people type it into an app: base32 without padding.
pub fn base32(key: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(key)
}

/// The generator for `key`, named for the site and the person (a `:` is
/// no part of either in an `otpauth://` label).
fn totp(key: &[u8], site_name: &str, account: &str) -> Option<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(STEP_SECS)
        .with_skew(1)
        .with_secret(key.to_vec())
        .with_issuer(Some(site_name.replace(':', " ")))
        .with_account_name(account.replace(':', " "))
        .build()
        .ok()
}

/// `otpauth://totp/<site>:<account>?secret=…&issuer=<site>`, which the QR
/// code carries.
pub fn uri(key: &[u8], site_name: &str, account: &str) -> Option<String> {
    totp(key, site_name, account)?.to_url().ok()
}

/// The step `code` is right for at `now` (Unix seconds): the current one,
/// or one before or after; `None` when it is right for none of them.
pub fn step_of(key: &[u8], code: &str, now: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let now = u64::try_from(now).ok()?;
    let step = totp(key, "x", "x")?.check(&code, now)?;
    i64::try_from(step).ok()
}

/// The QR code of `uri` as an SVG drawing, for the page to show inline:
/// drawn on the server, so that no script is needed.
pub fn qr_svg(uri: &str) -> Option<String> {
    use qrcode::{render::svg, EcLevel, QrCode};
    let code = QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M).ok()?;
    let svg = code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build();
    // Inline in HTML: without the XML declaration.
    Some(match svg.find("<svg") {
        Some(start) => svg[start..].to_owned(),
        None => svg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, for SHA-1 (the 8-digit codes' last 6 digits).
    #[test]
    fn codes_are_rfc_6238s() {
        let key = b"12345678901234567890";
        assert_eq!(step_of(key, "287082", 59), Some(1));
        assert_eq!(step_of(key, "081804", 1_111_111_109), Some(37_037_036));
        assert_eq!(step_of(key, "050471", 1_111_111_111), Some(37_037_037));
    }

    #[test]
    fn a_code_is_taken_one_step_either_side_and_no_further() {
        let key = b"12345678901234567890";
        // 287082 is step 1's code (seconds 30..60).
        assert_eq!(step_of(key, "287082", 30 + 30), Some(1), "one step late");
        assert_eq!(step_of(key, "287082", 0), Some(1), "one step early");
        assert_eq!(step_of(key, "287082", 95), None, "two steps late");
        assert_eq!(step_of(key, "28708", 59), None, "five digits");
        assert_eq!(
            step_of(key, "287 082", 59),
            Some(1),
            "spaces are no part of it"
        );
    }

    #[test]
    fn the_uri_names_the_site_and_carries_the_key() {
        let key = [1u8; KEY_BYTES];
        let uri = uri(&key, "Acme: Consultations", "jane@acme.test").unwrap();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains(&format!("secret={}", base32(&key))), "{uri}");
        assert!(uri.contains("issuer=Acme"), "{uri}");
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("</svg>"));
    }
}
