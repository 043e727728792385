//! Throttling held in the database, so every instance sees the same counts.
//!
//! The algorithm is GCRA (the one behind the `governor` crate): each key
//! stores a "theoretical arrival time"; a request is allowed while that
//! time is no more than `burst` intervals ahead of now. Allowance comes
//! back steadily, so a throttled owner is slowed, never locked out.

use crate::server::{
    db::{self, write::WriteConn},
    platform::tokens,
    AppState,
};

#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub per_hour: u32,
    pub burst: u32,
}

impl Limit {
    fn interval_ms(self) -> i64 {
        3_600_000 / i64::from(self.per_hour.max(1))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub retry_after_secs: u64,
}

/// The pure decision: given the stored arrival time, is a request at `now`
/// allowed, and what is the arrival time afterwards?
pub fn decide(tat_ms: i64, now_ms: i64, limit: Limit) -> Result<i64, Throttled> {
    let interval = limit.interval_ms();
    let tat = tat_ms.max(now_ms);
    let new_tat = tat + interval;
    let allow_at = new_tat - interval * i64::from(limit.burst.max(1));
    if now_ms < allow_at {
        let wait_ms = allow_at - now_ms;
        Err(Throttled {
            retry_after_secs: (wait_ms as u64).div_ceil(1000),
        })
    } else {
        Ok(new_tat)
    }
}

/// Keys never hold an address or email in clear.
pub fn key(scope: &str, subject: &str) -> String {
    format!("{scope}:{}", &tokens::hash(subject)[..32])
}

/// The outcome of counting a request against several keys: `Err` names
/// the first key over its limit. (Database errors come outside it.)
pub type Decision<'k> = Result<(), (Throttled, &'k str)>;

/// Counts one request against `key`; `Err` when over the limit.
pub async fn hit(state: &AppState, key: &str, limit: Limit) -> Result<(), RateError> {
    hit_each(state, &[(key, limit)])
        .await?
        .map_err(|(throttled, _)| RateError::Throttled(throttled))
}

/// Counts one request against each key, in one transaction: all of them,
/// or none when one is over its limit.
pub async fn hit_each<'k>(
    state: &AppState,
    keys: &[(&'k str, Limit)],
) -> Result<Decision<'k>, db::Error> {
    if let Err(refused) = precheck(state, keys).await? {
        return Ok(Err(refused));
    }
    let mut tx = state.db.begin().await?;
    let decision = spend(&mut tx, state.clock.now_ms(), keys).await?;
    if decision.is_ok() {
        tx.commit().await?;
    }
    Ok(decision)
}

/// A request already over a limit is refused after one read, without a
/// write or a lock: a flood of throttled requests costs almost nothing.
pub async fn precheck<'k>(
    state: &AppState,
    keys: &[(&'k str, Limit)],
) -> Result<Decision<'k>, sqlx::Error> {
    let mut conn = state.db.conn().await?;
    precheck_on(&mut conn, state.clock.now_ms(), keys).await
}

/// [`precheck`] on a connection the caller holds.
pub async fn precheck_on<'k>(
    conn: &mut db::Conn,
    now_ms: i64,
    keys: &[(&'k str, Limit)],
) -> Result<Decision<'k>, sqlx::Error> {
    for pair in keys.chunks(2) {
        let second = pair.get(1).unwrap_or(&pair[0]).0;
        let stored = db::rate_limits::load_pair(conn, pair[0].0, second).await?;
        for (key, limit) in pair {
            let tat = stored.iter().find(|(k, _)| k == key).map(|(_, t)| *t);
            if let Some(Err(throttled)) = tat.map(|tat| decide(tat, now_ms, *limit)) {
                return Ok(Err((throttled, *key)));
            }
        }
    }
    Ok(Ok(()))
}

/// Spends one request of each key inside the caller's transaction, which
/// locks the keys, so concurrent requests cannot spend the same allowance
/// twice. On `Err` the caller must not commit (nothing is to be spent).
pub async fn spend<'k, C: WriteConn>(
    conn: &mut C,
    now_ms: i64,
    keys: &[(&'k str, Limit)],
) -> Result<Decision<'k>, db::Error> {
    for pair in keys.chunks(2) {
        let refused = match pair {
            // Two keys in one statement: one round trip less inside the
            // write transaction.
            [a, b] if a.0 != b.0 => {
                let spent = conn.spend_pair(now_ms, allowance(a), allowance(b)).await?;
                first_unspent(pair, &spent)
            }
            _ => spend_each(conn, now_ms, pair).await?,
        };
        if let Some((key, limit)) = refused {
            return Ok(Err(refusal(conn, now_ms, key, *limit).await?));
        }
    }
    Ok(Ok(()))
}

/// Spends the keys one statement each; the first one over its limit.
async fn spend_each<'p, 'k, C: WriteConn>(
    conn: &mut C,
    now_ms: i64,
    keys: &'p [(&'k str, Limit)],
) -> Result<Option<&'p (&'k str, Limit)>, db::Error> {
    for entry in keys {
        if conn.spend_one(now_ms, allowance(entry)).await?.is_none() {
            return Ok(Some(entry));
        }
    }
    Ok(None)
}

/// The first of two keys that a pair's statement did not spend (over its
/// limit), given the keys it spent.
fn first_unspent<'p, 'k>(
    pair: &'p [(&'k str, Limit)],
    spent: &[String],
) -> Option<&'p (&'k str, Limit)> {
    pair.iter().find(|(key, _)| !spent.iter().any(|s| s == key))
}

/// A key with its interval and burst in milliseconds, as the table keeps
/// them.
fn allowance<'k>((key, limit): &(&'k str, Limit)) -> (&'k str, i64, i64) {
    let interval = limit.interval_ms();
    (key, interval, interval * i64::from(limit.burst.max(1)))
}

/// Over the limit: how long until `key` has room again.
async fn refusal<'k, C: WriteConn>(
    conn: &mut C,
    now_ms: i64,
    key: &'k str,
    limit: Limit,
) -> Result<(Throttled, &'k str), db::Error> {
    let tat = conn.load_rate(key).await?;
    Ok((refused(tat, now_ms, limit), key))
}

/// The answer for a key the database found over its limit: the wait its
/// stored arrival time gives, at least a second.
fn refused(tat: Option<i64>, now_ms: i64, limit: Limit) -> Throttled {
    decide(tat.unwrap_or(now_ms), now_ms, limit)
        .err()
        .unwrap_or(Throttled {
            retry_after_secs: 1,
        })
}

/// Gives back one request's allowance, in the caller's transaction: spent
/// before a check that then succeeded (the right password), it should not
/// count against the owner.
pub async fn refund<C: WriteConn>(conn: &mut C, key: &str, limit: Limit) -> Result<(), db::Error> {
    conn.give_back(key, limit.interval_ms()).await
}

pub async fn clear(state: &AppState, key: &str) -> Result<(), sqlx::Error> {
    let mut conn = state.db.conn().await?;
    db::rate_limits::clear(&mut conn, key).await
}

#[derive(Debug, thiserror::Error)]
pub enum RateError {
    #[error("throttled")]
    Throttled(Throttled),
    #[error(transparent)]
    Db(#[from] db::Error),
}

/// The limits from configuration, by purpose.
pub struct Limits;

impl Limits {
    pub fn login_ip(state: &AppState) -> Limit {
        let l = &state.settings.limits;
        Limit {
            per_hour: l.login_per_ip_per_hour,
            burst: l.login_per_ip_burst,
        }
    }
    pub fn login_account(state: &AppState) -> Limit {
        let l = &state.settings.limits;
        Limit {
            per_hour: l.login_per_account_per_hour,
            burst: l.login_per_account_burst,
        }
    }
    pub fn reset_ip(state: &AppState) -> Limit {
        let l = &state.settings.limits;
        Limit {
            per_hour: l.reset_per_ip_per_hour,
            burst: l.reset_per_ip_burst,
        }
    }
    pub fn reset_account(state: &AppState) -> Limit {
        let l = &state.settings.limits;
        Limit {
            per_hour: l.reset_per_account_per_hour,
            burst: l.reset_per_account_burst,
        }
    }
}

/// A throttle kept in this process alone, for requests that must not
/// reach the database at all when they come in a flood (an app's failed
/// client authentication): each instance counts its own share. The same
/// GCRA as [`decide`]; a key whose allowance has fully come back is
/// forgotten, so the map holds only the keys being throttled.
#[derive(Debug, Default)]
pub struct LocalLimiter {
    tats: std::sync::Mutex<std::collections::HashMap<String, i64>>,
}

impl LocalLimiter {
    /// Keys kept at most; past it, the ones whose allowance came back go.
    const MAX_KEYS: usize = 100_000;

    /// Whether a request for `key` would be refused now (nothing counted).
    pub fn refuses(&self, key: &str, now_ms: i64, limit: Limit) -> Option<Throttled> {
        let tats = self.tats.lock().unwrap_or_else(|e| e.into_inner());
        let tat = *tats.get(key)?;
        // Refused when even one more would be over the burst.
        decide(tat, now_ms, limit).err()
    }

    /// Counts one failure against `key`.
    pub fn count(&self, key: &str, now_ms: i64, limit: Limit) {
        let mut tats = self.tats.lock().unwrap_or_else(|e| e.into_inner());
        if tats.len() >= Self::MAX_KEYS {
            tats.retain(|_, tat| *tat > now_ms);
        }
        let tat = tats.get(key).copied().unwrap_or(now_ms);
        let next = tat.max(now_ms) + limit.interval_ms();
        tats.insert(key.to_owned(), next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Limit = Limit {
        per_hour: 60,
        burst: 3,
    };

    #[test]
    fn a_burst_is_allowed_then_throttled() {
        let now = 1_000_000;
        let mut tat = now;
        for _ in 0..3 {
            tat = decide(tat, now, LIMIT).expect("within burst");
        }
        let err = decide(tat, now, LIMIT).unwrap_err();
        assert_eq!(err.retry_after_secs, 60);
    }

    #[test]
    fn allowance_comes_back_over_time() {
        let now = 1_000_000;
        let mut tat = now;
        for _ in 0..3 {
            tat = decide(tat, now, LIMIT).unwrap();
        }
        assert!(decide(tat, now + 59_000, LIMIT).is_err());
        assert!(decide(tat, now + 60_000, LIMIT).is_ok());
        // After a long pause the whole burst is back.
        let later = now + 3_600_000;
        let mut t = tat;
        for _ in 0..3 {
            t = decide(t, later, LIMIT).unwrap();
        }
    }

    #[test]
    fn keys_do_not_contain_the_subject() {
        let k = key("login:acct", "jane@example.com");
        assert!(k.starts_with("login:acct:") && !k.contains("jane"));
    }

    #[test]
    fn a_local_throttle_refuses_past_its_burst_and_forgets_what_came_back() {
        let limiter = LocalLimiter::default();
        let limit = Limit {
            per_hour: 60,
            burst: 3,
        };
        let now = 1_000_000;
        assert_eq!(
            limiter.refuses("a", now, limit),
            None,
            "nothing counted yet"
        );
        for _ in 0..3 {
            limiter.count("a", now, limit);
        }
        assert!(
            limiter.refuses("a", now, limit).is_some(),
            "three failures at once"
        );
        assert_eq!(limiter.refuses("b", now, limit), None, "another key");
        assert_eq!(
            limiter.refuses("a", now + 60_000, limit),
            None,
            "a minute on, one more"
        );
    }
}
