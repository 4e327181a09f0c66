//! Groups and their members (the tutorials' `Manager`). Adding a user to a group that does
//! not exist creates it, as the API's `/api/groups/{name}/users` does.

use super::docs::{AdminNotFound, CsrfRefused, FormErrors, HtmlPage, SeeOther};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};

use super::page::{AdminError, csrf_field, error_summary, field, html, layout, notice, see_other};
use super::session::{Staff, StaffPost};
use super::user_actions::group_name_problem;
use super::user_page::urlencode;
use crate::error::{ApiError, FieldErrors};
use crate::service::{Accounts, Memberships};

const MAX_MEMBERS: i64 = 500;

fn member_form(staff: &Staff, group: &str, username: &str, errors: &FieldErrors) -> Markup {
    html! {
        form method="post" action="/admin/groups/" novalidate {
            (csrf_field(&staff.csrf))
            input type="hidden" name="action" value="add";
            (field("group", "Group (created if new)", "text", group, errors, "off"))
            (field("username", "Username", "text", username, errors, "off"))
            button type="submit" { "Add to group" }
        }
    }
}

async fn list_page(
    staff: &Staff,
    memberships: &Memberships,
    group: &str,
    username: &str,
    errors: &FieldErrors,
) -> Result<Markup, ApiError> {
    let groups = memberships.list().await?;
    let content = html! {
        (error_summary(errors))
        @if groups.is_empty() { p { "No group yet." } } @else {
            table {
                thead { tr { th scope="col" { "Group" } th scope="col" { "Members" } } }
                tbody {
                    @for (name, members) in &groups {
                        tr {
                            th scope="row" { a href={ "/admin/groups/" (urlencode(name)) "/" } { (name) } }
                            td { (members) }
                        }
                    }
                }
            }
        }
        h2 { "Add a user to a group" }
        (member_form(staff, group, username, errors))
    };
    Ok(layout("Groups", Some(&staff.viewer()), content))
}

/// `GET /admin/groups/`.
#[utoipa::path(get, path = "/admin/groups/", tag = "admin", operation_id = "admin_groups",
    summary = "Groups",
    responses((status = 200, response = HtmlPage), (status = 303, response = SeeOther), (status = 404, response = AdminNotFound)))]
pub async fn list(
    staff: Staff,
    memberships: web::Data<Memberships>,
) -> Result<HttpResponse, AdminError> {
    let page = list_page(&staff, &memberships, "", "", &FieldErrors::new()).await?;
    Ok(html(StatusCode::OK, page))
}

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

/// `GET /admin/groups/{name}/`: the members, each with a button to remove them.
#[utoipa::path(get, path = "/admin/groups/{name}/", tag = "admin", operation_id = "admin_group",
    summary = "A group's members",
    params(("name" = String, Path, description = "The group's name."), ("done" = Option<String>, Query, description = "What the last form did (a known code; others are ignored).")),
    responses((status = 200, response = HtmlPage), (status = 303, response = SeeOther), (status = 404, response = AdminNotFound)))]
pub async fn detail(
    staff: Staff,
    name: web::Path<String>,
    query: web::Query<DoneQuery>,
    memberships: web::Data<Memberships>,
) -> Result<HttpResponse, AdminError> {
    let (name, members) = memberships
        .members(&name, MAX_MEMBERS)
        .await?
        .ok_or(ApiError::NotFound)?;
    let done = match query.done.as_deref() {
        Some("added") => Some("Added to the group."),
        Some("removed") => Some("Removed from the group."),
        _ => None,
    };
    let content = html! {
        @if let Some(text) = done { (notice(text)) }
        @if members.is_empty() { p { "No members." } } @else {
            table {
                caption { (members.len()) " member(s)" }
                thead { tr { th scope="col" { "Username" } th scope="col" { "Action" } } }
                tbody {
                    @for (id, username) in &members {
                        tr {
                            th scope="row" { a href={ "/admin/users/" (id) "/" } { (username) } }
                            td {
                                form method="post" action="/admin/groups/" {
                                    (csrf_field(&staff.csrf))
                                    input type="hidden" name="action" value="remove";
                                    input type="hidden" name="group" value=(name);
                                    input type="hidden" name="username" value=(username);
                                    button type="submit" aria-label={ "Remove " (username) " from " (name) } { "Remove" }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Add a member" }
        (member_form(&staff, &name, "", &FieldErrors::new()))
    };
    let title = format!("Group {name}");
    Ok(html(
        StatusCode::OK,
        layout(&title, Some(&staff.viewer()), content),
    ))
}

/// `POST /admin/groups/` `{group, username, action: add|remove}`.
#[utoipa::path(post, path = "/admin/groups/", tag = "admin", operation_id = "admin_group_change",
    summary = "Add a user to a group or remove them",
    request_body(content = Object, content_type = "application/x-www-form-urlencoded", description = "`group`, `username`, `action` (`add` or `remove`), `csrf_token`."),
    responses((status = 303, response = SeeOther), (status = 400, response = FormErrors), (status = 403, response = CsrfRefused), (status = 404, response = AdminNotFound)))]
pub async fn change(
    req: HttpRequest,
    post: StaffPost,
    accounts: web::Data<Accounts>,
    memberships: web::Data<Memberships>,
) -> Result<HttpResponse, AdminError> {
    let StaffPost { staff, fields } = post;
    let mut reader = fields.fields();
    let group = reader.required("group");
    let username = reader.required("username");
    let action = reader.required("action");
    let mut errors = std::mem::take(reader.errors_mut());
    if let Some(why) = group_name_problem(&group) {
        errors.entry("group".into()).or_default().push(why.into());
    }
    let member = action == "add";
    if !member && action != "remove" && !action.is_empty() {
        errors
            .entry("group".into())
            .or_default()
            .push("Choose to add or to remove.".into());
    }
    let user = if username.is_empty() {
        None
    } else {
        accounts.find_by_username(&username).await?
    };
    if user.is_none() && !errors.contains_key("username") {
        errors.insert("username".into(), vec!["There is no such user.".into()]);
    }
    let bad = async |errors: FieldErrors| -> Result<HttpResponse, AdminError> {
        let page = list_page(&staff, &memberships, &group, &username, &errors).await?;
        Ok(html(StatusCode::BAD_REQUEST, page))
    };
    let Some(user) = user.filter(|_| errors.is_empty()) else {
        return bad(errors).await;
    };
    let Some(name) = memberships
        .set(group.clone(), user.id, member, Some(staff.user.id))
        .await?
    else {
        return bad([("group".into(), vec!["There is no such group.".into()])].into()).await;
    };
    staff
        .audit(
            if member {
                "admin.group_add"
            } else {
                "admin.group_remove"
            },
            &req,
        )
        .field("user_id", user.id)
        .field("group", &name)
        .emit();
    let done = if member { "added" } else { "removed" };
    Ok(see_other(&format!(
        "/admin/groups/{}/?done={done}",
        urlencode(&name)
    )))
}
