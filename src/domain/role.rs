//! What a user may do.

use crate::error::Problem;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    SiteAdmin,
}

impl Role {
    /// Every role, in the order forms offer them.
    pub const ALL: [Role; 2] = [Role::User, Role::SiteAdmin];

    pub fn parse(input: &str) -> Result<Self, Problem> {
        match input.trim() {
            "user" => Ok(Self::User),
            "site_admin" => Ok(Self::SiteAdmin),
            "" => Err(Problem::Required),
            _ => Err(Problem::InvalidChoice),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::SiteAdmin => "site_admin",
        }
    }

    /// How pages name the role, in the page's language.
    pub fn label(self) -> &'static str {
        crate::i18n::t(match self {
            Self::User => crate::i18n::Msg::RoleUser,
            Self::SiteAdmin => crate::i18n::Msg::RoleSiteAdmin,
        })
    }
}

/// A role as stored (the database's rows decode through this): anything
/// else is an error, never a silent demotion to a plain user.
impl TryFrom<String> for Role {
    type Error = Problem;
    fn try_from(stored: String) -> Result<Self, Problem> {
        Self::parse(&stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_two_form_values_only() {
        assert_eq!(Role::parse("user"), Ok(Role::User));
        assert_eq!(Role::parse("site_admin"), Ok(Role::SiteAdmin));
        assert_eq!(Role::parse("root"), Err(Problem::InvalidChoice));
        assert_eq!(Role::parse("site_admin").unwrap().as_str(), "site_admin");
    }
}
