//! One module per page.

pub mod account;
pub mod admin;
pub mod forgot_password;
pub mod home;
pub mod login;
pub mod not_found;
pub mod reset_password;
pub mod setup;

use crate::error::{AppError, Field};
use leptos::prelude::*;

/// The message for one field from an action's error.
pub fn field_error(error: Signal<Option<AppError>>, field: Field) -> Signal<Option<String>> {
    Signal::derive(move || error.get().and_then(|e| e.field_message(field)))
}

/// The sentence at the top of the form.
pub fn form_error(error: Signal<Option<AppError>>) -> Signal<Option<String>> {
    Signal::derive(move || error.get().map(|e| e.message()))
}
