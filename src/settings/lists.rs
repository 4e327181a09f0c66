//! List-valued settings: TOML arrays in files, comma-separated strings in the environment
//! (`BOUNCER_AUTH_HEADER_TYPES=Bearer,JWT`), one deserializer for both.

use serde::Deserialize;

/// Lists come as TOML arrays from files and as comma-separated strings from the environment.
pub(super) fn list_or_comma_separated<'de, D>(deserializer: D) -> Result<Vec<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrString {
        List(Vec<String>),
        String(String),
    }
    Ok(match ListOrString::deserialize(deserializer)? {
        ListOrString::List(list) => list,
        ListOrString::String(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}
