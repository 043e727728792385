//! A table of records that may scroll sideways on a narrow screen.

use leptos::prelude::*;

/// A `<table>` with its caption (for screen readers) inside a wrapper that
/// scrolls sideways on narrow screens. The wrapper is a focusable region
/// named by the caption, so keyboard users can reach and scroll it.
/// `children` are the table's `<thead>` and `<tbody>`.
#[component]
pub fn DataTable(id: &'static str, caption: &'static str, children: Children) -> impl IntoView {
    let caption_id = format!("{id}-caption");
    let labelled_by = caption_id.clone();
    view! {
        <div class="table-wrap" role="region" tabindex="0" aria-labelledby=labelled_by>
            <table class="data-table" id=id>
                <caption class="visually-hidden" id=caption_id>{caption}</caption>
                {children()}
            </table>
        </div>
    }
}
