//! Queries on `auth_groups` and `user_groups`: Django's groups, and what a user may do.

use diesel::prelude::*;

use super::conn::{DbConn, on_backend};
use super::schema::{auth_groups, user_groups, users};

/// A user's standing, as a token minted now should say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRights {
    pub is_active: bool,
    pub is_staff: bool,
    pub groups: Vec<String>,
}

/// The user's rights; `None` when there is no such user.
pub fn rights_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<UserRights>> {
    on_backend!(conn, c => {
        let Some((is_active, is_staff)) = users::table
            .find(user_id)
            .select((users::is_active, users::is_staff))
            .first::<(bool, bool)>(c)
            .optional()?
        else {
            return Ok(None);
        };
        let groups = group_names!(c, user_id)?;
        Ok(Some(UserRights { is_active, is_staff, groups }))
    })
}

/// The names of the user's groups, in order. A macro so it compiles for either backend's
/// connection (inside `on_backend!`, or on the SQLite writer's connection in a rotation).
macro_rules! group_names {
    ($c:expr, $user_id:expr) => {{
        use $crate::db::schema::{auth_groups, user_groups};
        user_groups::table
            .inner_join(auth_groups::table)
            .filter(user_groups::user_id.eq($user_id))
            .select(auth_groups::name)
            .order(auth_groups::name)
            .load::<String>($c)
    }};
}
pub(super) use group_names;

/// How a group is looked up: names are compared case-insensitively (`Manager` = `manager`).
fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// Adds the user to the group, creating the group on first use. Returns the group's stored
/// name and whether the user was newly added.
pub fn add_user(conn: &mut DbConn, group: &str, user_id: i64) -> QueryResult<(String, bool)> {
    let key = name_key(group);
    on_backend!(conn, c => {
        diesel::insert_into(auth_groups::table)
            .values((auth_groups::name.eq(group), auth_groups::name_key.eq(&key)))
            .on_conflict(auth_groups::name_key)
            .do_nothing()
            .execute(c)?;
        let (group_id, name): (i64, String) = auth_groups::table
            .filter(auth_groups::name_key.eq(&key))
            .select((auth_groups::id, auth_groups::name))
            .first(c)?;
        let added = diesel::insert_into(user_groups::table)
            .values((user_groups::user_id.eq(user_id), user_groups::group_id.eq(group_id)))
            .on_conflict_do_nothing()
            .execute(c)?;
        Ok((name, added == 1))
    })
}

/// Removes the user from the group; `None` when there is no such group, else whether the
/// user was a member.
pub fn remove_user(conn: &mut DbConn, group: &str, user_id: i64) -> QueryResult<Option<bool>> {
    let key = name_key(group);
    on_backend!(conn, c => {
        let Some(group_id) = auth_groups::table
            .filter(auth_groups::name_key.eq(&key))
            .select(auth_groups::id)
            .first::<i64>(c)
            .optional()?
        else {
            return Ok(None);
        };
        let removed = diesel::delete(
            user_groups::table
                .filter(user_groups::user_id.eq(user_id))
                .filter(user_groups::group_id.eq(group_id)),
        )
        .execute(c)?;
        Ok(Some(removed == 1))
    })
}

/// Every group with its number of members, by name.
pub fn list(conn: &mut DbConn) -> QueryResult<Vec<(String, i64)>> {
    on_backend!(conn, c => {
        let groups: Vec<(i64, String)> = auth_groups::table
            .select((auth_groups::id, auth_groups::name))
            .order(auth_groups::name)
            .load(c)?;
        let mut listed = Vec::with_capacity(groups.len());
        for (id, name) in groups {
            let members: i64 = user_groups::table
                .filter(user_groups::group_id.eq(id))
                .count()
                .get_result(c)?;
            listed.push((name, members));
        }
        Ok(listed)
    })
}
