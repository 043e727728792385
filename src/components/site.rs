//! What every page knows of the site: its name and password rules
//! ([`PasswordPolicy`], which the password hint applies), loaded once by
//! the layout and shared through the context, so the client carries one
//! resource of it.

use crate::{api::auth::get_password_policy, domain::PasswordPolicy, error::AppError};
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct SiteInfo(pub OnceResource<Result<PasswordPolicy, AppError>>);

impl SiteInfo {
    /// Loads it and shares it with the page (the layout does, once).
    pub fn provide() -> Self {
        let site = Self(OnceResource::new(get_password_policy()));
        provide_context(site);
        site
    }

    /// The layout's, or (outside it) a new one.
    pub fn get() -> Self {
        use_context::<Self>().unwrap_or_else(|| Self(OnceResource::new(get_password_policy())))
    }
}
