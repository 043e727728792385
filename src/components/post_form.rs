//! Forms that post to a server function, with or without JavaScript.
//!
//! Leptos' `ServerAction` and `ActionForm` are generic over the server
//! function, so each of our fourteen forms compiled its own copy of the
//! action, the form parser and the request code into the WASM bundle.
//! Every form-posted server function here takes form fields and answers
//! `Result<(), AppError>`, so one untyped copy serves them all: the browser
//! sends the form's fields as they are, exactly what it sends when
//! JavaScript is off, and the server parses them as usual. A reader who
//! knows Leptos: this is `ActionForm` without its type parameter; what it
//! saved is measured in BENCHMARKS.md ("Browser bundle size").

use crate::error::AppError;
use leptos::{prelude::*, server_fn::ServerFn};

/// The state of one form's server function: pending, the last outcome,
/// and what was last submitted. Copy it into the closures that need it.
#[derive(Clone, Copy)]
pub struct FormAction {
    url: &'static str,
    /// The submitted fields (URL-encoded) to the outcome.
    action: Action<String, Result<(), AppError>>,
}

impl FormAction {
    /// The action of server function `F`.
    pub fn new<F: ServerFn>() -> Self {
        Self::at(F::PATH)
    }

    fn at(url: &'static str) -> Self {
        // A post made without JavaScript comes back with its error in the
        // URL (`?__path=…&__err=…`); the router hands it to us.
        let from_url = use_context::<ServerActionError>().and_then(|e| {
            (e.path() == url).then(|| {
                Err(leptos::server_fn::error::ServerFnUrlError::<AppError>::decode_err(e.err()))
            })
        });
        let action =
            Action::new_with_value(from_url, move |fields: &String| send(url, fields.clone()));
        Self { url, action }
    }

    /// True while a submission is on its way.
    pub fn pending(&self) -> Signal<bool> {
        self.action.pending().into()
    }

    /// Counts finished submissions, so resources can reload after each.
    pub fn version(&self) -> usize {
        self.action.version().get()
    }

    /// The error of the last submission, if it failed (a tracked read, for
    /// use inside closures that already react).
    pub fn last_error(&self) -> Option<AppError> {
        self.action.value().get().and_then(Result::err)
    }

    /// The same as a signal, to hand to a form's fields once.
    pub fn error(self) -> Signal<Option<AppError>> {
        Signal::derive(move || self.last_error())
    }

    /// True once the last submission succeeded.
    pub fn succeeded(&self) -> bool {
        matches!(self.action.value().get(), Some(Ok(())))
    }

    /// True while a submission for record `id` is on its way.
    pub fn busy_with(self, id: i64) -> Signal<bool> {
        Signal::derive(move || self.action.pending().get() && self.submitted_id() == Some(id))
    }

    /// The `id` field of the submission on its way, if any.
    pub fn submitted_id(&self) -> Option<i64> {
        self.submitted("id")?.parse().ok()
    }

    /// A field of the submission on its way (or the last one, until the
    /// next), as sent: URL-encoded.
    pub fn submitted(&self, field: &str) -> Option<String> {
        let prefix = format!("{field}=");
        self.action.input().with(|fields| {
            fields
                .as_deref()?
                .split('&')
                .find_map(|pair| pair.strip_prefix(prefix.as_str()))
                .map(str::to_owned)
        })
    }
}

/// A `<form method="post">` to the action's server function. Without
/// JavaScript the browser posts it; with JavaScript it is posted in the
/// background and the page shows the outcome (or follows the redirect the
/// server function asked for) without a reload.
#[component]
pub fn PostForm(action: FormAction, children: Children) -> impl IntoView {
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if ev.default_prevented() {
            return;
        }
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            match form_fields(&ev) {
                Some(fields) => {
                    action.action.dispatch(fields);
                }
                None => action.action.value().set(Some(Err(AppError::BadRequest))),
            }
        }
    };
    view! {
        <form action=action.url method="post" on:submit=on_submit>
            {children()}
        </form>
    }
}

/// The submitted form's fields, URL-encoded as the browser would post them
/// (including the button that submitted it, if it has a name).
#[cfg(feature = "hydrate")]
fn form_fields(ev: &leptos::ev::SubmitEvent) -> Option<String> {
    let data = leptos::form::form_data_from_event(ev).ok()?;
    let params = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data).ok()?;
    params.to_string().as_string()
}

/// Posts the fields the way a server function's own client would, and
/// follows the redirect the server function asked for.
#[cfg(feature = "hydrate")]
async fn send(url: &'static str, fields: String) -> Result<(), AppError> {
    use leptos::server_fn::{
        client::{browser::BrowserClient, Client},
        redirect::call_redirect_hook,
        request::{browser::BrowserRequest, ClientReq},
        response::ClientRes,
    };
    let request = <BrowserRequest as ClientReq<AppError>>::try_new_post(
        url,
        "application/x-www-form-urlencoded",
        "application/json",
        fields,
    )?;
    let response = <BrowserClient as Client<AppError>>::send(request).await?;
    let status = ClientRes::<AppError>::status(&response);
    if (400..=599).contains(&status) {
        let body = ClientRes::<AppError>::try_into_bytes(response).await?;
        return Err(AppError::de(body));
    }
    if (300..=399).contains(&status) || ClientRes::<AppError>::has_redirect(&response) {
        let location = ClientRes::<AppError>::location(&response);
        if served_by_the_server_only(&location) {
            // Not a page of this app: the browser loads it (the router
            // would render "not found").
            leptos::prelude::window()
                .location()
                .set_href(&location)
                .map_err(|_| AppError::Internal)?;
        } else {
            call_redirect_hook(&location);
        }
    }
    Ok(())
}

/// Paths the server answers without a page of the client's, such as the
/// OpenID Connect authorization step a login returns to, and the light
/// pages (the login page after logging out); and any page in another
/// language (`lang=`), whose words the client does not have.
#[cfg(feature = "hydrate")]
fn served_by_the_server_only(location: &str) -> bool {
    location.starts_with("/oauth2/")
        || crate::pages::is_light(location)
        || location.contains("?lang=")
        || location.contains("&lang=")
        || crate::i18n::loads_whole(location)
}

/// On the server nothing is ever submitted: forms are submitted by browsers.
#[cfg(not(feature = "hydrate"))]
async fn send(_url: &'static str, _fields: String) -> Result<(), AppError> {
    Err(AppError::Internal)
}
