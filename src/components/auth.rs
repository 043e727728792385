//! Who is logged in: the context the layout provides and every page reads.

use crate::{
    api::auth::{get_current_user, LogOut, LogOutEverywhere},
    components::FormAction,
    domain::CurrentUser,
    error::AppError,
};
use leptos::prelude::*;

/// Who is logged in, and the actions that change it. Pages and the header
/// share it, so logging in or out updates both without a reload.
#[derive(Clone, Copy)]
pub struct Auth {
    pub user: Resource<Result<Option<CurrentUser>, AppError>>,
    /// Bumped by pages whose actions change who is logged in.
    pub refresh: RwSignal<u64>,
    pub log_out: FormAction,
    pub log_out_everywhere: FormAction,
}

impl Auth {
    pub(crate) fn new() -> Self {
        let refresh = RwSignal::new(0u64);
        let log_out = FormAction::new::<LogOut>();
        let log_out_everywhere = FormAction::new::<LogOutEverywhere>();
        let user = Resource::new(
            move || {
                (
                    refresh.get(),
                    log_out.version(),
                    log_out_everywhere.version(),
                )
            },
            |_| get_current_user(),
        );
        Self {
            user,
            refresh,
            log_out,
            log_out_everywhere,
        }
    }
}
