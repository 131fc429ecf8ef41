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
    for dir in ["src", "../shared/src", "../ui/components/src", "../ui/public/src", "../ui/console/src"] {
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
