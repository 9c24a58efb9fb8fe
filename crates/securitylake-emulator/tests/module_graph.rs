//! The crate's modules depend on each other in one direction: no module
//! reaches (through `crate::` paths) a module that reaches it back.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// `module -> modules it names through crate::` for every file in `src/`
/// (comments, doc links included, are skipped; `lib.rs` is the root).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "rs") && !matches!(stem, "lib" | "main") {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
            files.insert(stem.to_owned(), text);
        }
    }
    let modules: BTreeSet<String> = files.keys().cloned().collect();
    files
        .iter()
        .map(|(module, text)| {
            let mut uses = BTreeSet::new();
            for line in text.lines().map(str::trim).filter(|l| !l.starts_with("//")) {
                for (i, _) in line.match_indices("crate::") {
                    let rest = &line[i + "crate::".len()..];
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if modules.contains(&name) && &name != module {
                        uses.insert(name);
                    }
                }
            }
            (module.clone(), uses)
        })
        .collect()
}

/// A cycle through `start`, if there is one.
fn cycle_from(
    graph: &BTreeMap<String, BTreeSet<String>>,
    start: &str,
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    for next in graph.get(path.last()?)?.clone() {
        if next == start {
            let mut cycle = path.clone();
            cycle.push(next);
            return Some(cycle);
        }
        if !path.contains(&next) {
            path.push(next);
            if let Some(cycle) = cycle_from(graph, start, path) {
                return Some(cycle);
            }
            path.pop();
        }
    }
    None
}

#[test]
fn modules_form_no_cycle() {
    let graph = graph();
    // The modules the check must see (a guard against a parser that finds nothing).
    assert!(graph.get("notify").is_some_and(|uses| uses.contains("s3")));
    assert!(graph.get("s3").is_some_and(|uses| uses.contains("state")));
    for module in graph.keys() {
        if let Some(cycle) = cycle_from(&graph, module, &mut vec![module.clone()]) {
            panic!("module cycle: {}", cycle.join(" -> "));
        }
    }
}
