//! Server functions, grouped by feature. Each is a thin adapter: parse,
//! call one service in `server/`, map the result. Paths are stable.

pub mod account;
pub mod admin_apps;
pub mod admin_groups;
pub mod admin_mail;
pub mod admin_users;
pub mod auth;
pub mod password_reset;
pub mod two_step;

use leptos::server_fn::{codec::Post, ContentType, Decodes, Encodes, Format, FormatType};
use serde::{de::DeserializeOwned, Serialize};

/// The answers of server functions: JSON, read back as text.
///
/// Leptos hydrates resources from JSON text, while its own JSON encoding
/// reads answers from bytes; serde_json's two readers then put two copies
/// of every decoded type's parser into the WASM bundle. Reading answers
/// as text too keeps one (BENCHMARKS.md).
pub struct JsonText;

/// `POST` with a form-encoded body, answered in [`JsonText`].
pub type Answer = Post<JsonText>;

impl ContentType for JsonText {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonText {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for JsonText {
    type Error = serde_json::Error;

    fn encode(value: &T) -> Result<leptos::server_fn::Bytes, Self::Error> {
        serde_json::to_vec(value).map(Into::into)
    }
}

impl<T: DeserializeOwned> Decodes<T> for JsonText {
    type Error = serde_json::Error;

    fn decode(bytes: leptos::server_fn::Bytes) -> Result<T, Self::Error> {
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| <serde_json::Error as serde::de::Error>::custom("not UTF-8"))?;
        serde_json::from_str(text)
    }
}
