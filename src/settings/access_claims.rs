//! `access_token_claims`: which of the user's fields access tokens carry.
//!
//! The names are Django's `User` fields, as a simplejwt project adds them in its
//! `TokenObtainPairSerializer.get_token` (the first tutorial's tip 7). The default,
//! `["is_staff", "groups"]`, is what bouncer's tokens have always carried.

/// A user field an access token can carry, under the field's own name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessClaim {
    Username,
    Email,
    Groups,
    IsStaff,
    IsSuperuser,
}

impl AccessClaim {
    pub const ALL: [Self; 5] = [
        Self::Username,
        Self::Email,
        Self::Groups,
        Self::IsStaff,
        Self::IsSuperuser,
    ];

    /// The claim's name, which is also the setting's word for it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Username => "username",
            Self::Email => "email",
            Self::Groups => "groups",
            Self::IsStaff => "is_staff",
            Self::IsSuperuser => "is_superuser",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|claim| claim.name() == name)
    }
}

/// The claims `names` choose, in order; why not when a name is unknown or repeated.
pub fn parse_access_claims(names: &[String]) -> Result<Vec<AccessClaim>, String> {
    let mut chosen = Vec::with_capacity(names.len());
    for name in names {
        let claim = AccessClaim::from_name(name).ok_or_else(|| {
            format!(
                "`{name}` is not a user field tokens can carry; {}",
                choices()
            )
        })?;
        if chosen.contains(&claim) {
            return Err(format!("`{name}` is listed twice; {}", choices()));
        }
        chosen.push(claim);
    }
    Ok(chosen)
}

impl super::schema::Settings {
    /// The claims `access_token_claims` chooses. Start-up refused a bad list already; should
    /// one get here anyway, the default (`is_staff`, `groups`) stands, never fewer claims.
    pub fn access_claims(&self) -> Vec<AccessClaim> {
        parse_access_claims(&self.access_token_claims)
            .unwrap_or_else(|_| vec![AccessClaim::IsStaff, AccessClaim::Groups])
    }
}

fn choices() -> String {
    let names: Vec<_> = AccessClaim::ALL.iter().map(|c| c.name()).collect();
    format!("choose among {} (or none: [])", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn every_field_can_be_chosen_once_in_any_order() {
        let all = names(&["is_superuser", "username", "groups", "email", "is_staff"]);
        let chosen = parse_access_claims(&all).unwrap();
        assert_eq!(chosen.len(), 5);
        assert_eq!(chosen[0], AccessClaim::IsSuperuser);
        assert_eq!(parse_access_claims(&[]).unwrap(), []);
    }

    #[test]
    fn an_unknown_field_is_refused_with_the_valid_choices() {
        let why = parse_access_claims(&names(&["groups", "password"])).unwrap_err();
        assert!(why.contains("`password`"), "{why}");
        assert!(
            why.contains("username, email, groups, is_staff, is_superuser"),
            "{why}"
        );
        // Names are Django's field names, exactly.
        assert!(parse_access_claims(&names(&["Groups"])).is_err());
    }

    #[test]
    fn a_repeated_field_is_refused() {
        let why = parse_access_claims(&names(&["email", "email"])).unwrap_err();
        assert!(why.contains("listed twice"), "{why}");
    }
}
