//! docs/storage.md, "Statements by table": every SQL statement of the worker lives in
//! `engine/tables/<table>.rs`, the module of the table it writes (or, for a read, the
//! table its outer `FROM` names); reads on no table or across several tables at once
//! (sub-selects only) live in `engine/tables/mod.rs`.
//! Features compose batches from those builders, so a reader who wants to know what
//! touches `refresh_tokens` opens one file.

// A test crate: a failed read should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Test modules in their own files, and the native SQLite adapter (its migration
/// bookkeeping, `d1_migrations`, is the runner's table, as in wrangler).
fn is_exempt(path: &Path) -> bool {
    let text = path.to_string_lossy();
    text.ends_with("tests.rs")
        || text.contains("/tests/")
        || text.contains("/test_support/")
        || text.contains("/native/")
}

/// The file's text before an inline `#[cfg(test)] mod tests` (tests may look at rows).
fn production_part(text: &str) -> &str {
    let mut offset = 0;
    let mut previous = "";
    for line in text.split_inclusive('\n') {
        if previous.trim() == "#[cfg(test)]" && line.trim_start().starts_with("mod tests") && line.contains('{') {
            return &text[..offset - previous.len()];
        }
        offset += line.len();
        previous = line;
    }
    text
}

/// The string literals of Rust source, in order, each with the code between it and the
/// previous literal; comments are skipped.
fn literals(text: &str) -> Vec<(String, String)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut gap = String::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            // A char literal ('"', '\'', 'x'); a lifetime has no closing quote two on.
            b'\'' if bytes.get(i + 2) == Some(&b'\'') => i += 3,
            b'\'' if bytes.get(i + 1) == Some(&b'\\') => {
                i += 2;
                while i < bytes.len() && bytes[i] != b'\'' {
                    i += 1;
                }
                i += 1;
            }
            b'"' => {
                let mut literal = String::new();
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        // A line continuation joins lines without their indentation.
                        if bytes.get(i + 1) == Some(&b'\n') {
                            i += 2;
                            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                                i += 1;
                            }
                            continue;
                        }
                        literal.push(bytes[i + 1] as char);
                        i += 2;
                        continue;
                    }
                    literal.push(bytes[i] as char);
                    i += 1;
                }
                i += 1;
                out.push((std::mem::take(&mut gap), literal));
            }
            other => {
                gap.push(other as char);
                i += 1;
            }
        }
    }
    out
}

const KEYWORDS: [&str; 5] = ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH"];

/// The SQL statements in a file: a literal that opens with a keyword, joined with the
/// literals that continue it (`concat!` pieces, `push_str`) up to the end of its item.
fn statements(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for (gap, literal) in literals(production_part(text)) {
        let starts = KEYWORDS.iter().any(|k| literal.trim_start().starts_with(&format!("{k} ")));
        let ended = gap.contains(';') || gap.contains('{') || gap.contains('}');
        if starts {
            out.push(literal);
            open = true;
        } else if open && !ended {
            if let Some(last) = out.last_mut() {
                last.push_str(&literal);
            }
        } else {
            open = false;
        }
    }
    out
}

/// The table a statement belongs to: the first one it writes, else the one the outer
/// query reads first (a `FROM` outside parentheses: a column's sub-select does not count).
/// A read made only of sub-selects belongs to their table, or to none when they span
/// several (a count across tables: `engine/tables/mod.rs`).
fn home_table(statement: &str) -> Option<String> {
    let mut words: Vec<(&str, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut start = None;
    for (i, c) in statement.char_indices().chain(std::iter::once((statement.len(), ' '))) {
        if c.is_ascii_alphanumeric() || c == '_' {
            start.get_or_insert(i);
            continue;
        }
        if let Some(s) = start.take() {
            words.push((&statement[s..i], depth));
        }
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let word = |i: usize| words.get(i).map(|(w, _)| (*w).to_owned());
    for (i, (w, _)) in words.iter().enumerate() {
        match *w {
            "INSERT" | "REPLACE" => {
                if let Some(into) = words[i..].iter().position(|(w, _)| *w == "INTO") {
                    return word(i + into + 1);
                }
            }
            "DELETE" if words.get(i + 1).is_some_and(|(w, _)| *w == "FROM") => return word(i + 2),
            "UPDATE" if i == 0 || words[i - 1].0 != "DO" => return word(i + 1),
            _ => {}
        }
    }
    let outer = words.iter().map(|(_, d)| *d).min().unwrap_or(0);
    if let Some(i) = words.iter().position(|(w, d)| *w == "FROM" && *d == outer) {
        return word(i + 1);
    }
    // Sub-selects only: their table if they share one, else none (a read across tables).
    let mut read: Vec<String> =
        words.iter().enumerate().filter(|(_, (w, _))| *w == "FROM").filter_map(|(i, _)| word(i + 1)).collect();
    read.dedup();
    if read.len() == 1 {
        read.pop()
    } else {
        None
    }
}

fn worker_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn every_statement_lives_in_the_module_of_its_table() {
    let src = worker_src();
    let tables = src.join("engine/tables");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    let mut seen = 0;
    for file in files.iter().filter(|f| !is_exempt(f)) {
        let text = fs::read_to_string(file).unwrap();
        let module = file.file_stem().unwrap().to_string_lossy().into_owned();
        let in_tables = file.parent() == Some(tables.as_path());
        for statement in statements(&text) {
            seen += 1;
            let home = home_table(&statement);
            let right = in_tables
                && match &home {
                    Some(table) => *table == module,
                    None => module == "mod",
                };
            if !right {
                let shown: String = statement.chars().take(90).collect();
                let place = file.strip_prefix(&src).unwrap().display();
                wrong.push(format!(
                    "{place}: `{shown}` belongs in engine/tables/{}.rs",
                    home.as_deref().unwrap_or("mod")
                ));
            }
        }
    }
    assert!(seen > 100, "the scan found only {seen} statements: is it still reading the sources?");
    assert!(wrong.is_empty(), "statements outside their table's module:\n{}", wrong.join("\n"));
}

/// The tables the migrations leave, in order: created, dropped, renamed.
fn migrated_tables() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let mut files: Vec<PathBuf> = fs::read_dir(root.join("migrations")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut tables: Vec<String> = Vec::new();
    for file in files {
        let text = fs::read_to_string(file).unwrap();
        let words: Vec<&str> =
            text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).collect();
        for (i, pair) in words.windows(2).enumerate() {
            let name = |n: usize| -> Option<String> {
                words[i + n..].iter().find(|w| !matches!(**w, "IF" | "NOT" | "EXISTS")).map(|w| (*w).to_owned())
            };
            match pair {
                ["CREATE", "TABLE"] => tables.extend(name(2)),
                ["DROP", "TABLE"] => {
                    let gone = name(2);
                    tables.retain(|t| Some(t) != gone.as_ref());
                }
                ["RENAME", "TO"] => {
                    // ALTER TABLE <old> RENAME TO <new>
                    if let (Some(old), Some(new)) = (words.get(i.wrapping_sub(1)), words.get(i + 2)) {
                        for t in tables.iter_mut().filter(|t| t == old) {
                            *t = (*new).to_owned();
                        }
                    }
                }
                _ => {}
            }
        }
    }
    tables.sort();
    tables.dedup();
    tables
}

#[test]
fn every_table_of_the_migrations_has_a_module() {
    let tables = migrated_tables();
    assert!(tables.len() > 20, "the migrations leave only {tables:?}: is the scan still reading them?");
    let missing: Vec<&String> =
        tables.iter().filter(|t| !worker_src().join(format!("engine/tables/{t}.rs")).exists()).collect();
    assert!(missing.is_empty(), "tables without a module in engine/tables/: {missing:?}");
}

#[test]
fn the_scan_finds_the_home_of_each_kind_of_statement() {
    assert_eq!(home_table("SELECT a FROM users u JOIN sessions s ON 1").as_deref(), Some("users"));
    assert_eq!(
        home_table("INSERT INTO consents (a) VALUES (?1) ON CONFLICT (a) DO UPDATE SET a = 1").as_deref(),
        Some("consents")
    );
    assert_eq!(home_table("UPDATE refresh_tokens SET revoked_at = ?1").as_deref(), Some("refresh_tokens"));
    assert_eq!(
        home_table("DELETE FROM sessions WHERE rowid IN (SELECT rowid FROM sessions)").as_deref(),
        Some("sessions")
    );
    assert_eq!(home_table("SELECT 1").as_deref(), None);
    assert_eq!(home_table("SELECT (SELECT 1 FROM users) AS a, (SELECT 2 FROM users) AS b").as_deref(), Some("users"));
    assert_eq!(home_table("SELECT (SELECT 1 FROM users) AS a, (SELECT 2 FROM clients) AS b").as_deref(), None);
    assert_eq!(home_table("SELECT (SELECT 1 FROM scopes) AS s FROM clients c").as_deref(), Some("clients"));
    let source = "const A: &str = concat!(\"SELECT \", cols!(), \" FROM users WHERE id = ?1\");\n\
                  // \"DELETE FROM x\" in a comment\n\
                  fn f() { (\"UPDATE sessions SET a = 1 \\\n    WHERE b = 2\", vec![]) }";
    let found = statements(source);
    assert_eq!(
        found,
        vec!["SELECT  FROM users WHERE id = ?1".to_owned(), "UPDATE sessions SET a = 1 WHERE b = 2".to_owned()]
    );
}
