//! The house has no import cycles: within each library crate, the graph of "module A uses an
//! item of module B" is acyclic, so every module can be read (and changed) knowing only the
//! modules below it.
//!
//! Edges come from `use crate::…`, `use super::…` and `use self::…` (in the module and in its
//! inline submodules, `#[cfg(test)]` ones excepted: a test reaches anywhere). A path through
//! the crate root's `pub use` re-exports is followed to the module that defines the item. A
//! module using its own ancestor (`super::Answer` from `routes/generate.rs`) is an edge like
//! any other: it is a cycle only if the ancestor uses it back.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// A module, as its path below the crate root (`[]` is the root, `["routes", "admin"]`).
type Module = Vec<String>;

/// Checks every crate's `src/`; the error names each cycle found.
pub fn check(root: &Path, crates: &[&str]) -> Result<(), String> {
    let mut problems = Vec::new();
    for name in crates {
        let src = root.join("crates").join(name).join("src");
        let modules = read_modules(&src)?;
        let edges = edges(&modules);
        match find_cycle(&edges) {
            Some(cycle) => problems.push(format!("{name}: {}", show(&cycle))),
            None => println!(
                "{name}: {} modules, {} edges, no import cycle",
                modules.len(),
                edges.values().map(BTreeSet::len).sum::<usize>()
            ),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("import cycles: {}", problems.join("; ")))
    }
}

/// Every module file of a crate, parsed.
fn read_modules(src: &Path) -> Result<BTreeMap<Module, syn::File>, String> {
    let mut modules = BTreeMap::new();
    // A binary crate's root is main.rs; beside a lib.rs, main.rs is a binary of its own.
    let root_file = if src.join("lib.rs").exists() {
        "lib"
    } else {
        "main"
    };
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(src).map_err(|e| e.to_string())?;
            let mut module: Module = relative
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if module == [root_file] || module.last().is_some_and(|last| last == "mod") {
                module.pop();
            } else if module == ["main"] {
                continue; // a binary beside the library, not one of its modules
            }
            let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let file = syn::parse_file(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            modules.insert(module, file);
        }
    }
    Ok(modules)
}

/// Module → the modules whose items it uses.
fn edges(modules: &BTreeMap<Module, syn::File>) -> BTreeMap<Module, BTreeSet<Module>> {
    let known: BTreeSet<&Module> = modules.keys().collect();
    let reexports = modules
        .get(&Vec::new())
        .map(|root| root_reexports(&root.items))
        .unwrap_or_default();
    let mut graph = BTreeMap::new();
    for (module, file) in modules {
        let mut paths = Vec::new();
        collect_uses(&file.items, module, &known, &mut paths);
        let targets = paths
            .into_iter()
            .filter_map(|path| target(&path, &known, &reexports))
            .filter(|target| target != module)
            .collect();
        graph.insert(module.clone(), targets);
    }
    graph
}

/// The crate root's `pub use` items: name → the full path it stands for.
fn root_reexports(items: &[syn::Item]) -> BTreeMap<String, Vec<String>> {
    let mut map = BTreeMap::new();
    for item in items {
        if let syn::Item::Use(item) = item
            && matches!(item.vis, syn::Visibility::Public(_))
        {
            let mut paths = Vec::new();
            flatten(&item.tree, Vec::new(), &mut paths);
            for path in paths {
                if let Some(last) = path.last() {
                    map.insert(last.clone(), path);
                }
            }
        }
    }
    map
}

/// The absolute paths (from the crate root) of every `use` in `items`, tests excepted.
fn collect_uses(
    items: &[syn::Item],
    module: &Module,
    known: &BTreeSet<&Module>,
    out: &mut Vec<Vec<String>>,
) {
    for item in items {
        match item {
            syn::Item::Use(item) => {
                let mut paths = Vec::new();
                flatten(&item.tree, Vec::new(), &mut paths);
                out.extend(paths.into_iter().filter_map(|path| {
                    // `use child::X` names a child module of this one (Rust 2018 paths).
                    let child = path.first().map(|first| {
                        let mut child = module.clone();
                        child.push(first.clone());
                        child
                    });
                    match child {
                        Some(child) if known.contains(&child) => {
                            Some(module.iter().cloned().chain(path).collect())
                        }
                        _ => absolute(path, module),
                    }
                }));
            }
            syn::Item::Mod(inner) if !is_test(&inner.attrs) => {
                if let Some((_, items)) = &inner.content {
                    let mut nested = module.clone();
                    nested.push(inner.ident.to_string());
                    collect_uses(items, &nested, known, out);
                }
            }
            _ => {}
        }
    }
}

fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .parse_args::<syn::Ident>()
                .is_ok_and(|ident| ident == "test")
    })
}

/// Every path a use tree names, as segments (`{a, b::c}` gives two).
fn flatten(tree: &syn::UseTree, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    match tree {
        syn::UseTree::Path(path) => {
            let mut prefix = prefix;
            prefix.push(path.ident.to_string());
            flatten(&path.tree, prefix, out);
        }
        syn::UseTree::Name(name) => {
            let mut path = prefix;
            path.push(name.ident.to_string());
            out.push(path);
        }
        syn::UseTree::Rename(rename) => {
            let mut path = prefix;
            path.push(rename.ident.to_string());
            out.push(path);
        }
        syn::UseTree::Glob(_) => out.push(prefix),
        syn::UseTree::Group(group) => {
            for tree in &group.items {
                flatten(tree, prefix.clone(), out);
            }
        }
    }
}

/// `crate::`, `super::` and `self::` paths from the crate root; `None` for other crates.
fn absolute(path: Vec<String>, module: &Module) -> Option<Vec<String>> {
    let mut segments = path.into_iter().peekable();
    let mut base = match segments.peek().map(String::as_str) {
        Some("crate") => {
            segments.next();
            Vec::new()
        }
        Some("self") => {
            segments.next();
            module.clone()
        }
        Some("super") => {
            let mut base = module.clone();
            while segments.peek().map(String::as_str) == Some("super") {
                segments.next();
                base.pop()?;
            }
            base
        }
        _ => return None,
    };
    base.extend(segments);
    Some(base)
}

/// The module that defines what `path` names: its longest prefix that is a module, after
/// following the root's re-exports.
fn target(
    path: &[String],
    known: &BTreeSet<&Module>,
    reexports: &BTreeMap<String, Vec<String>>,
) -> Option<Module> {
    let resolved;
    let path = match path.first().and_then(|first| reexports.get(first)) {
        Some(full) if !known.contains(&path[..1].to_vec()) => {
            // The root's `pub use a::B` names its child `a`; `pub use other_crate::B` is no
            // module of this crate, and no edge.
            let inner = match absolute(full.clone(), &Vec::new()) {
                Some(inner) => inner,
                None if known.contains(&full[..1].to_vec()) => full.clone(),
                None => return None,
            };
            resolved = inner
                .into_iter()
                .chain(path[1..].iter().cloned())
                .collect::<Vec<_>>();
            &resolved[..]
        }
        _ => path,
    };
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|prefix| known.contains(prefix))
}

/// A cycle, if the graph has one: the modules along it, the first repeated at the end.
fn find_cycle(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &Module,
        graph: &BTreeMap<Module, BTreeSet<Module>>,
        marks: &mut BTreeMap<Module, Mark>,
        path: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = path.iter().position(|m| m == node).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(node.clone());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.clone(), Mark::Open);
        path.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, marks, path) {
                return Some(cycle);
            }
        }
        path.pop();
        marks.insert(node.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut marks, &mut Vec::new()))
}

fn show(cycle: &[Module]) -> String {
    cycle
        .iter()
        .map(|m| {
            if m.is_empty() {
                "crate".to_string()
            } else {
                m.join("::")
            }
        })
        .collect::<Vec<_>>()
        .join(" -> ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph_of(files: &[(&str, &str)]) -> BTreeMap<Module, BTreeSet<Module>> {
        let modules = files
            .iter()
            .map(|(module, text)| {
                let module: Module = module
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect();
                (module, syn::parse_file(text).unwrap())
            })
            .collect();
        edges(&modules)
    }

    #[test]
    fn finds_a_cycle_through_super_and_a_root_reexport() {
        let graph = graph_of(&[
            ("", "mod server; mod routes; pub use server::State;"),
            ("server", "use crate::routes::admin;"),
            ("routes", "pub mod admin;"),
            ("routes::admin", "use super::super::State;"),
        ]);
        let cycle = find_cycle(&graph).expect("server -> routes::admin -> server");
        assert_eq!(show(&cycle), "server -> routes::admin -> server");
    }

    #[test]
    fn finds_a_cycle_through_a_relative_child_path() {
        let graph = graph_of(&[
            ("", "mod routes; mod state; pub use other_crate::types;"),
            ("routes", "mod admin; use admin::Handler;"),
            ("routes::admin", "use crate::state::Shared;"),
            (
                "state",
                "use crate::routes::Router; use crate::types::Part;",
            ),
        ]);
        let cycle = find_cycle(&graph).expect("routes -> routes::admin -> state -> routes");
        assert_eq!(show(&cycle), "routes -> routes::admin -> state -> routes");
        // `crate::types` is another crate's module, re-exported: no edge to the root.
        assert!(!graph[&vec!["state".to_string()]].contains(&Vec::new()));
    }

    #[test]
    fn a_child_using_its_parent_is_no_cycle_and_tests_do_not_count() {
        let graph = graph_of(&[
            ("", "mod routes;"),
            ("routes", "pub mod generate; pub struct Answer;"),
            (
                "routes::generate",
                "use super::Answer; use std::fmt; use other_crate::routes;",
            ),
            (
                "state",
                "#[cfg(test)] mod tests { use crate::routes::generate; }",
            ),
        ]);
        assert_eq!(find_cycle(&graph), None);
        assert_eq!(
            graph[&vec!["routes".to_string(), "generate".to_string()]],
            BTreeSet::from([vec!["routes".to_string()]])
        );
        assert!(graph[&vec!["state".to_string()]].is_empty());
    }
}
