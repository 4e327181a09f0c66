//! Architecture check: the crate's modules form layers that may only import downward.
//!
//! Run it with `cargo test --test architecture`. It reads every `.rs` file under `src/`, finds
//! the crate-internal paths each one uses (`use` declarations and inline `crate::…`, `super::…`,
//! `self::…` paths) and reports every one that breaks the rules described on [`LAYERS`]. It is a
//! small scanner, not a Rust parser: it blanks out comments and string literals, then reads paths.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The layers, lowest first: values -> storage -> outcomes -> services -> http side -> top.
///
/// Each entry names a layer and the top-level modules (`crate::<name>`) in it. The rules:
/// 1. a module may import from its own layer or a lower one, never from a higher one;
/// 2. a layer-0 (value) module may import nothing from any other module of the crate;
/// 3. no two modules import each other, whether top-level modules or single files, and no
///    files import each other in a longer circle (`a -> b -> c -> a`, e.g. inside one folder);
/// 4. every top-level module must be listed here: add a new one to the layer it belongs in.
///
/// `src/lib.rs` and `src/main.rs` are the crate roots and are exempt.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "values",
        &["clock", "settings", "tokens", "credentials", "logging"],
    ),
    ("storage", &["db"]),
    ("outcomes", &["error"]),
    (
        "services",
        &[
            "audit",
            "keyring",
            "keys",
            "revocation",
            "jobs",
            "service",
            "mail",
            "throttle",
            "metrics",
            "dpop",
        ],
    ),
    ("http side", &["auth", "http", "routes", "admin"]),
    ("top", &["startup", "cli"]),
];

/// The layer (index, name) of a top-level module.
fn layer_of(top: &str) -> Option<(usize, &'static str)> {
    let index = LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&top))?;
    Some((index, LAYERS[index].0))
}

/// A `.rs` file under `src/` and the module its code belongs to.
struct SourceFile {
    path: PathBuf,
    /// `src/db/tokens.rs`, for messages.
    shown: String,
    /// `src/a/b.rs` and `src/a/b/mod.rs` are `["a", "b"]`; `src/a/b_tests.rs` counts as `a::b`.
    module: Vec<String>,
    /// A `*_tests.rs` file, included by its module as `#[path = "…"] mod tests;`.
    test_include: bool,
}

/// One crate-internal path used by a source file.
struct Import {
    file: String,
    line: usize,
    /// The whole `use` declaration or the inline path, for messages.
    text: String,
    /// The importing file module, e.g. `db::tokens`.
    from: String,
    /// The imported file module: the longest prefix of the path that is a file.
    to: String,
}

/// Checks the tree under `src_dir` and returns one message per violation.
fn check(src_dir: &Path) -> Vec<String> {
    let files = source_files(src_dir);
    let modules: BTreeSet<String> = files
        .iter()
        .filter(|f| !f.test_include)
        .map(|f| f.module.join("::"))
        .collect();
    let mut errors = Vec::new();

    let mut unknown = BTreeSet::new();
    for file in &files {
        let top = &file.module[0];
        if layer_of(top).is_none() && unknown.insert(top) {
            errors.push(format!(
                "{}: module `{top}` has no layer — add it to the LAYERS table in tests/architecture.rs",
                file.shown
            ));
        }
    }

    let imports: Vec<Import> = files.iter().flat_map(|f| scan_file(f, &modules)).collect();
    for import in &imports {
        let (from, to) = (top_of(&import.from), top_of(&import.to));
        // Unlisted modules were reported above; imports within one top-level module are free.
        let (Some((from_n, from_layer)), Some((to_n, _))) = (layer_of(from), layer_of(to)) else {
            continue;
        };
        let rule = if from == to {
            continue;
        } else if from_n == 0 {
            "value modules may import nothing from other modules of the crate"
        } else if to_n > from_n {
            "layers may only import downward"
        } else {
            continue;
        };
        errors.push(format!(
            "{}:{}: {from_layer} ({from}, layer {from_n}) imports {to} (layer {to_n}): `{}` — {rule}",
            import.file, import.line, import.text
        ));
    }
    errors.extend(mutual_imports(&imports, |m| top_of(m).to_string()));
    errors.extend(mutual_imports(&imports, str::to_string));
    errors.extend(import_circles(&imports));

    // Two single-file top-level modules importing each other show up at both granularities.
    let mut seen = BTreeSet::new();
    errors.retain(|e| seen.insert(e.clone()));
    errors
}

fn top_of(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

/// Pairs of modules importing each other, with `key` choosing the granularity.
fn mutual_imports(imports: &[Import], key: impl Fn(&str) -> String) -> Vec<String> {
    // The first place each edge appears: imports come in file and line order.
    let mut edges: BTreeMap<(String, String), &Import> = BTreeMap::new();
    for import in imports {
        let (from, to) = (key(&import.from), key(&import.to));
        if from != to {
            edges.entry((from, to)).or_insert(import);
        }
    }
    let mut errors = Vec::new();
    for ((a, b), there) in edges.iter().filter(|((a, b), _)| a < b) {
        if let Some(back) = edges.get(&(b.clone(), a.clone())) {
            errors.push(format!(
                "{}:{} and {}:{}: {a} and {b} import each other",
                there.file, there.line, back.file, back.line
            ));
        }
    }
    errors
}

/// Circles of three or more file modules (two are `mutual_imports`): `a -> b -> c -> a`
/// inside one folder is as tangled as two files importing each other, only harder to see.
/// Each circle is reported once, as the shortest one through its smallest module.
fn import_circles(imports: &[Import]) -> Vec<String> {
    let mut edges: BTreeMap<&str, BTreeMap<&str, &Import>> = BTreeMap::new();
    for import in imports.iter().filter(|i| i.from != i.to) {
        let next = edges.entry(import.from.as_str()).or_default();
        next.entry(import.to.as_str()).or_insert(import);
    }
    let mut reported: BTreeSet<BTreeSet<&str>> = BTreeSet::new();
    let mut errors = Vec::new();
    for &start in edges.keys() {
        let Some(circle) = shortest_circle(&edges, start) else {
            continue;
        };
        let members: BTreeSet<&str> = circle.iter().copied().collect();
        if circle.len() < 3 || members.first() != Some(&start) || !reported.insert(members) {
            continue;
        }
        let links: Vec<String> = circle
            .iter()
            .zip(circle.iter().cycle().skip(1))
            .map(|(a, b)| {
                let import = edges[a][b];
                format!("{}:{}", import.file, import.line)
            })
            .collect();
        let mut path: Vec<&str> = circle.clone();
        path.push(start);
        errors.push(format!(
            "{} import each other in a circle ({}) — move what they share into a module that \
             imports none of them",
            path.join(" -> "),
            links.join(", ")
        ));
    }
    errors
}

/// The shortest path of imports from `start` back to itself (breadth first), without `start`
/// repeated at the end.
fn shortest_circle<'a>(
    edges: &BTreeMap<&'a str, BTreeMap<&'a str, &Import>>,
    start: &'a str,
) -> Option<Vec<&'a str>> {
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(at) = queue.pop_front() {
        for &next in edges.get(at).into_iter().flat_map(|n| n.keys()) {
            if next == start {
                let mut circle = vec![at];
                while let Some(&before) = came_from.get(circle.last().unwrap()) {
                    circle.push(before);
                }
                circle.reverse();
                return Some(circle);
            }
            if next != start && !came_from.contains_key(next) {
                came_from.insert(next, at);
                queue.push_back(next);
            }
        }
    }
    None
}

/// Every `.rs` file under `src_dir` except the crate roots, in path order.
fn source_files(src_dir: &Path) -> Vec<SourceFile> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {dir:?}: {e}"));
        for path in entries.map(|entry| entry.expect("directory entry").path()) {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(src_dir, &mut paths);
    paths.sort();

    let mut files = Vec::new();
    for path in paths {
        let rel: Vec<String> = path
            .strip_prefix(src_dir)
            .expect("under src")
            .iter()
            .map(|part| part.to_string_lossy().into_owned())
            .collect();
        let (stem, dirs) = rel.split_last().expect("a file name");
        let stem = stem.trim_end_matches(".rs");
        // Crate roots may import anything; src/bin/ holds more roots, of other crates.
        if dirs.is_empty() && (stem == "lib" || stem == "main")
            || dirs.first().is_some_and(|d| d == "bin")
        {
            continue;
        }
        let mut module = dirs.to_vec();
        let owner = stem.strip_suffix("_tests");
        if stem != "mod" {
            module.push(owner.unwrap_or(stem).to_string());
        }
        if !module.is_empty() {
            let shown = format!("src/{}", rel.join("/"));
            files.push(SourceFile {
                path,
                shown,
                module,
                test_include: owner.is_some(),
            });
        }
    }
    files
}

/// Finds the crate-internal imports of one file, in source order.
fn scan_file(file: &SourceFile, modules: &BTreeSet<String>) -> Vec<Import> {
    let raw = fs::read_to_string(&file.path).unwrap_or_else(|e| panic!("{}: {e}", file.shown));
    let code = strip_comments_and_strings(&raw);
    let s = code.as_bytes();
    let mut imports = Vec::new();
    let mut record = |pos: usize, text: String, paths: Vec<Vec<String>>, here: &[String]| {
        let line = s[..pos].iter().filter(|&&b| b == b'\n').count() + 1;
        // Rust 2018 paths may start with a child module's name, at the file's own level.
        let children = here == file.module;
        // A set: `use crate::error::{A, B};` imports `error` once.
        let targets: BTreeSet<String> = paths
            .iter()
            .filter_map(|p| resolve(p, here, children, modules))
            .collect();
        for to in targets {
            let (file, text, from) = (file.shown.clone(), text.clone(), file.module.join("::"));
            imports.push(Import {
                file,
                line,
                text,
                from,
                to,
            });
        }
    };

    // Inline `mod name { … }` blocks we are in, with the brace depth of their bodies: a
    // `super::` in them is relative to them. A `*_tests.rs` file is the inside of `mod tests`.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let (mut depth, mut i) = (0, 0);
    while i < s.len() {
        match s[i] {
            b'{' => depth += 1,
            b'}' if inline.last().is_some_and(|(_, d)| *d == depth) => {
                inline.pop();
                depth -= 1;
            }
            b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if !is_ident(s[i]) || (i > 0 && is_ident(s[i - 1])) {
            i += 1;
            continue;
        }
        let mut here = file.module.clone();
        here.extend(file.test_include.then(|| "tests".to_string()));
        here.extend(inline.iter().map(|(name, _)| name.clone()));
        let word_end = skip(s, i, is_ident);
        let after = skip(s, word_end, |b| b.is_ascii_whitespace());
        let name_end = skip(s, after, is_ident);
        let brace = skip(s, name_end, |b| b.is_ascii_whitespace());
        i = match &s[i..word_end] {
            b"mod" if name_end > after && s.get(brace) == Some(&b'{') => {
                depth += 1;
                inline.push((code[after..name_end].to_string(), depth));
                brace + 1
            }
            b"use" if after > word_end => {
                let end = (skip(s, i, |b| b != b';') + 1).min(s.len());
                let decl = code[i..end]
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                record(i, decl, expand_use_tree(&code[word_end..end]), &here);
                end
            }
            _ if s[word_end..].starts_with(b"::") => {
                // Take the whole path, so that its later segments are not read as paths again.
                let mut end = word_end;
                while s[end..].starts_with(b"::") && s.get(end + 2).is_some_and(|&b| is_ident(b)) {
                    end = skip(s, end + 2, is_ident);
                }
                let start = if i > 0 && s[i - 1] == b'$' { i - 1 } else { i };
                let path = code[start..end].to_string();
                let segments = path.split("::").map(str::to_string).collect();
                record(i, path, vec![segments], &here);
                end
            }
            _ => word_end,
        };
    }
    imports
}

/// The file module a path written in module `here` lands in, or `None` for other crates and
/// for the crate root (which is exempt, and also where `#[macro_export]` macros live).
fn resolve(
    path: &[String],
    here: &[String],
    children: bool,
    modules: &BTreeSet<String>,
) -> Option<String> {
    let (first, rest) = path.split_first()?;
    let mut absolute = match first.as_str() {
        "crate" | "$crate" => Vec::new(),
        "self" => here.to_vec(),
        "super" => here[..here.len().saturating_sub(1)].to_vec(),
        name if children && modules.contains(&format!("{}::{name}", here.join("::"))) => {
            [here, &[name.to_string()]].concat()
        }
        _ => return None,
    };
    for segment in rest {
        match segment.as_str() {
            "super" => drop(absolute.pop()),
            "self" | "*" => {}
            name => absolute.push(name.to_string()),
        }
    }
    (1..=absolute.len())
        .rev()
        .map(|n| absolute[..n].join("::"))
        .find(|m| modules.contains(m))
}

/// Expands the tree after `use` (`crate::{a::B, c::{self, d as e}};`) into full paths.
fn expand_use_tree(tree: &str) -> Vec<Vec<String>> {
    let s = tree.as_bytes();
    let (mut paths, mut path, mut i) = (Vec::new(), Vec::new(), 0);
    // `groups` holds the length of `path` at each open `{`; `leaf` says `path` ends in a name
    // that no `,`/`}`/`;` has closed yet; `alias` says the next name follows `as`.
    let (mut groups, mut leaf, mut alias) = (Vec::new(), false, false);
    while i < s.len() {
        let name_end = skip(s, i, |b| is_ident(b) || b == b'*');
        if name_end > i {
            match &tree[i..name_end] {
                "as" => alias = true,
                _ if alias => alias = false,
                name => {
                    path.push(name.to_string());
                    leaf = true;
                }
            }
            i = name_end;
            continue;
        }
        if s[i] == b'{' {
            groups.push(path.len());
            leaf = false;
        } else if b",};".contains(&s[i]) {
            if leaf {
                paths.push(path.clone());
            }
            leaf = false;
            path.truncate(groups.last().copied().unwrap_or(0));
            if s[i] == b'}' {
                groups.pop();
            }
        } // else `::`, spaces or the `$` of `$crate`
        i += 1;
    }
    paths
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// The first index from `i` on whose byte fails `keep`.
fn skip(s: &[u8], mut i: usize, keep: impl Fn(u8) -> bool) -> usize {
    while i < s.len() && keep(s[i]) {
        i += 1;
    }
    i
}

/// Blanks out comments and string and char literals, keeping newlines so line numbers hold.
fn strip_comments_and_strings(src: &str) -> String {
    let (s, mut out, mut i) = (src.as_bytes(), src.as_bytes().to_vec(), 0);
    while i < s.len() {
        let Some(end) = literal_or_comment_end(src, i) else {
            i += 1;
            continue;
        };
        for b in out[i..end].iter_mut().filter(|b| **b != b'\n') {
            *b = b' ';
        }
        i = end;
    }
    String::from_utf8(out).expect("only whole literals and comments are blanked")
}

/// Where the comment or literal starting at byte `i` ends, if one starts there.
fn literal_or_comment_end(src: &str, i: usize) -> Option<usize> {
    let (s, rest) = (src.as_bytes(), &src.as_bytes()[i..]);
    let after = |from: usize, pat: &[u8]| {
        (from..s.len())
            .find(|&j| s[j..].starts_with(pat))
            .map_or(s.len(), |j| j + pat.len())
    };
    if rest.starts_with(b"//") {
        return Some(skip(s, i, |b| b != b'\n'));
    }
    if rest.starts_with(b"/*") {
        let (mut depth, mut j) = (0, i); // block comments nest
        while j < s.len() {
            if s[j..].starts_with(b"/*") {
                (depth, j) = (depth + 1, j + 2);
            } else if s[j..].starts_with(b"*/") {
                (depth, j) = (depth - 1, j + 2);
            } else {
                j += 1;
            }
            if depth == 0 {
                return Some(j);
            }
        }
        return Some(s.len());
    }
    if rest[0] == b'"' {
        let mut j = i + 1;
        while j < s.len() && s[j] != b'"' {
            j += if s[j] == b'\\' { 2 } else { 1 };
        }
        return Some((j + 1).min(s.len()));
    }
    // Raw strings r"…", r#"…"#, br"…", cr"…"; not an identifier that ends in `r`.
    let word = |j: usize| j == 0 || !is_ident(s[j - 1]);
    if rest[0] == b'r' && (word(i) || b"bc".contains(&s[i - 1]) && word(i - 1)) {
        let hashes = skip(s, i + 1, |b| b == b'#') - i - 1;
        if rest.get(1 + hashes) == Some(&b'"') {
            let close = [b"\"".as_slice(), &vec![b'#'; hashes]].concat();
            return Some(after(i + 2 + hashes, &close));
        }
    }
    // Char literals ('x', '\n', '"', 'é'), but not lifetimes ('a).
    if rest[0] == b'\'' {
        if rest.get(1) == Some(&b'\\') {
            return Some(after(i + 3, b"'"));
        }
        let width = src[i + 1..].chars().next()?.len_utf8();
        return (rest.get(1 + width) == Some(&b'\'')).then_some(i + 2 + width);
    }
    None
}

#[test]
fn modules_only_import_downward() {
    let errors = check(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")));
    assert!(
        errors.is_empty(),
        "{} architecture violation(s); see the LAYERS table in tests/architecture.rs:\n{}\n",
        errors.len(),
        errors.join("\n")
    );
}

/// Writes a synthetic `src` tree to a fresh temp directory, checks it, removes it, and asserts
/// that exactly the listed messages (by fragment) are reported: a checker reporting everything
/// fails as surely as one reporting nothing. Each file starts with a `--- path` line; lines are
/// trimmed, so the tree can be indented.
fn expect_reports(tree: &str, fragments: &[&str]) {
    struct TempDir(PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = format!("bouncer-architecture-{}-{n}", std::process::id());
    let root = TempDir(std::env::temp_dir().join(name)); // removed on return or panic
    let src = root.0.join("src");
    for file in tree.split("--- ").skip(1) {
        let (path, text) = file.split_once('\n').unwrap_or((file, ""));
        let path = src.join(path.trim());
        let text: String = text
            .lines()
            .map(|line| line.trim().to_string() + "\n")
            .collect();
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
    }
    let errors = check(&src);
    assert_eq!(
        errors.len(),
        fragments.len(),
        "unexpected report: {errors:#?}"
    );
    for fragment in fragments {
        assert!(
            errors.iter().any(|e| e.contains(fragment)),
            "no `{fragment}` in {errors:#?}"
        );
    }
}

#[test]
fn reports_an_upward_import() {
    expect_reports(
        "--- db/mod.rs
        mod x;

        use crate::error::ApiError;
        --- db/x.rs
        --- error.rs",
        &[
            "src/db/mod.rs:3: storage (db, layer 1) imports error (layer 2): \
           `use crate::error::ApiError;` — layers may only import downward",
        ],
    );
}

#[test]
fn reports_a_value_module_importing_another_module() {
    expect_reports(
        "--- tokens/mod.rs
        mod claims;
        use crate::clock::Now;
        --- tokens/claims.rs
        use crate::tokens::Token;
        use super::Token as T;
        --- clock.rs",
        &["src/tokens/mod.rs:2: values (tokens, layer 0) imports clock (layer 0)"],
    );
}

#[test]
fn reports_modules_importing_each_other() {
    expect_reports(
        "--- tokens/mod.rs
        mod claims;
        mod keys;
        --- tokens/claims.rs
        //! Siblings in one layer.
        use crate::tokens::keys::Key;
        --- tokens/keys.rs
        use super::claims::Claims;
        --- auth.rs
        use crate::http::body::Body;
        --- http/mod.rs
        pub mod body;
        pub mod guards;
        --- http/body.rs
        --- http/guards.rs
        fn f() {
            crate::auth::g();
        }",
        &[
            "src/tokens/claims.rs:2 and src/tokens/keys.rs:1: tokens::claims and tokens::keys \
             import each other",
            "src/auth.rs:1 and src/http/guards.rs:2: auth and http import each other",
        ],
    );
}

#[test]
fn reports_a_circle_of_files_inside_a_folder() {
    expect_reports(
        "--- db/mod.rs
        mod pool;
        mod batch;
        mod notify;
        --- db/pool.rs
        use super::batch::Batch;
        --- db/batch.rs
        use super::notify::Notice;
        --- db/notify.rs
        use super::pool::Db;",
        &[
            "db::batch -> db::notify -> db::pool -> db::batch import each other in a circle \
           (src/db/batch.rs:1, src/db/notify.rs:1, src/db/pool.rs:1)",
        ],
    );
}

#[test]
fn parses_grouped_multi_line_use() {
    expect_reports(
        "--- db.rs
        pub(crate) use crate::{
            settings::Settings,
            service::{self as svc, jobs::{Job, Queue}},
        };
        --- settings.rs
        --- service.rs",
        &[
            "src/db.rs:1: storage (db, layer 1) imports service (layer 3): `use crate::{ \
           settings::Settings, service::{self as svc, jobs::{Job, Queue}}, };`",
        ],
    );
}

#[test]
fn finds_inline_paths() {
    expect_reports(
        "--- error.rs
        fn f() {
            let _ = crate::service::jobs::run();
        }
        --- db.rs
        macro_rules! m { () => { $crate::startup::go() }; }
        --- service/mod.rs
        pub mod jobs;
        --- service/jobs.rs
        --- startup.rs",
        &[
            "src/error.rs:2: outcomes (error, layer 2) imports service (layer 3): \
             `crate::service::jobs::run`",
            "src/db.rs:1: storage (db, layer 1) imports startup (layer 5): `$crate::startup::go`",
        ],
    );
}

#[test]
fn ignores_paths_in_strings_and_comments() {
    expect_reports(
        r##"--- db.rs
        // use crate::error::ApiError;
        /// See crate::error::ApiError.
        /* crate::error /* nested */ crate::service */
        fn f() -> (&'static str, &'static str, char, char) {
            ("crate::error::x \" crate::error", r#"a "crate::error::x" b"#, '"', '\'')
        }
        const S: &[u8] = b"crate::service::y";
        --- error.rs
        --- service.rs"##,
        &[],
    );
}

#[test]
fn accepts_a_clean_tree() {
    expect_reports(
        r#"--- lib.rs
        pub mod auth;
        use crate::auth::Anything;
        --- main.rs
        use bouncer::startup;
        --- tokens/mod.rs
        pub mod keys;
        pub use self::keys::Keys;
        --- tokens/keys.rs
        use std::fmt;
        #[path = "keys_tests.rs"]
        mod tests;
        --- tokens/keys_tests.rs
        use super::*;
        use crate::tokens::keys::Keys;
        --- db/mod.rs
        pub mod users;
        use diesel::prelude::*;
        use crate::tokens::Keys;
        --- db/users.rs
        use crate::on_backend;
        #[cfg(test)]
        mod tests {
            use super::*;
        }
        --- auth/mod.rs
        mod extractor;
        pub use extractor::User;
        use crate::{db::users, tokens::Keys};
        --- auth/extractor.rs
        fn f() { crate::db::users::find(); }
        mod tests { use super::*; }"#,
        &[],
    );
}

#[test]
fn resolves_super_and_self() {
    expect_reports(
        "--- service/mod.rs
        mod a;
        mod b;
        pub use self::a::A;
        fn f() { b::g() }
        --- service/a.rs
        use super::Shared;
        --- service/b.rs
        mod inner {
            fn h() { super::super::S; }
        }
        --- db/mod.rs
        pub mod a;
        pub mod z;
        --- db/z.rs
        use crate::db::a::b::B;
        --- db/a/mod.rs
        pub mod b;
        --- db/a/b.rs
        use super::super::z::Z;",
        &[
            "src/service/mod.rs:3 and src/service/a.rs:1: service and service::a import each other",
            "src/service/mod.rs:4 and src/service/b.rs:2: service and service::b import each other",
            "src/db/a/b.rs:1 and src/db/z.rs:1: db::a::b and db::z import each other",
        ],
    );
}

#[test]
fn reports_unlisted_modules() {
    expect_reports(
        "--- state.rs\nuse crate::db::Db;\n--- db.rs",
        &["src/state.rs: module `state` has no layer — add it to the LAYERS table"],
    );
}
