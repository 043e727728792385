//! Passkeys (WebAuthn), through webauthn-rs: adding one on the security
//! page, and signing in with one, as the only step (a discoverable
//! credential: no email typed) or as the second after the password.
//!
//! Every ceremony's state stays on the server, bound to the browser that
//! began it (the hash of a random id in its cookie) and good once for five
//! minutes; user verification is required. The relying party is the host of
//! `site.public_url`: on an IP address (as in `http://127.0.0.1:3000`)
//! browsers refuse passkeys, so the site offers none; `http://localhost`
//! works for trying them out.

use crate::{
    error::AppError,
    server::{db, platform::config::Settings, platform::tokens, ServiceError},
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, DiscoverableKey, Passkey,
    PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Url, Uuid, Webauthn, WebauthnBuilder,
};

/// How long a ceremony may take (WebAuthn's recommended timeout).
pub const CEREMONY_SECS: i64 = 300;

/// The site's relying party, when its address allows passkeys.
pub struct Passkeys(Option<Webauthn>);

impl Passkeys {
    pub fn new(settings: &Settings) -> Self {
        let url = &settings.public_url;
        let webauthn = url
            .domain()
            .and_then(|rp_id| Url::parse(url.as_str()).ok().map(|origin| (rp_id, origin)))
            .and_then(|(rp_id, origin)| {
                WebauthnBuilder::new(rp_id, &origin)
                    .ok()?
                    .rp_name(&settings.site_name)
                    .build()
                    .ok()
            });
        Self(webauthn)
    }

    /// Whether this site offers passkeys (its address is a domain name).
    pub fn offered(&self) -> bool {
        self.0.is_some()
    }

    fn webauthn(&self) -> Result<&Webauthn, ServiceError> {
        self.0.as_ref().ok_or_else(|| AppError::BadRequest.into())
    }

    /// A new registration for a person (their WebAuthn handle, address and
    /// name), not again for a credential they have: the options for the
    /// browser, which ask for a discoverable credential, and the state.
    pub fn start_registration(
        &self,
        handle: Uuid,
        email: &str,
        name: &str,
        existing: &[Passkey],
    ) -> Result<(CreationChallengeResponse, String), ServiceError> {
        let exclude = existing.iter().map(|p| p.cred_id().clone()).collect();
        let (mut options, state) = self
            .webauthn()?
            .start_passkey_registration(handle, email, name, Some(exclude))
            .map_err(internal)?;
        // Discoverable, so that the login page can offer it with no email
        // typed.
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(webauthn_rs_proto::ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        Ok((options, serde_json::to_string(&state).map_err(internal)?))
    }

    /// The passkey the browser made, checked against the stored state.
    pub fn finish_registration(
        &self,
        credential: &str,
        state: &str,
    ) -> Result<Passkey, ServiceError> {
        let credential: RegisterPublicKeyCredential =
            serde_json::from_str(credential).map_err(|_| AppError::BadRequest)?;
        let state: PasskeyRegistration = serde_json::from_str(state).map_err(internal)?;
        self.webauthn()?
            .finish_passkey_registration(&credential, &state)
            .map_err(refused)
    }

    /// Signing in with any passkey of this site, the browser choosing.
    pub fn start_discoverable(&self) -> Result<(RequestChallengeResponse, String), ServiceError> {
        let (mut options, state) = self
            .webauthn()?
            .start_discoverable_authentication()
            .map_err(internal)?;
        // Asked for by a button, not offered in the email field.
        options.mediation = None;
        Ok((options, serde_json::to_string(&state).map_err(internal)?))
    }

    /// The person and credential a discoverable sign-in names (not yet
    /// checked).
    pub fn identify(
        &self,
        credential: &str,
    ) -> Result<(PublicKeyCredential, Uuid, String), ServiceError> {
        let credential: PublicKeyCredential =
            serde_json::from_str(credential).map_err(|_| AppError::BadRequest)?;
        let (handle, id) = self
            .webauthn()?
            .identify_discoverable_authentication(&credential)
            .map_err(refused)?;
        let id = URL_SAFE_NO_PAD.encode(id);
        Ok((credential, handle, id))
    }

    /// Checks a discoverable sign-in against the person's passkey; the
    /// passkey as it is to be kept (its counter moved on).
    pub fn finish_discoverable(
        &self,
        credential: &PublicKeyCredential,
        state: &str,
        mut passkey: Passkey,
    ) -> Result<Passkey, ServiceError> {
        let state: DiscoverableAuthentication = serde_json::from_str(state).map_err(internal)?;
        let result = self
            .webauthn()?
            .finish_discoverable_authentication(
                credential,
                state,
                &[DiscoverableKey::from(&passkey)],
            )
            .map_err(refused)?;
        passkey.update_credential(&result);
        Ok(passkey)
    }

    /// The second step with one of the person's passkeys.
    pub fn start_second_step(
        &self,
        passkeys: &[Passkey],
    ) -> Result<(RequestChallengeResponse, String), ServiceError> {
        let (options, state) = self
            .webauthn()?
            .start_passkey_authentication(passkeys)
            .map_err(internal)?;
        Ok((options, serde_json::to_string(&state).map_err(internal)?))
    }

    /// Checks the second step; the credential id used and the passkey as
    /// it is to be kept.
    pub fn finish_second_step(
        &self,
        credential: &str,
        state: &str,
        mut passkeys: Vec<Passkey>,
    ) -> Result<(String, Passkey), ServiceError> {
        let credential: PublicKeyCredential =
            serde_json::from_str(credential).map_err(|_| AppError::BadRequest)?;
        let state: PasskeyAuthentication = serde_json::from_str(state).map_err(internal)?;
        let result = self
            .webauthn()?
            .finish_passkey_authentication(&credential, &state)
            .map_err(refused)?;
        let used = passkeys
            .iter_mut()
            .find(|p| p.cred_id() == result.cred_id())
            .ok_or(AppError::PasskeyRefused)?;
        used.update_credential(&result);
        Ok((credential_id(used), used.clone()))
    }
}

/// A passkey's credential id as stored: base64url.
pub fn credential_id(passkey: &Passkey) -> String {
    URL_SAFE_NO_PAD.encode(passkey.cred_id())
}

/// A stored passkey, read back.
pub fn parse(row: &db::two_step::PasskeyRow) -> Result<Passkey, ServiceError> {
    serde_json::from_str(&row.passkey).map_err(internal)
}

pub fn to_json(passkey: &Passkey) -> Result<String, ServiceError> {
    serde_json::to_string(passkey).map_err(internal)
}

/// A new WebAuthn user handle (what a passkey knows its person by).
pub fn new_handle() -> Uuid {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source is unavailable");
    uuid_from(bytes)
}

fn uuid_from(bytes: [u8; 16]) -> Uuid {
    Uuid::from_bytes(bytes)
}

/// A ceremony's id for the browser's cookie, and what is stored of it.
pub fn new_ceremony_id() -> (String, String) {
    let id = tokens::generate();
    let hash = tokens::hash(&id);
    (id, hash)
}

fn internal(e: impl std::fmt::Display) -> ServiceError {
    anyhow::anyhow!("passkeys: {e}").into()
}

/// The browser's answer did not prove the passkey: the person's to fix.
fn refused(e: impl std::fmt::Display) -> ServiceError {
    tracing::info!(error = %e, "a passkey was refused");
    AppError::PasskeyRefused.into()
}
