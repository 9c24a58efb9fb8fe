//! The columnar layout of a class: which attributes become which columns, from the schema tables
//! and the options only.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};

use super::{Columnar, ColumnarError};
use crate::schema::{AttributeDef, EnumValues, ItemDef, Requirement, SchemaVersion};

/// What goes into the columnar schema of a class.
///
/// The schema is a function of the class, its OCSF version and these options only, so a source
/// that keeps its options writes the same schema into every file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ColumnarOptions {
    /// How many times an object may appear within itself on one path (`process` ->
    /// `parent_process` -> ...). Deeper occurrences are stored as JSON text, never dropped.
    /// Default: [`ColumnarOptions::DEFAULT_RECURSION_DEPTH`].
    pub recursion_depth: usize,
    /// How deep objects nest as structs (1: the class's objects are structs, theirs are JSON
    /// text); `None` expands every level (up to the recursion depth). A projection is expanded
    /// as deep as its paths go, whatever this says. Default:
    /// [`ColumnarOptions::DEFAULT_MAX_NESTING`].
    pub max_nesting: Option<usize>,
    /// The profiles whose attributes are included; `None` includes every profile.
    pub profiles: Option<Vec<String>>,
    /// The attribute paths the source populates (`src_endpoint.ip`, `user`); `None` includes all.
    /// A path includes its whole subtree and the objects leading to it; the class's required
    /// attributes, and the required attributes of those that are objects, are always included.
    /// A required object with no required or projected attribute (Authentication's `user`) is
    /// included whole, as if its path were projected.
    pub projection: Option<Vec<String>>,
}

impl ColumnarOptions {
    /// The default recursion depth: an object is expanded once on a path; an object nested in
    /// itself (`process.parent_process`) is JSON text.
    pub const DEFAULT_RECURSION_DEPTH: usize = 1;

    /// The default nesting: objects of the class and their objects are structs; deeper objects
    /// are JSON text. This keeps a full class near a few hundred columns; a projection names
    /// exactly what a source writes.
    pub const DEFAULT_MAX_NESTING: usize = 2;

    /// Sets how deep objects nest as structs (`None`: all the way).
    pub fn with_max_nesting(mut self, nesting: Option<usize>) -> Self {
        self.max_nesting = nesting;
        self
    }

    /// Sets the recursion depth.
    pub fn with_recursion_depth(mut self, depth: usize) -> Self {
        self.recursion_depth = depth;
        self
    }

    /// Includes only the attributes of these profiles (and those outside any profile).
    pub fn with_profiles<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        profiles: I,
    ) -> Self {
        self.profiles = Some(profiles.into_iter().map(Into::into).collect());
        self
    }

    /// Includes only these attribute paths (and the required attributes).
    pub fn with_projection<I: IntoIterator<Item = S>, S: Into<String>>(mut self, paths: I) -> Self {
        self.projection = Some(paths.into_iter().map(Into::into).collect());
        self
    }
}

impl Default for ColumnarOptions {
    fn default() -> Self {
        ColumnarOptions {
            recursion_depth: Self::DEFAULT_RECURSION_DEPTH,
            max_nesting: Some(Self::DEFAULT_MAX_NESTING),
            profiles: None,
            projection: None,
        }
    }
}

/// The column kind of one attribute.
#[derive(Debug, Clone)]
pub(crate) enum Col {
    Int32,
    Int64,
    Float32,
    Bool,
    Utf8,
    TimestampMs,
    /// Utf8 holding JSON text.
    Json,
    /// Map<Utf8, Utf8>.
    Map,
    Struct(Arc<StructLayout>),
    List(Box<Col>),
}

impl Col {
    pub(crate) fn data_type(&self) -> DataType {
        match self {
            Col::Int32 => DataType::Int32,
            Col::Int64 => DataType::Int64,
            Col::Float32 => DataType::Float32,
            Col::Bool => DataType::Boolean,
            Col::Utf8 | Col::Json => DataType::Utf8,
            Col::TimestampMs => DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            Col::Map => DataType::Map(map_entries_field(), false),
            Col::Struct(s) => DataType::Struct(s.fields.clone()),
            Col::List(inner) => {
                DataType::List(Arc::new(Field::new("element", inner.data_type(), true)))
            }
        }
    }
}

/// The entries field of a `MAP<Utf8, Utf8>` column, named as the Parquet spec names them.
pub(crate) fn map_entries_field() -> Arc<Field> {
    Arc::new(Field::new(
        "key_value",
        DataType::Struct(Fields::from(vec![
            Field::new("key", DataType::Utf8, false),
            Field::new("value", DataType::Utf8, true),
        ])),
        false,
    ))
}

/// The layout of one struct (the class at the root, or an object).
#[derive(Debug)]
pub(crate) struct StructLayout {
    /// Per attribute index: the column, or `None` when the attribute is left out.
    pub(crate) slots: Vec<Option<Col>>,
    pub(crate) fields: Fields,
}

/// The Arrow schema of a class (or object) under `options`.
///
/// ```
/// # #[cfg(feature = "v1_1_0")] {
/// use ocsf_model::columnar::{ColumnarOptions, arrow_schema};
/// use ocsf_model::v1_1_0::events::Authentication;
///
/// let options = ColumnarOptions::default().with_projection(["user.name", "src_endpoint.ip"]);
/// let schema = arrow_schema::<Authentication>(&options)?;
/// assert!(schema.field_with_name("time").is_ok());
/// assert!(schema.field_with_name("src_endpoint").is_ok());
/// assert!(schema.field_with_name("dst_endpoint").is_err());
/// # }
/// # Ok::<(), ocsf_model::columnar::ColumnarError>(())
/// ```
pub fn arrow_schema<T: Columnar>(options: &ColumnarOptions) -> Result<SchemaRef, ColumnarError> {
    let layout = layout_of::<T>(options)?;
    Ok(Arc::new(Schema::new(layout.fields.clone())))
}

pub(crate) fn layout_of<T: Columnar>(
    options: &ColumnarOptions,
) -> Result<Arc<StructLayout>, ColumnarError> {
    let schema = T::schema_version();
    let item = T::item();
    if let Some(paths) = &options.projection {
        for p in paths {
            let head = p.split('.').next().unwrap_or(p);
            if item.attribute(head).is_none() {
                return Err(ColumnarError::invalid_options(format!(
                    "projection path `{p}` names no attribute of `{}`",
                    item.name
                )));
            }
        }
    }
    let mut stack = vec![item.name];
    let layout = build(schema, item, options, "", &mut stack, true)?;
    Ok(Arc::new(layout))
}

fn build(
    schema: &'static SchemaVersion,
    item: &'static ItemDef,
    options: &ColumnarOptions,
    path: &str,
    stack: &mut Vec<&'static str>,
    keep_required: bool,
) -> Result<StructLayout, ColumnarError> {
    let mut slots = Vec::with_capacity(item.attributes.len());
    let mut fields = Vec::new();
    for a in item.attributes {
        let attr_path = if path.is_empty() {
            a.name.to_string()
        } else {
            format!("{path}.{}", a.name)
        };
        let required = keep_required && a.requirement == Requirement::Required;
        let keep = profile_selected(a, options) && (projected(&attr_path, options) || required);
        let col = if keep {
            column(schema, a, options, &attr_path, stack, required)?
        } else {
            None
        };
        if let Some(c) = &col {
            fields.push(Field::new(a.name, c.data_type(), true));
        }
        slots.push(col);
    }
    Ok(StructLayout {
        slots,
        fields: Fields::from(fields),
    })
}

fn profile_selected(a: &AttributeDef, options: &ColumnarOptions) -> bool {
    match &options.profiles {
        None => true,
        Some(selected) => {
            a.profiles.is_empty() || a.profiles.iter().any(|p| selected.iter().any(|s| s == p))
        }
    }
}

fn projected(path: &str, options: &ColumnarOptions) -> bool {
    let Some(paths) = &options.projection else {
        return true;
    };
    paths.iter().any(|p| {
        p == path
            || (p.len() > path.len() && p.starts_with(path) && p.as_bytes()[path.len()] == b'.')
            || (path.len() > p.len()
                && path.starts_with(p.as_str())
                && path.as_bytes()[p.len()] == b'.')
    })
}

fn column(
    schema: &'static SchemaVersion,
    a: &'static AttributeDef,
    options: &ColumnarOptions,
    path: &str,
    stack: &mut Vec<&'static str>,
    keep_required: bool,
) -> Result<Option<Col>, ColumnarError> {
    let scalar = match (a.enumeration, a.object) {
        (Some(EnumValues::Str(_)), _) => Some(Col::Utf8),
        (Some(EnumValues::Int(_)), _) => Some(primitive(schema, a.type_name)),
        (None, Some(object)) => {
            let def = schema.object(object).ok_or_else(|| {
                ColumnarError::invalid_options(format!(
                    "`{path}` names the unknown object `{object}`"
                ))
            })?;
            if def.attributes.is_empty() {
                Some(Col::Map)
            } else if stack.iter().filter(|s| **s == object).count()
                >= options.recursion_depth.max(1)
                || (options.projection.is_none()
                    && options.max_nesting.is_some_and(|n| stack.len() > n.max(1)))
            {
                Some(Col::Json)
            } else {
                stack.push(def.name);
                let mut child = build(schema, def, options, path, stack, keep_required);
                if keep_required
                    && options.projection.is_some()
                    && child.as_ref().is_ok_and(|c| c.fields.is_empty())
                {
                    // A required object none of whose attributes is required or projected
                    // (`user` of Authentication): the whole object, as if its path were
                    // projected, since a struct column needs at least one field.
                    let mut whole = options.clone();
                    if let Some(paths) = &mut whole.projection {
                        paths.push(path.to_owned());
                    }
                    child = build(schema, def, &whole, path, stack, keep_required);
                }
                stack.pop();
                let child = child?;
                if child.fields.is_empty() {
                    None
                } else {
                    Some(Col::Struct(Arc::new(child)))
                }
            }
        }
        (None, None) => Some(primitive(schema, a.type_name)),
    };
    Ok(scalar.map(|c| {
        if a.is_array {
            Col::List(Box::new(c))
        } else {
            c
        }
    }))
}

fn primitive(schema: &SchemaVersion, type_name: &str) -> Col {
    for t in schema.type_chain(type_name) {
        match t.name {
            "datetime_t" => return Col::TimestampMs,
            "timestamp_t" | "long_t" => return Col::Int64,
            "integer_t" => return Col::Int32,
            "float_t" => return Col::Float32,
            "boolean_t" => return Col::Bool,
            "json_t" => return Col::Json,
            "string_t" => return Col::Utf8,
            _ => {}
        }
    }
    Col::Utf8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_includes_ancestors_and_subtrees() {
        let o = ColumnarOptions::default().with_projection(["src_endpoint.ip", "user"]);
        assert!(projected("src_endpoint", &o));
        assert!(projected("src_endpoint.ip", &o));
        assert!(!projected("src_endpoint.port", &o));
        assert!(projected("user.name", &o));
        assert!(!projected("users", &o));
        assert!(!projected("dst_endpoint", &o));
    }
}
