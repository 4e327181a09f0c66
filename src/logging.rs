//! Every log line of the process: its format (`log_format = plain | json`) and the id of the
//! request it was written for.
//!
//! The request id lives in a task-local ([`REQUEST_ID`]) that the request-id middleware
//! (`http/request_id.rs`) sets around each request's future, so any record logged while that
//! future is polled, by bouncer, by actix or by a library, carries the id without it being
//! passed along. Work sent to other threads (the blocking pool, the database writer) runs
//! outside that scope and logs without an id.
//!
//! Like the audit format, the log format is a process-wide property: the logger is installed
//! by `main` before the settings are read, and [`set_format`] switches it once they are.

use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{SecondsFormat, Utc};

tokio::task_local! {
    /// The id of the request whose future is being polled (validated or generated: see
    /// `http/request_id.rs`; always from a character set that needs no escaping).
    pub static REQUEST_ID: std::sync::Arc<str>;
}

/// The current request's id, when a request's future is running on this thread.
pub fn request_id() -> Option<std::sync::Arc<str>> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// The log target of audit lines (`audit::TARGET`, repeated here: values import nothing).
const AUDIT_TARGET: &str = "bouncer::audit";

static JSON: AtomicBool = AtomicBool::new(false);
static FORMAT_SET: OnceLock<()> = OnceLock::new();

/// Writes every later line as one JSON object (`true`) or as plain text. The first call wins,
/// as for the audit format: several applications in one process share one logger.
pub fn set_format(json: bool) {
    if FORMAT_SET.set(()).is_ok() {
        JSON.store(json, Ordering::Relaxed);
    }
}

/// Installs the process's logger: `RUST_LOG` filters (default `info`), lines go to stderr.
pub fn init() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|buf, record| {
            let line = render(
                JSON.load(Ordering::Relaxed),
                record,
                request_id().as_deref(),
            );
            writeln!(buf, "{line}")
        })
        .init();
}

/// One record as one line: plain `[time LEVEL target] message request_id=ID`, or a JSON
/// object with `time`, `level`, `target`, `message` and `request_id` (null outside a request).
/// A message is never split: newlines in it are escaped in both formats.
fn render(json: bool, record: &log::Record<'_>, request_id: Option<&str>) -> String {
    let time = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    let message = record.args().to_string();
    if json {
        let mut object = serde_json::json!({
            "time": time,
            "level": record.level().as_str(),
            "target": record.target(),
            "message": message,
            "request_id": request_id,
        });
        // Audit lines written as JSON (`audit_format = "json"`) are kept as an object too, so
        // a collector reads their fields without parsing a string inside a string.
        if record.target() == AUDIT_TARGET
            && message.starts_with('{')
            && let Ok(event @ serde_json::Value::Object(_)) = serde_json::from_str(&message)
        {
            object["audit"] = event;
        }
        object.to_string()
    } else {
        // env_logger's own header, so tools that split on `target] ` keep working; audit
        // lines carry the id as a field of their own (`audit.rs`).
        let message = message.replace('\n', "\\n").replace('\r', "\\r");
        let id = match request_id {
            Some(id) if record.target() != AUDIT_TARGET => format!(" request_id={id}"),
            _ => String::new(),
        };
        format!(
            "[{time} {:<5} {}] {message}{id}",
            record.level(),
            record.target()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(json: bool, target: &str, message: &str, id: Option<&str>) -> String {
        render(
            json,
            &log::Record::builder()
                .args(format_args!("{message}"))
                .level(log::Level::Info)
                .target(target)
                .build(),
            id,
        )
    }

    #[test]
    fn a_json_line_is_one_object_with_the_request_id() {
        let text = line(true, "bouncer::x", "two\nlines \"quoted\"", Some("abc-1"));
        assert!(!text.contains('\n'));
        let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(value["message"], "two\nlines \"quoted\"");
        assert_eq!(value["request_id"], "abc-1");
        assert_eq!(value["level"], "INFO");
        assert_eq!(value["target"], "bouncer::x");
        assert!(value["time"].as_str().is_some_and(|t| t.ends_with('Z')));
    }

    #[test]
    fn a_json_line_outside_a_request_has_a_null_request_id() {
        let value: serde_json::Value =
            serde_json::from_str(&line(true, "t", "m", None)).expect("JSON");
        assert!(value["request_id"].is_null());
    }

    #[test]
    fn a_json_audit_line_keeps_its_fields_as_an_object() {
        let text = line(true, AUDIT_TARGET, r#"{"event":"login.success"}"#, None);
        let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(value["audit"]["event"], "login.success");
    }

    #[test]
    fn a_plain_line_names_the_request_and_stays_on_one_line() {
        let text = line(false, "bouncer::x", "a\nb", Some("r1"));
        assert!(
            text.ends_with(" INFO  bouncer::x] a\\nb request_id=r1"),
            "{text}"
        );
    }
}
