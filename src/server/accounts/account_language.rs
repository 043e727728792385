//! The language a person chooses on their account page, for their pages
//! and their mail.

use crate::{
    domain::CurrentUser,
    error::{AppError, Field, Problem},
    i18n::Lang,
    server::{db, AppState, ServiceError},
};

/// Saves `tag` (a language the site offers; empty: none, so that their
/// browser's `Accept-Language` decides again) as the person's language.
pub async fn save(
    state: &AppState,
    user: &CurrentUser,
    tag: &str,
) -> Result<Option<Lang>, ServiceError> {
    let tag = tag.trim();
    let lang = if tag.is_empty() {
        None
    } else {
        let lang = Lang::from_tag(tag)
            .filter(|lang| state.settings.languages.contains(lang))
            .ok_or_else(|| AppError::field(Field::Language, Problem::InvalidChoice))?;
        Some(lang)
    };
    let mut conn = state.db.conn().await?;
    db::users::set_language(&mut conn, user.id, lang.map(Lang::tag), state.clock.now()).await?;
    Ok(lang)
}
