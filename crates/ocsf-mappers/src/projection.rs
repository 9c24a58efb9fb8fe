//! Declared projections: the attribute paths a mapper can fill, per OCSF class it emits.
//!
//! A Parquet file written with the full schema of a class has hundreds of columns, almost all
//! null for a log source. A [`Projection`] names the attributes a mapper's renderer can set in
//! events of one class (dotted paths such as `src_endpoint.ip`), so that a source written from
//! the mapper has a small, stable schema: pass [`Projection::paths`] to
//! `ocsf_model::columnar::ColumnarOptions::with_projection`. A path includes its whole subtree
//! (`actor.process.parent_process` is one JSON text column); the class's required attributes
//! are always among the paths.
//!
//! The paths are declared next to the renderer (the 1.1.0 renderer in
//! `render/v1_1_0_paths.rs`), and the crate's `projection` test maps the sample corpus and the
//! golden inputs and checks that the columnar encoder leaves no value of any event out
//! (`EncodeStats::left_out == 0`), so the declaration cannot silently fall behind the renderer.
//!
//! ```
//! use ocsf_mappers::{LinuxMapper, SourceConfig};
//!
//! let mapper = LinuxMapper::new(SourceConfig::linux());
//! let auth = mapper.projection(3002).expect("Linux logs become Authentication events");
//! assert_eq!(auth.class_uid(), 3002);
//! assert!(auth.covers("src_endpoint.ip"));
//! assert!(auth.covers("time"));
//! assert!(!auth.covers("http_request"));
//! // A class the mapper never emits has no projection.
//! assert!(mapper.projection(2001).is_none());
//! ```

/// The attribute paths a mapper can fill in events of one OCSF class.
///
/// Obtained from a mapper (`LinuxMapper::projection`, `DeepSecurityMapper::projection`,
/// `TrendMicroMapper::projection`) or a [`Target`](crate::Target). The paths are sorted and
/// unique.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Projection {
    class_uid: i32,
    paths: Vec<String>,
}

impl Projection {
    /// A projection of class `class_uid` over `paths` (sorted and deduplicated here).
    ///
    /// ```
    /// use ocsf_mappers::projection::Projection;
    /// let p = Projection::new(3002, ["user.name", "time", "user.name"]);
    /// assert_eq!(p.paths(), ["time", "user.name"]);
    /// ```
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(class_uid: i32, paths: I) -> Self {
        let mut paths: Vec<String> = paths.into_iter().map(Into::into).collect();
        paths.sort_unstable();
        paths.dedup();
        Projection { class_uid, paths }
    }

    /// The OCSF class the paths belong to.
    pub fn class_uid(&self) -> i32 {
        self.class_uid
    }

    /// The dotted attribute paths, sorted: what
    /// `ocsf_model::columnar::ColumnarOptions::with_projection` takes.
    pub fn paths(&self) -> &[String] {
        &self.paths
    }

    /// Whether a value at `path` lies inside the projection: `path` is a declared path, lies
    /// under one (`actor.process.parent_process.pid` under `actor.process.parent_process`), or
    /// leads to one (`src_endpoint` to `src_endpoint.ip`).
    ///
    /// ```
    /// use ocsf_mappers::projection::Projection;
    /// let p = Projection::new(3002, ["src_endpoint.ip", "unmapped"]);
    /// assert!(p.covers("src_endpoint"));
    /// assert!(p.covers("unmapped.ssh_key.type"));
    /// assert!(!p.covers("src_endpoint.port"));
    /// assert!(!p.covers("src"));
    /// ```
    pub fn covers(&self, path: &str) -> bool {
        self.paths.iter().any(|p| {
            let (short, long) = if p.len() <= path.len() {
                (p.as_str(), path)
            } else {
                (path, p.as_str())
            };
            long.starts_with(short)
                && (long.len() == short.len() || long.as_bytes()[short.len()] == b'.')
        })
    }
}
