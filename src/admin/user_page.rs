//! One user's page: what it shows (status, groups, password, sessions and Token keys), each
//! section a form that posts to `user_actions.rs`.

use maud::{Markup, html};

use super::page::{checkbox, csrf_field, error_summary, field, layout, notice};
use super::session::Staff;
use crate::clock::rfc3339;
use crate::db::models::User;
use crate::db::sessions::{SessionKind, SessionRow};
use crate::error::{ApiError, FieldErrors};
use crate::service::{Accounts, Memberships, Sessions};

/// Everything a user's page shows, loaded once.
pub struct UserView {
    pub user: User,
    pub groups: Vec<String>,
    pub sessions: Vec<SessionRow>,
}

impl UserView {
    pub async fn load(
        id: i64,
        accounts: &Accounts,
        memberships: &Memberships,
        sessions: &Sessions,
    ) -> Result<Self, ApiError> {
        let user = accounts.find(id).await?.ok_or(ApiError::NotFound)?;
        Ok(Self {
            groups: memberships.groups_of(id).await?,
            sessions: sessions.list(id).await?,
            user,
        })
    }
}

/// A user's page; `errors` from a form that was refused, `key` a Token key just made.
pub fn user_page(
    staff: &Staff,
    view: &UserView,
    errors: &FieldErrors,
    done: Option<&str>,
    key: Option<&str>,
) -> Markup {
    let user = &view.user;
    let base = format!("/admin/users/{}/", user.id);
    let content = html! {
        @if let Some(text) = done { (notice(text)) }
        @if let Some(key) = key {
            div.key role="status" {
                h2 { "New Token key" }
                p { "Copy it now: it is shown only this once and cannot be recovered." }
                p { code id="new-key" { (key) } }
            }
        }
        (error_summary(errors))
        dl {
            dt { "Username" } dd { (user.username) }
            dt { "E-mail" } dd { @if user.email.is_empty() { "(none)" } @else { (user.email) } }
            dt { "Joined" } dd { (user.date_joined.format("%Y-%m-%d %H:%M UTC")) }
            dt { "Last login" } dd { @if let Some(at) = user.last_login { (at.format("%Y-%m-%d %H:%M UTC")) } @else { "never" } }
        }
        section aria-labelledby="status-h" {
            h2 id="status-h" { "Status" }
            form method="post" action={ (base) "flags/" } {
                (csrf_field(&staff.csrf))
                (checkbox("is_active", "Active (may log in)", user.is_active, errors))
                (checkbox("is_staff", "Staff (may use this admin page and the staff endpoints)", user.is_staff, errors))
                @if let Some(messages) = errors.get("flags") {
                    p.field-error id="flags" { @for m in messages { (m) " " } }
                }
                button type="submit" { "Save status" }
            }
        }
        section aria-labelledby="groups-h" {
            h2 id="groups-h" { "Groups" }
            @if view.groups.is_empty() { p { "In no group." } }
            ul.inline {
                @for group in &view.groups {
                    li {
                        a href={ "/admin/groups/" (urlencode(group)) "/" } { (group) }
                        form method="post" action={ (base) "groups/" } {
                            (csrf_field(&staff.csrf))
                            input type="hidden" name="group" value=(group);
                            input type="hidden" name="action" value="remove";
                            button type="submit" aria-label={ "Remove from " (group) } { "Remove" }
                        }
                    }
                }
            }
            form method="post" action={ (base) "groups/" } novalidate {
                (csrf_field(&staff.csrf))
                input type="hidden" name="action" value="add";
                (field("group", "Add to group (created if new)", "text", "", errors, "off"))
                button type="submit" { "Add to group" }
            }
        }
        section aria-labelledby="password-h" {
            h2 id="password-h" { "Set a password" }
            p { "Every session of the user ends when it is set." }
            form method="post" action={ (base) "password/" } novalidate {
                (csrf_field(&staff.csrf))
                (field("password1", "New password", "password", "", errors, "new-password"))
                (field("password2", "New password again", "password", "", errors, "new-password"))
                button type="submit" { "Set password" }
            }
        }
        section aria-labelledby="sessions-h" {
            h2 id="sessions-h" { "Sessions and Token keys" }
            @if let Some(messages) = errors.get("sid") {
                p.field-error id="sid" { @for m in messages { (m) " " } }
            }
            @if view.sessions.is_empty() {
                p { "No live session." }
            } @else {
                table {
                    thead { tr { th scope="col" { "Kind" } th scope="col" { "Started" } th scope="col" { "Last used" } th scope="col" { "Client" } th scope="col" { "Ends" } th scope="col" { "Action" } } }
                    tbody {
                        @for s in &view.sessions {
                            tr {
                                td { @if s.kind == SessionKind::Key { "Token key" } @else { "login (JWT)" } }
                                td { (rfc3339(s.created_at)) }
                                td { (rfc3339(s.last_used_at)) }
                                td { (s.address) " " small { (s.user_agent) } }
                                td { @if let Some(at) = s.expires_at { (rfc3339(at)) } @else { "never" } }
                                td {
                                    form method="post" action={ (base) "sessions/end/" } {
                                        (csrf_field(&staff.csrf))
                                        input type="hidden" name="sid" value=(s.sid.to_string());
                                        button type="submit" {
                                            @if s.kind == SessionKind::Key { "Revoke key" } @else { "End session" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form method="post" action={ (base) "sessions/end/" } {
                (csrf_field(&staff.csrf))
                input type="hidden" name="all" value="true";
                button type="submit" { "End all sessions" }
            }
            form method="post" action={ (base) "keys/" } {
                (csrf_field(&staff.csrf))
                button type="submit" { "Create a Token key" }
            }
        }
    };
    layout(
        &format!("User {}", user.username),
        Some(&staff.viewer()),
        content,
    )
}

/// A path segment: group names may hold any printable character.
pub fn urlencode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
