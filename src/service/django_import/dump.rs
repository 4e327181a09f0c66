//! Reading a `manage.py dumpdata` file: a JSON array of `{"model", "pk", "fields"}` objects,
//! parsed one element at a time (never the whole tree at once) and checked row by row. A row
//! that breaks a rule becomes a [`BadRow`] with its index, model and reason; only broken JSON
//! (truncated, not JSON, nested too deep) or a file beyond the limits stops the whole read.

use std::fmt;
use std::io::Read;

use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Longest string field accepted, whatever the field: Django's own fields are far shorter
/// (a username is at most 150 characters, a refresh token a few hundred bytes).
pub const MAX_STRING: usize = 4096;
/// Longest password hash accepted (Django's formats are under 200 characters).
const MAX_HASH: usize = 1024;
/// Most groups one user row may list.
const MAX_GROUPS_PER_USER: usize = 10_000;

/// A row the import understood.
#[derive(Debug, Clone)]
pub enum Row {
    Group {
        pk: i64,
        name: String,
    },
    User(UserRow),
    /// DRF authtoken's `Token`: its key is its primary key, in the clear.
    Key {
        key: String,
        user: i64,
        created: i64,
    },
    /// simplejwt's `OutstandingToken` (the token text itself is not kept).
    Outstanding {
        pk: i64,
        user: Option<i64>,
        jti: String,
        created_at: Option<i64>,
        expires_at: i64,
    },
    /// simplejwt's `BlacklistedToken`: points at an outstanding token's pk.
    Blacklisted {
        token: i64,
        blacklisted_at: i64,
    },
}

#[derive(Clone)]
pub struct UserRow {
    pub pk: i64,
    pub username: String,
    pub email: String,
    pub password: String,
    pub is_active: bool,
    pub is_staff: bool,
    pub is_superuser: bool,
    pub date_joined: chrono::NaiveDateTime,
    pub last_login: Option<chrono::NaiveDateTime>,
    pub groups: Vec<i64>,
}

/// Never print the password hash.
impl fmt::Debug for UserRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserRow")
            .field("pk", &self.pk)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// A row left out, and why. `index` counts from 0 in the file's array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    pub index: usize,
    pub model: String,
    pub reason: String,
}

impl fmt::Display for BadRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {} ({}): {}", self.index, self.model, self.reason)
    }
}

/// Every row of the dump, good and bad, in file order.
#[derive(Debug, Default)]
pub struct Dump {
    pub rows: Vec<(usize, Row)>,
    pub bad: Vec<BadRow>,
}

/// Reads the whole dump from `input`, refusing more than `max_rows` rows.
pub fn read(input: impl Read, max_rows: usize) -> Result<Dump, String> {
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::new(input));
    let mut dump = Dump::default();
    let result = de.deserialize_seq(RowsVisitor {
        dump: &mut dump,
        max_rows,
    });
    match result.and_then(|()| de.end()) {
        Ok(()) => Ok(dump),
        Err(e) if e.is_io() => Err(format!("cannot read the dump: {e}")),
        // The row being read when the JSON broke is the one after the last complete row.
        Err(e) => Err(format!(
            "the dump is not a valid dumpdata file at row {}: {e}",
            dump.rows.len() + dump.bad.len()
        )),
    }
}

struct RowsVisitor<'a> {
    dump: &'a mut Dump,
    max_rows: usize,
}

impl<'de> Visitor<'de> for RowsVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of {\"model\", \"pk\", \"fields\"} objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while let Some(value) = seq.next_element_seed(OneRow)? {
            if index >= self.max_rows {
                return Err(serde::de::Error::custom(format!(
                    "more than {} rows (see --max-rows)",
                    self.max_rows
                )));
            }
            let model = value
                .get("model")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .chars()
                .take(64)
                .collect::<String>();
            match parse_row(&value) {
                Ok(row) => self.dump.rows.push((index, row)),
                Err(reason) => self.dump.bad.push(BadRow {
                    index,
                    model,
                    reason,
                }),
            }
            index += 1;
        }
        Ok(())
    }
}

/// One array element as a JSON value: bounded by the file's size, dropped once checked.
struct OneRow;

impl<'de> DeserializeSeed<'de> for OneRow {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        serde::Deserialize::deserialize(d)
    }
}

fn parse_row(value: &Value) -> Result<Row, String> {
    let row = value.as_object().ok_or("not an object")?;
    let model = row
        .get("model")
        .and_then(Value::as_str)
        .ok_or("no \"model\" string")?;
    let fields = row
        .get("fields")
        .and_then(Value::as_object)
        .ok_or("no \"fields\" object")?;
    let pk = row.get("pk").ok_or("no \"pk\"")?;
    let f = Fields(fields);
    Ok(match model {
        "auth.group" => Row::Group {
            pk: id(pk, "pk")?,
            name: f.string("name", 150)?,
        },
        "auth.user" => Row::User(UserRow {
            pk: id(pk, "pk")?,
            username: f.string("username", 150)?,
            email: f.string("email", 254)?,
            password: f.string("password", MAX_HASH)?,
            is_active: f.boolean("is_active")?,
            is_staff: f.boolean("is_staff")?,
            is_superuser: f.boolean("is_superuser")?,
            date_joined: f.datetime("date_joined")?.ok_or("date_joined is null")?,
            last_login: f.datetime("last_login")?,
            groups: f.ids("groups")?,
        }),
        "authtoken.token" => Row::Key {
            key: string(pk, "pk", 40)?,
            user: f.id("user")?.ok_or("user is null")?,
            created: timestamp(f.datetime("created")?.ok_or("created is null")?),
        },
        "token_blacklist.outstandingtoken" => Row::Outstanding {
            pk: id(pk, "pk")?,
            user: f.id("user")?,
            jti: f.string("jti", 255)?,
            created_at: f.datetime("created_at")?.map(timestamp),
            expires_at: timestamp(f.datetime("expires_at")?.ok_or("expires_at is null")?),
        },
        "token_blacklist.blacklistedtoken" => Row::Blacklisted {
            token: f.id("token")?.ok_or("token is null")?,
            blacklisted_at: timestamp(
                f.datetime("blacklisted_at")?
                    .ok_or("blacklisted_at is null")?,
            ),
        },
        other => return Err(format!("model {other:?} is not one bouncer imports")),
    })
}

struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn get(&self, name: &str) -> Result<&Value, String> {
        self.0.get(name).ok_or_else(|| format!("no field {name:?}"))
    }

    fn string(&self, name: &str, max: usize) -> Result<String, String> {
        string(self.get(name)?, name, max)
    }

    fn boolean(&self, name: &str) -> Result<bool, String> {
        self.get(name)?
            .as_bool()
            .ok_or_else(|| format!("{name} is not true or false"))
    }

    /// A nullable foreign key.
    fn id(&self, name: &str) -> Result<Option<i64>, String> {
        match self.get(name)? {
            Value::Null => Ok(None),
            value => id(value, name).map(Some),
        }
    }

    fn ids(&self, name: &str) -> Result<Vec<i64>, String> {
        let Some(list) = self.0.get(name) else {
            return Ok(Vec::new());
        };
        let list = list
            .as_array()
            .ok_or_else(|| format!("{name} is not a list"))?;
        if list.len() > MAX_GROUPS_PER_USER {
            return Err(format!("{name} lists more than {MAX_GROUPS_PER_USER}"));
        }
        list.iter().map(|v| id(v, name)).collect()
    }

    /// Django's JSON datetimes: ISO 8601 with an offset or `Z` (`USE_TZ = True`), or naive,
    /// which is read as UTC (`USE_TZ = False` with `TIME_ZONE = "UTC"`).
    fn datetime(&self, name: &str) -> Result<Option<chrono::NaiveDateTime>, String> {
        let text = match self.get(name)? {
            Value::Null => return Ok(None),
            value => string(value, name, 64)?,
        };
        if let Ok(at) = chrono::DateTime::parse_from_rfc3339(&text) {
            return Ok(Some(at.naive_utc()));
        }
        chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f")
            .map(Some)
            .map_err(|_| format!("{name} is not an ISO 8601 date and time"))
    }
}

fn string(value: &Value, name: &str, max: usize) -> Result<String, String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("{name} is not a string"))?;
    let length = text.chars().count();
    if length > max.min(MAX_STRING) {
        return Err(format!(
            "{name} is {length} characters long (at most {})",
            max.min(MAX_STRING)
        ));
    }
    Ok(text.to_owned())
}

/// A positive integer id (Django's auto fields start at 1).
fn id(value: &Value, name: &str) -> Result<i64, String> {
    value
        .as_i64()
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{name} is not a positive integer"))
}

fn timestamp(at: chrono::NaiveDateTime) -> i64 {
    at.and_utc().timestamp()
}

#[cfg(test)]
#[path = "dump_tests.rs"]
mod tests;
