//! A group's name: lower-case letters, digits, `-` and `_`, at most 64
//! (what apps compare in the `groups` claim and `Remote-Groups`).

use crate::error::Problem;
use serde::{Deserialize, Serialize};

pub const MAX_GROUP_NAME_LEN: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupName(String);

impl GroupName {
    pub fn parse(input: &str) -> Result<Self, Problem> {
        let s = input.trim();
        if s.is_empty() {
            return Err(Problem::Required);
        }
        if s.len() > MAX_GROUP_NAME_LEN {
            return Err(Problem::TooLong {
                max: MAX_GROUP_NAME_LEN,
            });
        }
        let allowed =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
        if !s.chars().all(allowed) {
            return Err(Problem::InvalidCharacters);
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// At most this many groups in one list (an app's, a person's).
const MAX_GROUPS: usize = 50;

/// Group names separated by spaces or commas, each once.
pub fn parse_group_names(text: &str) -> Result<Vec<GroupName>, Problem> {
    let mut names: Vec<GroupName> = Vec::new();
    for item in text.split(|c: char| c == ',' || c.is_whitespace()) {
        if item.is_empty() {
            continue;
        }
        let name = GroupName::parse(item)?;
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.len() > MAX_GROUPS {
        return Err(Problem::TooLong { max: MAX_GROUPS });
    }
    Ok(names)
}

/// A group and how many people are in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSummary {
    pub name: String,
    pub members: i64,
}

/// A member of a group, as a site admin sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMember {
    pub id: i64,
    pub email: String,
    pub name: String,
}

/// One page of a group's members (newest member account first), perhaps
/// only those whose email or name holds a search term.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembersPage {
    pub group: String,
    /// How many people are in the group (on the first page only: counting
    /// 100,000 members costs more than the page).
    pub count: Option<i64>,
    pub members: Vec<GroupMember>,
    /// The next page starts below this account id.
    pub older: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_are_lower_case_letters_digits_dashes_and_underscores() {
        assert_eq!(
            GroupName::parse(" wiki-editors_2 ").unwrap().as_str(),
            "wiki-editors_2"
        );
        assert_eq!(GroupName::parse(""), Err(Problem::Required));
        assert_eq!(GroupName::parse("Editors"), Err(Problem::InvalidCharacters));
        assert_eq!(GroupName::parse("a b"), Err(Problem::InvalidCharacters));
        assert_eq!(GroupName::parse("a,b"), Err(Problem::InvalidCharacters));
        assert_eq!(GroupName::parse("ünï"), Err(Problem::InvalidCharacters));
        assert!(GroupName::parse(&"a".repeat(64)).is_ok());
        assert_eq!(
            GroupName::parse(&"a".repeat(65)),
            Err(Problem::TooLong { max: 64 })
        );
    }

    #[test]
    fn group_names_are_split_on_spaces_and_commas_and_checked() {
        let names = parse_group_names(" editors, staff\nstaff ,,").unwrap();
        let names: Vec<&str> = names.iter().map(GroupName::as_str).collect();
        assert_eq!(names, ["editors", "staff"]);
        assert_eq!(parse_group_names(""), Ok(vec![]));
        assert_eq!(
            parse_group_names("staff Editors"),
            Err(Problem::InvalidCharacters)
        );
    }
}
