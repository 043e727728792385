//! What the security page and the login's second step show: a person's
//! second factors as they see them (never a stored key or code).

use serde::{Deserialize, Serialize};

/// `/account/security`: the person's second factors, and what to show once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityState {
    /// An authenticator app is set up.
    pub app: bool,
    /// The app to set up (when none is): its key and QR code.
    pub app_setup: Option<AppSetup>,
    /// Unused recovery codes.
    pub recovery_codes: i64,
    /// Recovery codes made just now, shown this once.
    pub new_codes: Option<Vec<String>>,
    pub passkeys: Vec<PasskeyEntry>,
    /// Whether this site's address allows passkeys (a domain name).
    pub passkeys_offered: bool,
    /// The site requires a second factor of this person, who has none.
    pub required: bool,
    /// Where to go on once a factor is set up (a safe, local path or a
    /// listed app), when the person came here on the way somewhere.
    pub continue_to: Option<String>,
}

impl SecurityState {
    pub fn on(&self) -> bool {
        self.app || !self.passkeys.is_empty()
    }
}

/// An authenticator app being set up: the key as people type it (base32)
/// and the QR code of its `otpauth://` URI, drawn on the server as SVG.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSetup {
    pub key: String,
    pub qr_svg: String,
}

/// One passkey, as its owner sees it. Times in the site's zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyEntry {
    /// Its credential id (base64url), to name it in a form.
    pub id: String,
    pub name: String,
    pub added: String,
    pub last_used: Option<String>,
}

/// `/login/verify`: whether a login waits in this browser, and whether its
/// person has a passkey to offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyState {
    pub waiting: bool,
    pub passkeys: bool,
}
