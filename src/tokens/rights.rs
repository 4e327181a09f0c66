//! What a user may do, as their credential says: Django's `is_staff` and group names.
//!
//! Access tokens carry them (`is_staff`, `groups` claims) so bouncer's permission extractors
//! and other services can authorise without asking the database. They are read from the
//! database when a token is minted. Taking one away voids the tokens minted before it (a user
//! revocation), so a token never carries rights its user has lost; granting one replaces the
//! rights of the tokens minted before it, in bouncer, with the user's current ones (a rights
//! change held beside the revocations), so a grant takes effect on the next request. Other
//! services that read the claims see a grant when the client next refreshes.

use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rights {
    pub is_staff: bool,
    /// Group names as stored (`Manager`); compared case-insensitively.
    pub groups: Arc<[Box<str>]>,
}

impl Rights {
    pub fn new(is_staff: bool, groups: impl IntoIterator<Item = String>) -> Self {
        Self {
            is_staff,
            groups: groups.into_iter().map(String::into_boxed_str).collect(),
        }
    }

    /// Whether the user is in the group `name`. Django compares group names exactly; bouncer
    /// ignores case, so the tutorial's `/api/groups/manager/users` and `Manager` are one group.
    pub fn in_group(&self, name: &str) -> bool {
        self.groups.iter().any(|g| g.eq_ignore_ascii_case(name))
    }
}
