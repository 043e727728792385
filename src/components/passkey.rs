//! The passkey buttons and form: plain HTML that the small passkey script
//! (`public/passkey.js`, loaded only where one is shown) brings to life.
//! They stay hidden without JavaScript, and a note says why (which the
//! script hides: `<noscript>` is not shown by every browser without it).

use leptos::prelude::*;

/// Where the passkey script lives; loaded only on pages that show one.
pub const PASSKEY_SCRIPT: &str = "/passkey.js";

/// A button that runs a passkey ceremony: `sign-in` (a passkey alone) or
/// `verify` (a login's second step).
#[component]
pub fn PasskeyButton(
    /// `sign-in` or `verify`.
    mode: &'static str,
    id: &'static str,
    label: &'static str,
    /// Said when the browser or the passkey refuses.
    failed: &'static str,
    /// Said without JavaScript.
    needs_script: &'static str,
) -> impl IntoView {
    view! {
        <div class="passkey stack" data-passkey=mode data-failed=failed hidden>
            <button type="button" class="button secondary" id=id>{label}</button>
            <p class="field-error" data-passkey-message aria-live="polite"></p>
        </div>
        <p class="muted" data-passkey-needs-script>{needs_script}</p>
        <script src=PASSKEY_SCRIPT defer></script>
    }
}
