//! The audit trail: one structured line per security event, on the log target
//! [`TARGET`] (`bouncer::audit`), as plain `key=value` pairs or as a JSON object
//! (`audit_format`).
//!
//! Events are built with a small typed builder and emitted at once:
//!
//! ```text
//! AuditEvent::warning("login.failure").field("username", typed).field("ip", ip).emit();
//! ```
//!
//! Values are strings, integers and booleans only. Strings are written quoted and escaped in
//! both formats (control characters, quotes and backslashes), so a value sent by a client, such
//! as a username typed with a newline and a `"` in it, can never end the line early or forge
//! another field: one event is always exactly one line. Strings are also cut to
//! [`MAX_VALUE_CHARS`], so a 64 KB "username" cannot flood the log.
//!
//! What never goes in: passwords, secrets, whole tokens or keys. An event names a token by its
//! `jti`, a session by its `sid` and a key by its fingerprint (`credentials::key_fingerprint`,
//! 8 hex characters of its SHA-256), none of which lets anyone authenticate.
//!
//! The format is a process-wide property, like the logger itself: it is set once at start-up
//! (`startup.rs`, `cli.rs`) and read by every event, rather than threaded through every service.

use std::fmt::Write as _;
use std::sync::OnceLock;

use crate::settings::AuditFormat;

/// The log target of every audit line: filter on it (`RUST_LOG=bouncer::audit=info`) or route
/// it to a file of its own.
pub const TARGET: &str = "bouncer::audit";

/// Longest string value written, in characters; longer values are cut and end in `…`.
pub const MAX_VALUE_CHARS: usize = 200;

static FORMAT: OnceLock<AuditFormat> = OnceLock::new();

/// Sets the format of every later audit line. The first call wins: several applications built
/// in one process (tests, an embedding app) share one log.
pub fn set_format(format: AuditFormat) {
    let _ = FORMAT.set(format);
}

fn format() -> AuditFormat {
    FORMAT.get().copied().unwrap_or(AuditFormat::Plain)
}

/// One field's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditValue {
    Str(String),
    Int(i64),
    Bool(bool),
}

impl From<&str> for AuditValue {
    fn from(s: &str) -> Self {
        Self::Str(truncated(s))
    }
}

impl From<String> for AuditValue {
    fn from(s: String) -> Self {
        Self::from(s.as_str())
    }
}

impl From<&String> for AuditValue {
    fn from(s: &String) -> Self {
        Self::from(s.as_str())
    }
}

impl From<i64> for AuditValue {
    fn from(n: i64) -> Self {
        Self::Int(n)
    }
}

impl From<u64> for AuditValue {
    fn from(n: u64) -> Self {
        Self::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<usize> for AuditValue {
    fn from(n: usize) -> Self {
        Self::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<bool> for AuditValue {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

/// `s`, cut to [`MAX_VALUE_CHARS`] characters (on a character boundary).
fn truncated(s: &str) -> String {
    match s.char_indices().nth(MAX_VALUE_CHARS) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s.to_owned(),
    }
}

/// How loud an event is: failures and theft signals are warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Info,
    Warn,
}

/// One security event, built field by field and written as one line by [`AuditEvent::emit`].
#[derive(Debug, Clone)]
#[must_use = "an audit event is written only by .emit()"]
pub struct AuditEvent {
    name: &'static str,
    level: Level,
    /// In the order added. Names are `&'static str` written in the code, never client data.
    fields: Vec<(&'static str, AuditValue)>,
}

impl AuditEvent {
    /// An event logged at `info` (a success, a change made).
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            level: Level::Info,
            fields: Vec::new(),
        }
    }

    /// An event logged at `warn` (a failure, a refusal, a theft signal).
    pub fn warning(name: &'static str) -> Self {
        Self {
            level: Level::Warn,
            ..Self::new(name)
        }
    }

    /// Adds a field; a second field of the same name replaces the first.
    pub fn field(mut self, name: &'static str, value: impl Into<AuditValue>) -> Self {
        let value = value.into();
        match self.fields.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.fields.push((name, value)),
        }
        self
    }

    /// Adds a field when there is a value.
    pub fn field_opt<V: Into<AuditValue>>(self, name: &'static str, value: Option<V>) -> Self {
        match value {
            Some(value) => self.field(name, value),
            None => self,
        }
    }

    /// The line, in `format`.
    pub fn line(&self, format: AuditFormat) -> String {
        match format {
            AuditFormat::Plain => self.plain(),
            AuditFormat::Json => self.json(),
        }
    }

    /// `event=login.failure username="alice" user_id=42 ok=false`.
    fn plain(&self) -> String {
        let mut line = format!("event={}", self.name);
        for (name, value) in &self.fields {
            let _ = write!(line, " {name}=");
            match value {
                AuditValue::Str(s) => quote_plain(&mut line, s),
                AuditValue::Int(n) => {
                    let _ = write!(line, "{n}");
                }
                AuditValue::Bool(b) => {
                    let _ = write!(line, "{b}");
                }
            }
        }
        line
    }

    /// `{"event":"login.failure","username":"alice","user_id":42,"ok":false}`, fields in the
    /// order added (`event` first). Strings go through serde_json, which escapes every
    /// control character, so the object stays on one line.
    fn json(&self) -> String {
        let text = |s: &str| serde_json::Value::from(s).to_string();
        let mut line = format!("{{\"event\":{}", text(self.name));
        for (name, value) in &self.fields {
            let _ = match value {
                AuditValue::Str(s) => write!(line, ",{}:{}", text(name), text(s)),
                AuditValue::Int(n) => write!(line, ",{}:{n}", text(name)),
                AuditValue::Bool(b) => write!(line, ",{}:{b}", text(name)),
            };
        }
        line.push('}');
        line
    }

    /// Writes the event as one line on [`TARGET`], in the configured format.
    /// Inside a request, the line ends with its `request_id` (see `logging.rs`).
    pub fn emit(self) {
        let event = match crate::logging::request_id() {
            Some(id) => self.field("request_id", id.as_ref()),
            None => self,
        };
        let line = event.line(format());
        match event.level {
            Level::Info => log::info!(target: TARGET, "{line}"),
            Level::Warn => log::warn!(target: TARGET, "{line}"),
        }
    }
}

/// Appends `s` in double quotes, escaping `"` and `\`, and writing every control character
/// (and the Unicode line and paragraph separators) as an escape, so nothing in `s` can end
/// the line or the value.
fn quote_plain(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
#[path = "audit_tests.rs"]
mod tests;
