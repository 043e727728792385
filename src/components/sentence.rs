//! Messages with markup inside: a link in a sentence, a name in bold.

use crate::i18n::{pieces, Msg, Piece};
use leptos::prelude::*;

/// The message in the page's language, with each `{placeholder}` replaced
/// by the view `slot` gives for its name; word order is the language's.
pub fn sentence(msg: Msg, slot: impl Fn(&str) -> AnyView) -> impl IntoView {
    pieces(msg)
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(text) => text.into_any(),
            Piece::Slot(name) => slot(name),
        })
        .collect_view()
}
