//! The server's own key, kept outside the database: it encrypts what a
//! copy of the database alone must not give away (the keys of people's
//! authenticator apps).
//!
//! It is `site.secret_key` (32 random bytes in base64, or the
//! `GATEHOUSE_SECRET_KEY` variable), which every instance of a site must
//! share; without one, the first start makes one in `<data_dir>/secret.key`
//! (readable by its owner only), and backups must keep that file with the
//! database (README, "Backups").

use base64::{engine::general_purpose::STANDARD, Engine as _};
use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    XChaCha20Poly1305, XNonce,
};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::Path;

/// The file a generated key is kept in, in the data directory.
pub const KEY_FILE: &str = "secret.key";

/// The server's key, as two keys derived from it: one for
/// XChaCha20-Poly1305 (what is sealed), one for HMAC-SHA256 (what is only
/// ever compared, such as recovery codes).
pub struct SecretKey {
    aead: XChaCha20Poly1305,
    mac: [u8; 32],
}

impl SecretKey {
    /// The configured key, or the one in `data_dir`, made there now if
    /// there is none yet.
    pub fn load(configured: Option<&[u8; 32]>, data_dir: &Path) -> Result<Self, String> {
        if let Some(key) = configured {
            return Ok(Self::from_bytes(key));
        }
        let path = data_dir.join(KEY_FILE);
        let read = || match std::fs::read_to_string(&path) {
            Ok(text) => parse(text.trim())
                .map(|key| Some(Self::from_bytes(&key)))
                .map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        };
        if let Some(key) = read()? {
            return Ok(key);
        }
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| format!("the OS random source: {e}"))?;
        if write_new(&path, &STANDARD.encode(key))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?
        {
            tracing::info!(file = %path.display(), "made the server's secret key; keep it with the database's backups");
        }
        // Read back: another instance starting beside this one may have
        // made the file first, and its key is the one.
        read()?.ok_or_else(|| format!("{} vanished as it was made", path.display()))
    }

    pub fn from_bytes(key: &[u8; 32]) -> Self {
        Self {
            aead: XChaCha20Poly1305::new(&derive(key, b"seal").into()),
            mac: derive(key, b"keyed hash"),
        }
    }

    /// A keyed hash of `data` for `purpose` (HMAC-SHA256, in hex): what a
    /// copy of the database holds of a secret too short to store as a
    /// plain hash (a recovery code's 50 bits can be tried one by one; not
    /// without this key).
    pub fn keyed_hash(&self, purpose: &str, data: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.mac).expect("any key length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(data);
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// `plaintext` encrypted and sealed for `purpose` (which must be given
    /// again to open it), as base64 of the nonce and the ciphertext.
    pub fn seal(&self, purpose: &str, plaintext: &[u8]) -> String {
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).expect("the OS random source is unavailable");
        let sealed = self
            .aead
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: purpose.as_bytes(),
                },
            )
            .expect("encrypting in memory does not fail");
        let mut out = nonce.to_vec();
        out.extend(sealed);
        STANDARD.encode(out)
    }

    /// What [`SecretKey::seal`] sealed for `purpose`; `None` when it was
    /// sealed with another key or for another purpose, or was altered.
    pub fn open(&self, purpose: &str, sealed: &str) -> Option<Vec<u8>> {
        let bytes = STANDARD.decode(sealed).ok()?;
        let (nonce, ciphertext) = bytes.split_at_checked(24)?;
        self.aead
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: purpose.as_bytes(),
                },
            )
            .ok()
    }
}

/// One of the keys derived from the server's key, for `use_`.
fn derive(key: &[u8; 32], use_: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    mac.update(use_);
    mac.finalize().into_bytes().into()
}

/// A key as written: 32 bytes in base64.
pub fn parse(text: &str) -> Result<[u8; 32], String> {
    STANDARD
        .decode(text)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| "a secret key is 32 bytes in base64 (openssl rand -base64 32)".into())
}

/// A new file readable by its owner only; an existing one is never
/// replaced (another instance may have made it first). Whether this call
/// made it.
fn write_new(path: &Path, content: &str) -> std::io::Result<bool> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(content.as_bytes())?;
            file.sync_all()?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_sealed_opens_only_with_its_key_and_purpose() {
        let key = SecretKey::from_bytes(&[7; 32]);
        let sealed = key.seal("totp", b"JBSWY3DPEHPK3PXP");
        assert_eq!(
            key.open("totp", &sealed).as_deref(),
            Some(&b"JBSWY3DPEHPK3PXP"[..])
        );
        assert_eq!(key.open("signing", &sealed), None, "another purpose");
        assert_eq!(
            SecretKey::from_bytes(&[8; 32]).open("totp", &sealed),
            None,
            "another key"
        );
        assert_ne!(
            key.seal("totp", b"x"),
            key.seal("totp", b"x"),
            "a new nonce each time"
        );
        assert_eq!(
            key.keyed_hash("code", b"abc"),
            key.keyed_hash("code", b"abc")
        );
        assert_ne!(
            key.keyed_hash("code", b"abc"),
            key.keyed_hash("other", b"abc")
        );
        assert_ne!(
            key.keyed_hash("code", b"abc"),
            SecretKey::from_bytes(&[8; 32]).keyed_hash("code", b"abc")
        );
    }

    #[test]
    fn a_key_is_made_once_in_the_data_directory_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = SecretKey::load(None, dir.path()).unwrap();
        let sealed = first.seal("totp", b"secret");
        let again = SecretKey::load(None, dir.path()).unwrap();
        assert_eq!(again.open("totp", &sealed).as_deref(), Some(&b"secret"[..]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(parse("too short").is_err());
    }
}
