//! # ocsf-compiler
//!
//! Loads a raw [OCSF](https://schema.ocsf.io) schema tree — the core schema, its bundled
//! extensions (`linux`, `win`, `macos`, ...) and any user-supplied extension directories — and
//! resolves it into one typed [`Schema`]: every class and object with its complete attribute set,
//! each attribute with its type, requirement, profile and enum, and the derived uids.
//!
//! The resolution rules mirror those of the official OCSF compiler; they are listed in the docs
//! of [`Compiler`]'s module ([`resolve`]). The output holds facts only — names, captions, types,
//! requirements, enum values, profiles, constraints, uids, deprecations — and never the upstream
//! description prose.
//!
//! This crate knows nothing about Rust code generation or Amazon Security Lake; the SDK's `xtask`
//! turns a [`Schema`] into the `ocsf-model` crate.
//!
//! ```no_run
//! let schema = ocsf_compiler::compile("ocsf-schema-1.1.0")?;
//! let auth = &schema.classes["authentication"];
//! assert_eq!(auth.uid, 3002);
//! assert!(auth.attributes.contains_key("time_dt"));
//! # Ok::<(), ocsf_compiler::Error>(())
//! ```

mod error;
mod graph;
mod json;
pub mod model;
pub mod resolve;

use std::path::Path;

pub use error::{Error, ErrorKind, Result};
pub use model::{
    Attribute, Category, Class, Constraints, DataType, Deprecation, EnumValue, Extension, Object,
    Profile, Requirement, Schema,
};
pub use resolve::{Compiler, ExtensionSelection};

/// Compiles the schema tree at `root` with every bundled extension.
pub fn compile(root: impl AsRef<Path>) -> Result<Schema> {
    Compiler::new(root.as_ref()).compile()
}

/// A SHA-256 over a schema source tree: every file's path (relative, `/`-separated) and
/// contents, in sorted path order. Two trees with the same digest hold the same files.
pub fn source_digest(root: impl AsRef<Path>) -> Result<String> {
    use sha2::{Digest, Sha256};
    let root = root.as_ref();
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| {
            Error::new(ErrorKind::Io, format!("cannot list directory: {e}"))
                .with_file(&dir)
                .with_source(e)
        })?;
        for entry in entries {
            let entry = entry.map_err(|e| {
                Error::new(ErrorKind::Io, format!("cannot list directory: {e}"))
                    .with_file(&dir)
                    .with_source(e)
            })?;
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    let mut rel: Vec<(String, std::path::PathBuf)> = files
        .into_iter()
        .map(|p| {
            let r = p.strip_prefix(root).unwrap_or(&p);
            let name = r
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            (name, p)
        })
        .collect();
    rel.sort();
    let mut hasher = Sha256::new();
    for (name, path) in rel {
        let bytes = std::fs::read(&path).map_err(|e| {
            Error::new(ErrorKind::Io, format!("cannot read: {e}"))
                .with_file(&path)
                .with_source(e)
        })?;
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    Ok(hex::encode(hasher.finalize()))
}

// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
