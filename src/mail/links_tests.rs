//! Link templates filled in.

use super::*;
use crate::settings::{LoadOptions, Settings};

#[test]
fn the_default_templates_make_djoser_style_links() {
    let settings = Settings::load(&LoadOptions::default()).unwrap();
    let links = Links::from_settings(&settings.mail);
    assert_eq!(
        links.password_reset("MQ", "c4z1-abc123"),
        "http://localhost:3000/password/reset/confirm/MQ/c4z1-abc123"
    );
    assert_eq!(
        links.activation("MQ", "c4z1-abc123"),
        "http://localhost:3000/activate/MQ/c4z1-abc123"
    );
}

#[test]
fn a_trailing_slash_on_the_frontend_makes_no_double_slash() {
    let link = render_link(
        "{frontend}/activate/{uid}/{token}",
        "https://app.example.com/",
        "u",
        "t",
    );
    assert_eq!(link, "https://app.example.com/activate/u/t");
}

#[test]
fn placeholders_may_appear_anywhere_and_more_than_once() {
    let link = render_link(
        "https://x.test/#/r?u={uid}&t={token}&again={uid}",
        "unused",
        "u",
        "t",
    );
    assert_eq!(link, "https://x.test/#/r?u=u&t=t&again=u");
}

#[test]
fn values_are_put_in_once_and_never_expanded_again() {
    let link = render_link("{frontend}/{uid}/{token}", "http://h", "{token}", "{uid}");
    assert_eq!(link, "http://h/{token}/{uid}");
}

#[test]
fn other_braces_are_left_alone() {
    let link = render_link("{frontend}/{user}/{uid}/{token}{", "http://h", "u", "t");
    assert_eq!(link, "http://h/{user}/u/t{");
}
