//! Reusable pieces of the forms and layout.

pub mod form_field;
pub mod password_hint;

pub use form_field::{FormField, FormMessage, SubmitButton};
pub use password_hint::PasswordField;
