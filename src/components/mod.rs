//! Reusable pieces of the forms and layout.

pub mod auth;
pub mod data_table;
pub mod form_field;
pub mod go_to;
pub mod passkey;
pub mod password_hint;
pub mod post_form;
pub mod sentence;
pub mod site;

pub use auth::Auth;
pub use data_table::DataTable;
pub use form_field::{FormField, FormMessage, SubmitButton};
pub use go_to::GoTo;
pub use passkey::PasskeyButton;
pub use password_hint::PasswordField;
pub use post_form::{FormAction, PostForm};
pub use sentence::sentence;
pub use site::SiteInfo;
