use super::*;

const LINK: &str = "http://localhost:3000/password/reset/confirm/Mw/secret-token";

#[test]
fn the_reset_message_names_the_user_with_the_full_stop_right_after_the_name() {
    let message = Message::password_reset("carol@example.com", "carol", LINK);
    assert_eq!(message.to, "carol@example.com");
    assert_eq!(message.subject, "Password reset");
    let first_line = message.body.lines().next().unwrap();
    assert_eq!(first_line, "Someone asked to reset the password of carol.");
    assert!(!message.body.contains(" ."), "{}", message.body);
    assert!(message.body.contains(&format!("\n\n{LINK}\n\n")));
}

#[test]
fn the_activation_message_welcomes_the_user_and_carries_the_link() {
    let message = Message::activation("dave@example.com", "dave", LINK);
    assert_eq!(message.subject, "Activate your account");
    assert_eq!(message.body.lines().next(), Some("Welcome, dave."));
    assert!(message.body.ends_with(&format!("\n\n{LINK}\n")));
}
