//! The `[admin]` table: the staff-only admin web page (`/admin/`, `src/admin/`).

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminSettings {
    /// Serve `/admin/`. Off by default: an operator turns on a login form on purpose.
    pub enabled: bool,
}
