//! Periodic clean-up of expired rows.

use crate::server::{db, AppState};

/// Deletes what has expired; any instance may run it.
pub async fn run(state: &AppState) {
    let now = state.clock.now();
    let idle = i64::from(state.settings.auth.session_idle_minutes) * 60;
    let result: Result<(), sqlx::Error> = async {
        let mut conn = state.db.conn().await?;
        db::sessions::delete_expired(&mut conn, now, idle).await?;
        db::tokens::delete_stale(&mut conn, now - 30 * 86_400).await?;
        db::rate_limits::delete_idle(&mut conn, state.clock.now_ms()).await?;
        db::outbox::delete_old(&mut conn, now - 30 * 86_400).await?;
        let retention = i64::from(state.settings.audit_retention_days) * 86_400;
        db::audit::delete_before(&mut conn, now - retention).await?;
        db::setup_tokens::delete_all_or_expired(&mut conn, now, false).await?;
        db::oidc::delete_expired(&mut conn, now).await?;
        db::two_step::delete_expired(&mut conn, now).await?;
        crate::server::sign_in::oidc::keys::drop_expired(&mut conn, now).await?;
        Ok(())
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "housekeeping failed");
    }
}
