//! What the account page shows of a person's own sessions and of the apps
//! that can still act for them.

use serde::{Deserialize, Serialize};

/// One live session of the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEntry {
    /// Names the session for "log out there" (a hash of its stored hash:
    /// it opens nothing).
    pub handle: String,
    /// The browser, read from its User-Agent (`Chrome`); empty when
    /// unknown.
    pub browser: String,
    /// Its operating system (`Linux`); empty when unknown.
    pub os: String,
    /// The client address it was started from.
    pub address: String,
    pub started: String,
    pub last_seen: String,
    /// The session of the browser looking at the page.
    pub current: bool,
}

/// An app that holds a live sign-in of the person (a token that still
/// works).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppGrantEntry {
    pub client_id: String,
    pub name: String,
    /// When the person first signed in to it (of the sign-ins still live).
    pub since: String,
}

/// The account page's list of sessions and apps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionsOverview {
    pub sessions: Vec<SessionEntry>,
    pub apps: Vec<AppGrantEntry>,
}
