//! The house rules a reviewer would otherwise check by hand (docs/architecture.md):
//! source files stay under 500 lines (test files apart), paths are `crate::` paths rather
//! than `super::super`, and the edge's modules import each other without cycles.

// A test crate: a failed read should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 500;

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

fn sources() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in
        ["src", "../shared/src", "../admin-ui/components/src", "../admin-ui/public/src", "../admin-ui/console/src"]
    {
        rust_files(&root.join(dir), &mut files);
    }
    files
}

/// Test modules in their own files (`tests.rs`, `tests/`, `*_tests.rs`, test support).
fn is_test_file(path: &Path) -> bool {
    let text = path.to_string_lossy();
    text.ends_with("tests.rs") || text.contains("/tests/") || text.contains("/test_support/")
}

#[test]
fn source_files_stay_under_500_lines_outside_tests() {
    let too_long: Vec<String> = sources()
        .into_iter()
        .filter(|p| !is_test_file(p))
        .filter_map(|p| {
            let lines = fs::read_to_string(&p).unwrap().lines().count();
            (lines > MAX_LINES).then(|| format!("{} ({lines} lines)", p.display()))
        })
        .collect();
    assert!(too_long.is_empty(), "split these by concern: {too_long:?}");
}

#[test]
fn paths_are_crate_paths_not_super_super() {
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|p| fs::read_to_string(p).unwrap().contains(&["super", "::", "super"].concat()))
        .map(|p| p.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "use crate:: paths in {offenders:?}");
}

/// The edge module a file belongs to: `edge/handlers/browser.rs` is `handlers`.
fn edge_module(edge: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(edge).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
    first.trim_end_matches(".rs").to_owned()
}

#[test]
fn edge_modules_import_each_other_without_cycles() {
    let edge = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/edge");
    let mut files = Vec::new();
    rust_files(&edge, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let from = edge_module(&edge, file);
        if from == "mod" {
            continue;
        }
        let text = fs::read_to_string(file).unwrap();
        let targets = graph.entry(from.clone()).or_default();
        for part in text.split("crate::edge::").skip(1) {
            let to: String = part.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !to.is_empty() && to != from {
                targets.insert(to);
            }
        }
    }
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            return Some(path[at..].to_vec());
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        let cycle = visit(node, &graph, &mut Vec::new(), &mut done);
        assert!(cycle.is_none(), "edge import cycle: {cycle:?} (graph: {graph:?})");
    }
    assert!(graph.contains_key("router") && graph["router"].contains("handlers"), "the graph was read: {graph:?}");
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// What a citation `docs/<name>.md, "<words>"` may name in that document: its headings
/// and, in docs/architecture.md, the bold words that open each numbered rule
/// (`3. **Each store method is one statement or one D1 batch.** ...`).
fn citable_names(doc: &str) -> BTreeSet<String> {
    let text = fs::read_to_string(repo_root().join("docs").join(doc)).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            if let Some(heading) = line.strip_prefix('#') {
                return Some(heading.trim_start_matches('#').trim().replace('`', ""));
            }
            let (number, rest) = line.trim_start().split_once(". **")?;
            if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            Some(rest.split("**").next()?.trim_end_matches('.').to_owned())
        })
        .collect()
}

/// A file's text with the comment markers of its lines folded away, so a citation that
/// wraps onto the next comment line reads as one.
fn folded(text: &str) -> String {
    text.lines()
        .map(|line| {
            let t = line.trim_start();
            t.strip_prefix("//!").or_else(|| t.strip_prefix("///")).or_else(|| t.strip_prefix("//")).unwrap_or(t).trim()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Everything that may cite a rule: the Rust sources and the Markdown of docs/ and the README.
fn citing_files() -> Vec<PathBuf> {
    let mut files = sources();
    for entry in fs::read_dir(repo_root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files.push(repo_root().join("README.md"));
    files
}

#[test]
fn every_cited_rule_or_section_is_in_its_document() {
    assert!(citable_names("architecture.md").contains("Time is a parameter"), "the rules were not found");
    let mut unknown = Vec::new();
    for file in citing_files() {
        let text = folded(&fs::read_to_string(&file).unwrap());
        for cited in text.split("docs/").skip(1) {
            let Some((doc, after)) = cited.split_once(".md") else { continue };
            if doc.is_empty() || !doc.chars().all(|c| c.is_ascii_lowercase() || c == '-' || c == '_') {
                continue;
            }
            let Some(quoted) = after.strip_prefix(", \"").or_else(|| after.strip_prefix(" \"")) else { continue };
            let name = quoted.split('"').next().unwrap_or_default();
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ").replace('`', "");
            if !citable_names(&format!("{doc}.md")).contains(&name) {
                unknown.push(format!("{}: docs/{doc}.md \"{name}\"", file.display()));
            }
        }
    }
    assert!(unknown.is_empty(), "citations of a rule or section their document does not have: {unknown:?}");
}

#[test]
fn rules_are_cited_by_name_never_by_number() {
    let mut numbered = Vec::new();
    for file in citing_files() {
        let text = folded(&fs::read_to_string(&file).unwrap()).to_lowercase();
        for (at, _) in text.match_indices("rule ") {
            if text[at + 5..].starts_with(|c: char| c.is_ascii_digit()) {
                numbered.push(format!("{}: {}", file.display(), &text[at..(at + 12).min(text.len())]));
            }
        }
    }
    assert!(numbered.is_empty(), "cite rules by their name in docs/architecture.md: {numbered:?}");
}

#[test]
fn comments_cite_documents_of_this_repository() {
    // The external contract and the Crystal server's documentation live outside this
    // repository; what the code relies on from them is in docs/api.md and
    // docs/configuration.md, which comments cite instead.
    let outside = ["contract \"", "contract, \"", "contract: ", "(contract)", "the contract", "product docs"];
    let mut offenders = Vec::new();
    for file in sources() {
        let text = folded(&fs::read_to_string(&file).unwrap()).to_lowercase();
        for phrase in outside {
            if text.contains(phrase) {
                offenders.push(format!("{}: {phrase}", file.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "cite docs/api.md or docs/configuration.md instead: {offenders:?}");
}

/// The paths a layout tree (the first code block after `heading` in a Markdown file) lists:
/// each line's leading folder and file names, nested by indentation. Lines indented past
/// the tree's columns continue a description.
fn layout_tree(markdown: &str, heading: &str) -> Vec<String> {
    let text = fs::read_to_string(repo_root().join(markdown)).unwrap();
    let after = text.split_once(heading).map_or(text.as_str(), |(_, rest)| rest);
    let block = after.split("```").nth(1).unwrap_or_default();
    let path_like = |t: &str| {
        t.ends_with('/')
            || (t.contains('.')
                && t.chars().all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c))
                && !t.ends_with('.'))
    };
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut paths = Vec::new();
    for line in block.lines().skip(1) {
        let indent = line.len() - line.trim_start().len();
        if indent >= 10 || line.trim().is_empty() {
            continue;
        }
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        let parent = stack.last().map(|(_, p)| p.clone()).unwrap_or_default();
        // The names come before the description, which starts after a run of spaces; a
        // run of spaces may also separate two names (`admin/  ops/`).
        let entries: Vec<&str> = line
            .trim()
            .split("  ")
            .filter(|segment| !segment.trim().is_empty())
            .map_while(|segment| {
                let names: Vec<&str> = segment.split_whitespace().collect();
                names.iter().all(|t| path_like(t)).then_some(names)
            })
            .flatten()
            .collect();
        for entry in &entries {
            paths.push(format!("{parent}{entry}"));
        }
        if let [only] = entries.as_slice() {
            if only.ends_with('/') {
                stack.push((indent, format!("{parent}{only}")));
            }
        }
    }
    paths
}

fn folders(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && !["node_modules", "target", "dist", "build"].contains(&n.as_str()))
        .collect();
    names.sort();
    names
}

#[test]
fn the_layout_trees_of_docs_and_readme_match_the_folders() {
    let root = repo_root();
    for (doc, heading, deep) in [("docs/architecture.md", "# Architecture", true), ("README.md", "## Layout", false)] {
        let listed = layout_tree(doc, heading);
        assert!(listed.len() > 10, "{doc}: no layout tree found ({listed:?})");
        let missing: Vec<&String> = listed.iter().filter(|p| !root.join(p.as_str()).exists()).collect();
        assert!(missing.is_empty(), "{doc} lists what is not there: {missing:?}");
        let mut unlisted = Vec::new();
        for top in folders(&root) {
            if !listed.iter().any(|p| p.starts_with(&format!("{top}/"))) {
                unlisted.push(format!("{top}/"));
            }
        }
        if deep {
            for parent in ["worker/src/engine", "worker/src/edge", "admin-ui"] {
                for folder in folders(&root.join(parent)) {
                    let path = format!("{parent}/{folder}/");
                    if !listed.contains(&path) {
                        unlisted.push(path);
                    }
                }
            }
        }
        assert!(unlisted.is_empty(), "{doc}'s layout tree lacks {unlisted:?} (it lists {listed:?})");
    }
}
