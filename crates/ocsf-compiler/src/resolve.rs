//! Resolution of a raw OCSF schema tree into a [`Schema`].
//!
//! The rules follow the official OCSF compiler (the schema server):
//!
//! 1. `$include` of includes and profiles, merged *underneath* the including item (the item
//!    wins; an earlier include wins over a later one). Attributes of an included profile are
//!    tagged with the profile's name, and an included file's `annotations` are merged underneath
//!    each of its attributes. `"profile": null` in the item removes the tag. rc.2's
//!    attribute-level `$include` (enum files) is merged underneath the attribute.
//! 2. Extension items are scoped `<ext>/<name>`. An extension item that `extends` an item of the
//!    same (unscoped) name, or has no name, *patches* that item: attributes deep-merged, profiles
//!    unioned, constraints replaced.
//! 3. `extends`: the child's keys win over the parent's, attributes are deep-merged (a `null`
//!    attribute removes the parent's), profiles are unioned. Extension items look for a parent
//!    in their own extension first.
//! 4. Hidden items are dropped: classes without a `uid` (but `base_event`), objects whose name
//!    starts with `_`.
//! 5. The dictionary definition of each attribute is merged underneath; a dictionary type that is
//!    not a data type names an object. Enums thereby union.
//! 6. Uids: extension categories `ext_uid * 100 + uid`; classes `category_uid * 1000 + uid`, with
//!    an extension class in a core category using `ext_uid * 100 + category_uid`; `type_uid`
//!    enumerates `class_uid * 100 + activity_id`.
//! 7. Where the schema has the `datetime` profile, every `timestamp_t` attribute gets a `*_dt`
//!    sibling of type `datetime_t` in that profile.
//! 8. The `observable.type_id` enum collects every observable the schema declares.
//! 9. Classes and objects that use an object with profiles take those profiles on.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};
use crate::json::{Files, Obj, deep_merge, json_files, obj_of, read_object, str_of};
use crate::model::{
    Attribute, Category, Class, Constraints, DataType, Deprecation, EnumValue, Extension, Object,
    Profile, Requirement, Schema,
};

/// Which of the extensions bundled in a schema tree (`<root>/extensions/*`) to compile in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ExtensionSelection {
    /// Every bundled extension (the default, as the official schema server does).
    #[default]
    All,
    /// No bundled extension: the core schema only.
    None,
    /// Only the bundled extensions with these names (the `name` of their `extension.json`,
    /// e.g. `linux`, `win`, `macos`).
    Only(Vec<String>),
}

/// Compiles a raw OCSF schema directory into a resolved [`Schema`].
///
/// ```no_run
/// use ocsf_compiler::{Compiler, ExtensionSelection};
///
/// let schema = Compiler::new("ocsf-schema-1.1.0")
///     .extensions(ExtensionSelection::Only(vec!["linux".into()]))
///     .compile()?;
/// assert_eq!(schema.classes["authentication"].uid, 3002);
/// # Ok::<(), ocsf_compiler::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Compiler {
    root: PathBuf,
    selection: ExtensionSelection,
    user_extensions: Vec<PathBuf>,
}

impl Compiler {
    /// A compiler for the schema tree at `root` (the directory holding `version.json`), with every
    /// bundled extension selected.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Compiler {
            root: root.into(),
            selection: ExtensionSelection::All,
            user_extensions: Vec::new(),
        }
    }

    /// Selects the bundled extensions to compile in.
    pub fn extensions(mut self, selection: ExtensionSelection) -> Self {
        self.selection = selection;
        self
    }

    /// Adds a user-supplied extension directory (one holding an `extension.json`), such as a
    /// partner's own OCSF extension.
    pub fn user_extension(mut self, dir: impl Into<PathBuf>) -> Self {
        self.user_extensions.push(dir.into());
        self
    }

    /// Loads and resolves the schema.
    pub fn compile(&self) -> Result<Schema> {
        self.compile_with_warnings().map(|(schema, _)| schema)
    }

    /// Loads and resolves the schema, also returning the non-fatal findings: defects that the
    /// official compiler tolerates too (a constraint naming an attribute the item lacks, ...).
    pub fn compile_with_warnings(&self) -> Result<(Schema, Vec<Error>)> {
        let mut resolver = Resolver::new(self)?;
        let schema = resolver.run()?;
        Ok((schema, resolver.warnings.into_inner()))
    }
}

/// An extension being compiled in.
#[derive(Debug, Clone)]
struct Ext {
    name: String,
    uid: i64,
    caption: String,
    version: Option<String>,
    dir: PathBuf,
}

/// A raw class or object, after includes.
#[derive(Debug, Clone)]
struct Item {
    key: String,
    ext: Option<usize>,
    file: PathBuf,
    data: Obj,
}

struct Resolver<'a> {
    compiler: &'a Compiler,
    files: Files,
    exts: Vec<Ext>,
    /// Profile name by the canonical path of its file.
    profile_files: HashMap<PathBuf, String>,
    /// Non-fatal findings.
    warnings: std::cell::RefCell<Vec<Error>>,
}

impl<'a> Resolver<'a> {
    fn new(compiler: &'a Compiler) -> Result<Self> {
        let mut exts = Vec::new();
        let bundled = compiler.root.join("extensions");
        let mut bundled_dirs = Vec::new();
        if bundled.is_dir() {
            for file in json_files(&bundled)? {
                if file.file_name().is_some_and(|n| n == "extension.json")
                    && let Some(dir) = file.parent()
                {
                    bundled_dirs.push(dir.to_path_buf());
                }
            }
        }
        let mut selected_names = BTreeSet::new();
        for dir in &bundled_dirs {
            let ext = read_extension(dir)?;
            let keep = match &compiler.selection {
                ExtensionSelection::All => true,
                ExtensionSelection::None => false,
                ExtensionSelection::Only(names) => names.iter().any(|n| n == &ext.name),
            };
            if keep {
                selected_names.insert(ext.name.clone());
                exts.push(ext);
            }
        }
        if let ExtensionSelection::Only(names) = &compiler.selection {
            for name in names {
                if !selected_names.contains(name) {
                    return Err(Error::new(
                        ErrorKind::InvalidExtension,
                        format!("no bundled extension named `{name}`"),
                    )
                    .with_file(&bundled));
                }
            }
        }
        for dir in &compiler.user_extensions {
            exts.push(read_extension(dir)?);
        }
        for (i, a) in exts.iter().enumerate() {
            for b in &exts[i + 1..] {
                if a.name == b.name || a.uid == b.uid {
                    return Err(Error::new(
                        ErrorKind::InvalidExtension,
                        format!(
                            "extensions `{}` (uid {}) and `{}` (uid {}) collide",
                            a.name, a.uid, b.name, b.uid
                        ),
                    )
                    .with_file(&b.dir));
                }
            }
        }
        Ok(Resolver {
            compiler,
            files: Files::default(),
            exts,
            profile_files: HashMap::new(),
            warnings: Default::default(),
        })
    }

    fn root(&self) -> &Path {
        &self.compiler.root
    }

    fn run(&mut self) -> Result<Schema> {
        let version_file = self.root().join("version.json");
        let version = str_of(&read_object(&version_file)?, "version")
            .ok_or_else(|| {
                Error::new(ErrorKind::Json, "missing string `version`").with_file(&version_file)
            })?
            .to_string();

        let categories = self.read_categories()?;
        let (mut dictionary, types) = self.read_dictionary()?;
        let profiles_raw = self.read_profiles()?;

        let class_items = self.read_items("events")?;
        let object_items = self.read_items("objects")?;

        // The observable type ids come from the raw items, before inheritance copies them.
        let observable_enum = observable_type_ids(&types, &dictionary, &class_items, &object_items);

        let objects_raw = self.resolve_items(object_items, "object")?;
        let classes_raw = self.resolve_items(class_items, "class")?;

        // Objects that remain after hidden ones are dropped.
        let objects_raw: BTreeMap<String, Item> = objects_raw
            .into_iter()
            .filter(|(key, _)| !unscoped(key).starts_with('_'))
            .collect();
        let classes_raw: BTreeMap<String, Item> = classes_raw
            .into_iter()
            .filter(|(key, item)| key == "base_event" || item.data.contains_key("uid"))
            .collect();

        // A dictionary type that is not a data type names an object; scope it to the extension
        // that defined the attribute when that extension has such an object.
        for (name, (attr, ext)) in dictionary.iter_mut() {
            let ty = str_of(attr, "type").unwrap_or("object_t").to_string();
            if types.contains_key(&ty) {
                continue;
            }
            if ty == "object_t" {
                if str_of(attr, "object_type").is_none() {
                    return Err(Error::new(
                        ErrorKind::UnknownType,
                        "`object_t` without an `object_type`",
                    )
                    .with_item("dictionary")
                    .with_attribute(name.clone()));
                }
                continue;
            }
            let scoped = ext.map(|e| format!("{}/{}", self.exts[e].name, ty));
            let object = match scoped {
                Some(s) if objects_raw.contains_key(&s) => s,
                _ => ty,
            };
            attr.insert("type".into(), Value::String("object_t".into()));
            attr.insert("object_type".into(), Value::String(object));
        }

        let has_datetime = profiles_raw.contains_key("datetime");

        let mut objects = BTreeMap::new();
        for (key, item) in &objects_raw {
            let object =
                self.finish_object(key, item, &dictionary, &types, &objects_raw, has_datetime)?;
            objects.insert(key.clone(), object);
        }
        let mut classes = BTreeMap::new();
        for (key, item) in &classes_raw {
            let class = self.finish_class(
                key,
                item,
                &dictionary,
                &types,
                &objects_raw,
                &categories,
                has_datetime,
            )?;
            classes.insert(key.clone(), class);
        }

        if let Some(observable) = objects.get_mut("observable")
            && let Some(type_id) = observable.attributes.get_mut("type_id")
        {
            let e = type_id.enumeration.get_or_insert_with(BTreeMap::new);
            for (k, caption) in &observable_enum {
                e.entry(k.to_string()).or_insert_with(|| EnumValue {
                    caption: caption.clone(),
                    deprecated: None,
                });
            }
        }

        propagate_object_profiles(&mut objects, &mut classes);

        let mut profiles = BTreeMap::new();
        for (name, (raw, ext, file)) in &profiles_raw {
            let mut attributes = BTreeMap::new();
            if let Some(attrs) = obj_of(raw, "attributes") {
                for (attr_name, value) in attrs {
                    let Some(a) = value.as_object() else { continue };
                    let merged = match dictionary.get(attr_name) {
                        Some((base, _)) => deep_merge(base, a),
                        None => {
                            return Err(Error::new(
                                ErrorKind::UndefinedAttribute,
                                "the dictionary does not define this attribute",
                            )
                            .with_file(file)
                            .with_item(name.clone())
                            .with_attribute(attr_name.clone()));
                        }
                    };
                    let mut attr =
                        finish_attribute(attr_name, &merged, &types, &objects_raw, file, name)?;
                    attr.profiles.clear();
                    attributes.insert(attr_name.clone(), attr);
                }
            }
            profiles.insert(
                name.clone(),
                Profile {
                    name: name.clone(),
                    caption: str_of(raw, "caption").unwrap_or(name).to_string(),
                    extension: ext.map(|e| self.exts[e].name.clone()),
                    attributes,
                },
            );
        }

        let types = types
            .iter()
            .map(|(name, t)| (name.clone(), finish_type(name, t)))
            .collect();

        Ok(Schema {
            version,
            extensions: self
                .exts
                .iter()
                .map(|e| {
                    (
                        e.name.clone(),
                        Extension {
                            name: e.name.clone(),
                            uid: e.uid,
                            caption: e.caption.clone(),
                            version: e.version.clone(),
                        },
                    )
                })
                .collect(),
            categories,
            types,
            profiles,
            classes,
            objects,
        })
    }

    fn read_categories(&mut self) -> Result<BTreeMap<String, Category>> {
        let mut out = BTreeMap::new();
        let core = self.root().join("categories.json");
        let mut sources = vec![(core, None)];
        for (i, ext) in self.exts.iter().enumerate() {
            let file = ext.dir.join("categories.json");
            if file.is_file() {
                sources.push((file, Some(i)));
            }
        }
        for (file, ext) in sources {
            let data = read_object(&file)?;
            let Some(attrs) = obj_of(&data, "attributes") else {
                return Err(
                    Error::new(ErrorKind::Json, "missing object `attributes`").with_file(&file)
                );
            };
            for (name, value) in attrs {
                let cat = value.as_object().ok_or_else(|| {
                    Error::new(ErrorKind::Json, "a category must be an object")
                        .with_file(&file)
                        .with_item(name.clone())
                })?;
                let uid = cat.get("uid").and_then(Value::as_i64).ok_or_else(|| {
                    Error::new(ErrorKind::Json, "a category needs an integer `uid`")
                        .with_file(&file)
                        .with_item(name.clone())
                })?;
                let (key, uid, extension) = match ext {
                    None => (name.clone(), uid, None),
                    Some(e) => {
                        let ext = &self.exts[e];
                        (
                            format!("{}/{}", ext.name, name),
                            ext.uid * 100 + uid,
                            Some(ext.name.clone()),
                        )
                    }
                };
                // The core wins over an extension that redefines a core category.
                out.entry(key.clone()).or_insert(Category {
                    name: key,
                    caption: str_of(cat, "caption").unwrap_or(name).to_string(),
                    uid,
                    extension,
                });
            }
        }
        Ok(out)
    }

    /// The dictionary's attributes (with the extension that defined each, if any) and types.
    #[allow(clippy::type_complexity)]
    fn read_dictionary(
        &mut self,
    ) -> Result<(
        BTreeMap<String, (Obj, Option<usize>)>,
        BTreeMap<String, Obj>,
    )> {
        let mut attributes = BTreeMap::new();
        let mut types = BTreeMap::new();
        let core = self.root().join("dictionary.json");
        let mut sources = vec![(core, None)];
        for (i, ext) in self.exts.iter().enumerate() {
            let file = ext.dir.join("dictionary.json");
            if file.is_file() {
                sources.push((file, Some(i)));
            }
        }
        for (file, ext) in sources {
            let data = read_object(&file)?;
            if let Some(attrs) = obj_of(&data, "attributes") {
                for (name, value) in attrs {
                    let attr = value.as_object().ok_or_else(|| {
                        Error::new(ErrorKind::Json, "a dictionary attribute must be an object")
                            .with_file(&file)
                            .with_attribute(name.clone())
                    })?;
                    attributes
                        .entry(name.clone())
                        .or_insert((attr.clone(), ext));
                }
            } else if ext.is_none() {
                return Err(
                    Error::new(ErrorKind::Json, "missing object `attributes`").with_file(&file)
                );
            }
            if let Some(t) = obj_of(&data, "types").and_then(|t| obj_of(t, "attributes")) {
                for (name, value) in t {
                    if let Some(def) = value.as_object() {
                        types.entry(name.clone()).or_insert(def.clone());
                    }
                }
            }
        }
        // A data type must refine a known type.
        for (name, def) in &types {
            if let Some(base) = str_of(def, "type")
                && !types.contains_key(base)
            {
                return Err(Error::new(
                    ErrorKind::UnknownType,
                    format!("unknown base type `{base}`"),
                )
                .with_item("dictionary.types")
                .with_attribute(name.clone()));
            }
        }
        Ok((attributes, types))
    }

    /// Profiles by (scoped) name: raw data, extension, file.
    #[allow(clippy::type_complexity)]
    fn read_profiles(&mut self) -> Result<BTreeMap<String, (Obj, Option<usize>, PathBuf)>> {
        let mut out = BTreeMap::new();
        let mut dirs = vec![(self.root().join("profiles"), None)];
        for (i, ext) in self.exts.iter().enumerate() {
            dirs.push((ext.dir.join("profiles"), Some(i)));
        }
        for (dir, ext) in dirs {
            for file in json_files(&dir)? {
                let data = self.files.read(&file)?.clone();
                let name = str_of(&data, "name").ok_or_else(|| {
                    Error::new(ErrorKind::Json, "a profile needs a `name`").with_file(&file)
                })?;
                let key = match ext {
                    Some(e) => format!("{}/{}", self.exts[e].name, name),
                    None => name.to_string(),
                };
                self.profile_files.insert(canonical(&file), key.clone());
                out.insert(key, (data, ext, file));
            }
        }
        Ok(out)
    }

    /// Reads the classes (`events`) or objects of the core and the extensions, resolving
    /// `$include`s. Keys are scoped for extension items.
    fn read_items(&mut self, dir: &str) -> Result<Vec<Item>> {
        let mut out = Vec::new();
        let mut dirs = vec![(self.root().join(dir), None)];
        for (i, ext) in self.exts.iter().enumerate() {
            dirs.push((ext.dir.join(dir), Some(i)));
        }
        for (d, ext) in dirs {
            for file in json_files(&d)? {
                let mut data = self.files.read(&file)?.clone();
                let name = str_of(&data, "name")
                    .or_else(|| str_of(&data, "extends"))
                    .ok_or_else(|| {
                        Error::new(
                            ErrorKind::Json,
                            "an item needs a `name` (or, for a patch, `extends`)",
                        )
                        .with_file(&file)
                    })?;
                let key = match ext {
                    Some(e) => format!("{}/{}", self.exts[e].name, name),
                    None => name.to_string(),
                };
                self.resolve_includes(&mut data, ext, &file, &key)?;
                out.push(Item {
                    key,
                    ext,
                    file,
                    data,
                });
            }
        }
        Ok(out)
    }

    fn include_path(
        &self,
        file: &str,
        ext: Option<usize>,
        from: &Path,
        item: &str,
    ) -> Result<PathBuf> {
        if let Some(e) = ext {
            let p = self.exts[e].dir.join(file);
            if p.is_file() {
                return Ok(p);
            }
        }
        let p = self.root().join(file);
        if p.is_file() {
            return Ok(p);
        }
        Err(Error::new(
            ErrorKind::MissingInclude,
            format!("included file `{file}` does not exist"),
        )
        .with_file(from)
        .with_item(item.to_string()))
    }

    fn resolve_includes(
        &mut self,
        data: &mut Obj,
        ext: Option<usize>,
        file: &Path,
        key: &str,
    ) -> Result<()> {
        let Some(Value::Object(attrs)) = data.get_mut("attributes") else {
            return Ok(());
        };
        let mut attrs = std::mem::take(attrs);
        if let Some(include) = attrs.remove("$include") {
            let names: Vec<String> = match include {
                Value::String(s) => vec![s],
                Value::Array(list) => list
                    .into_iter()
                    .map(|v| match v {
                        Value::String(s) => Ok(s),
                        _ => Err(
                            Error::new(ErrorKind::Json, "`$include` entries must be strings")
                                .with_file(file)
                                .with_item(key.to_string()),
                        ),
                    })
                    .collect::<Result<_>>()?,
                _ => {
                    return Err(Error::new(
                        ErrorKind::Json,
                        "`$include` must be a string or a list",
                    )
                    .with_file(file)
                    .with_item(key.to_string()));
                }
            };
            for name in names {
                let path = self.include_path(&name, ext, file, key)?;
                let included = self.included_attributes(&path, key)?;
                attrs = deep_merge(&included, &attrs);
            }
        }
        // Attribute-level includes (1.0.0-rc.2 enum files).
        let names: Vec<String> = attrs.keys().cloned().collect();
        for attr_name in names {
            let Some(Value::Object(attr)) = attrs.get_mut(&attr_name) else {
                continue;
            };
            let Some(include) = attr.remove("$include") else {
                continue;
            };
            let Value::String(inc) = include else {
                return Err(Error::new(
                    ErrorKind::Json,
                    "an attribute `$include` must be a string",
                )
                .with_file(file)
                .with_item(key.to_string())
                .with_attribute(attr_name));
            };
            let path = self.include_path(&inc, ext, file, key)?;
            let included = self.files.read(&path)?.clone();
            if included.contains_key("$include") {
                return Err(Error::new(
                    ErrorKind::NestedInclude,
                    "an included file includes another file",
                )
                .with_file(&path)
                .with_item(key.to_string())
                .with_attribute(attr_name));
            }
            *attr = deep_merge(&included, attr);
        }
        data.insert("attributes".into(), Value::Object(attrs));
        Ok(())
    }

    /// The attributes an included file contributes: tagged with its profile, annotated.
    fn included_attributes(&mut self, path: &Path, key: &str) -> Result<Obj> {
        let data = self.files.read(path)?.clone();
        let attrs = obj_of(&data, "attributes").cloned().unwrap_or_default();
        // Attribute-level includes are resolved after the merge; a file-level one would nest.
        if attrs.contains_key("$include") {
            return Err(Error::new(
                ErrorKind::NestedInclude,
                "an included file includes another file",
            )
            .with_file(path)
            .with_item(key.to_string()));
        }
        let profile = if str_of(&data, "meta") == Some("profile") {
            self.profile_files
                .get(&canonical(path))
                .cloned()
                .or_else(|| str_of(&data, "name").map(String::from))
        } else {
            None
        };
        let annotations = obj_of(&data, "annotations").cloned();
        let mut out = Obj::new();
        for (name, value) in attrs {
            let mut attr = match value {
                Value::Object(o) => o,
                Value::Null => Obj::new(),
                _ => {
                    return Err(
                        Error::new(ErrorKind::Json, "an attribute must be an object")
                            .with_file(path)
                            .with_attribute(name),
                    );
                }
            };
            if let Some(p) = &profile {
                attr.insert("profile".into(), Value::String(p.clone()));
            }
            if let Some(a) = &annotations {
                attr = deep_merge(a, &attr);
            }
            out.insert(name, Value::Object(attr));
        }
        Ok(out)
    }

    /// Applies patches and `extends`, returning every item (hidden ones too) by key.
    fn resolve_items(&self, items: Vec<Item>, kind: &str) -> Result<BTreeMap<String, Item>> {
        let mut plain: BTreeMap<String, Item> = BTreeMap::new();
        let mut patches = Vec::new();
        for item in items {
            if is_patch(&item.data) {
                patches.push(item);
            } else if let Some(prev) = plain.get(&item.key) {
                return Err(Error::new(
                    ErrorKind::Collision,
                    format!(
                        "{kind} `{}` is defined twice (also in {})",
                        item.key,
                        prev.file.display()
                    ),
                )
                .with_file(&item.file));
            } else {
                plain.insert(item.key.clone(), item);
            }
        }
        for patch in patches {
            let target = str_of(&patch.data, "extends")
                .unwrap_or_default()
                .to_string();
            let Some(base) = plain.get_mut(&target) else {
                return Err(Error::new(
                    ErrorKind::DanglingExtends,
                    format!("patches {kind} `{target}`, which does not exist"),
                )
                .with_file(&patch.file)
                .with_item(patch.key.clone()));
            };
            let profiles = union_profiles(base.data.get("profiles"), patch.data.get("profiles"));
            let base_attrs = obj_of(&base.data, "attributes")
                .cloned()
                .unwrap_or_default();
            let patch_attrs = obj_of(&patch.data, "attributes")
                .cloned()
                .unwrap_or_default();
            let mut attrs = deep_merge(&base_attrs, &patch_attrs);
            // Two extensions may add the same attribute through their own profiles (1.8.0's
            // `linux_users` and `macos_users` both add `process.euid`): keep every profile.
            for (name, patched) in &patch_attrs {
                let (Some(Value::String(new)), Some(old)) = (
                    patched.get("profile"),
                    base_attrs.get(name).and_then(|a| a.get("profile")),
                ) else {
                    continue;
                };
                let Value::String(old) = old else { continue };
                let mut all = match base_attrs.get(name).and_then(|a| a.get("_profiles")) {
                    Some(list) => string_list(Some(list)),
                    None => vec![old.clone()],
                };
                if !all.contains(new) {
                    all.push(new.clone());
                }
                all.sort();
                if let Some(Value::Object(a)) = attrs.get_mut(name) {
                    a.insert(
                        "_profiles".into(),
                        Value::Array(all.into_iter().map(Value::String).collect()),
                    );
                }
            }
            base.data.insert("attributes".into(), Value::Object(attrs));
            if let Some(p) = profiles {
                base.data.insert("profiles".into(), p);
            }
            for key in ["observable", "observables", "references", "associations"] {
                if let Some(v) = patch.data.get(key)
                    && !v.is_null()
                {
                    base.data.insert(key.into(), v.clone());
                }
            }
            if let Some(c) = patch.data.get("constraints") {
                if c.as_object().is_some_and(|c| !c.is_empty()) {
                    base.data.insert("constraints".into(), c.clone());
                } else {
                    base.data.remove("constraints");
                }
            }
        }

        let mut resolved: BTreeMap<String, Item> = BTreeMap::new();
        let keys: Vec<String> = plain.keys().cloned().collect();
        for key in keys {
            let mut chain = Vec::new();
            let data = self.resolve_extends(&plain, &key, &mut chain, kind)?;
            let mut item = plain[&key].clone();
            item.data = data;
            resolved.insert(key, item);
        }
        Ok(resolved)
    }

    fn resolve_extends(
        &self,
        items: &BTreeMap<String, Item>,
        key: &str,
        chain: &mut Vec<String>,
        kind: &str,
    ) -> Result<Obj> {
        let item = &items[key];
        if chain.iter().any(|k| k == key) {
            return Err(Error::new(
                ErrorKind::DanglingExtends,
                format!("{kind} inheritance cycle: {} -> {key}", chain.join(" -> ")),
            )
            .with_file(&item.file)
            .with_item(key.to_string()));
        }
        let Some(parent) = str_of(&item.data, "extends") else {
            return Ok(item.data.clone());
        };
        let scoped = item
            .ext
            .map(|e| format!("{}/{}", self.exts[e].name, parent));
        let parent_key = match scoped {
            Some(s) if items.contains_key(&s) => s,
            _ if items.contains_key(parent) => parent.to_string(),
            _ => {
                return Err(Error::new(
                    ErrorKind::DanglingExtends,
                    format!("extends {kind} `{parent}`, which does not exist"),
                )
                .with_file(&item.file)
                .with_item(key.to_string()));
            }
        };
        chain.push(key.to_string());
        let base = self.resolve_extends(items, &parent_key, chain, kind)?;
        chain.pop();
        let mut out = base.clone();
        for (k, v) in &item.data {
            if k == "attributes" || k == "profiles" {
                continue;
            }
            out.insert(k.clone(), v.clone());
        }
        if let Some(p) = union_profiles(base.get("profiles"), item.data.get("profiles")) {
            out.insert("profiles".into(), p);
        }
        let mut attrs = deep_merge(
            obj_of(&base, "attributes").unwrap_or(&Obj::new()),
            obj_of(&item.data, "attributes").unwrap_or(&Obj::new()),
        );
        attrs.retain(|_, v| !v.is_null());
        out.insert("attributes".into(), Value::Object(attrs));
        Ok(out)
    }

    /// Merges the dictionary underneath each attribute and converts to the model.
    #[allow(clippy::too_many_arguments)]
    fn finish_attributes(
        &self,
        key: &str,
        item: &Item,
        dictionary: &BTreeMap<String, (Obj, Option<usize>)>,
        types: &BTreeMap<String, Obj>,
        objects: &BTreeMap<String, Item>,
        has_datetime: bool,
        profiles: &mut Vec<String>,
    ) -> Result<BTreeMap<String, Attribute>> {
        let mut out = BTreeMap::new();
        let Some(attrs) = obj_of(&item.data, "attributes") else {
            return Ok(out);
        };
        let mut added_datetime = false;
        for (name, value) in attrs {
            let Some(a) = value.as_object() else {
                return Err(
                    Error::new(ErrorKind::Json, "an attribute must be an object")
                        .with_file(&item.file)
                        .with_item(key.to_string())
                        .with_attribute(name.clone()),
                );
            };
            let Some((base, _)) = dictionary.get(name) else {
                return Err(Error::new(
                    ErrorKind::UndefinedAttribute,
                    "the dictionary does not define this attribute",
                )
                .with_file(&item.file)
                .with_item(key.to_string())
                .with_attribute(name.clone()));
            };
            let merged = deep_merge(base, a);
            let attr = finish_attribute(name, &merged, types, objects, &item.file, key)?;
            if has_datetime && str_of(base, "type") == Some("timestamp_t") {
                let dt_name = format!("{name}_dt");
                if !attrs.contains_key(&dt_name) {
                    let dt = Attribute {
                        caption: attr.caption.clone(),
                        type_name: "datetime_t".into(),
                        object_type: None,
                        is_array: attr.is_array,
                        requirement: Requirement::Optional,
                        profiles: vec!["datetime".into()],
                        group: attr.group.clone(),
                        enumeration: None,
                        sibling: None,
                        observable: None,
                        deprecated: attr.deprecated.clone(),
                    };
                    out.insert(dt_name, dt);
                    added_datetime = true;
                }
            }
            out.insert(name.clone(), attr);
        }
        if added_datetime && !profiles.iter().any(|p| p == "datetime") {
            profiles.push("datetime".into());
        }
        Ok(out)
    }

    fn finish_object(
        &self,
        key: &str,
        item: &Item,
        dictionary: &BTreeMap<String, (Obj, Option<usize>)>,
        types: &BTreeMap<String, Obj>,
        objects: &BTreeMap<String, Item>,
        has_datetime: bool,
    ) -> Result<Object> {
        let data = &item.data;
        let mut profiles = string_list(data.get("profiles"));
        let attributes = self.finish_attributes(
            key,
            item,
            dictionary,
            types,
            objects,
            has_datetime,
            &mut profiles,
        )?;
        let mut warnings = Vec::new();
        let constraints = constraints(data, &attributes, &item.file, key, &mut warnings)?;
        self.warnings.borrow_mut().extend(warnings);
        Ok(Object {
            name: key.to_string(),
            caption: str_of(data, "caption").unwrap_or(key).to_string(),
            extension: item.ext.map(|e| self.exts[e].name.clone()),
            extends: str_of(data, "extends").map(String::from),
            profiles,
            constraints,
            deprecated: deprecation(data.get("@deprecated")),
            observable: data.get("observable").and_then(Value::as_i64),
            attributes,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn finish_class(
        &self,
        key: &str,
        item: &Item,
        dictionary: &BTreeMap<String, (Obj, Option<usize>)>,
        types: &BTreeMap<String, Obj>,
        objects: &BTreeMap<String, Item>,
        categories: &BTreeMap<String, Category>,
        has_datetime: bool,
    ) -> Result<Class> {
        let data = &item.data;
        let mut profiles = string_list(data.get("profiles"));
        let mut attributes = self.finish_attributes(
            key,
            item,
            dictionary,
            types,
            objects,
            has_datetime,
            &mut profiles,
        )?;
        let caption = str_of(data, "caption").unwrap_or(key).to_string();

        // Category: an extension class looks in its own extension first.
        let category_name = str_of(data, "category").map(String::from);
        let ext = item.ext.map(|e| &self.exts[e]);
        let category = category_name.as_deref().and_then(|c| {
            ext.and_then(|e| categories.get(&format!("{}/{}", e.name, c)))
                .or_else(|| categories.get(c))
        });
        let is_base = key == "base_event";
        if category.is_none() && !is_base && category_name.as_deref() != Some("other") {
            return Err(Error::new(
                ErrorKind::UnknownCategory,
                format!(
                    "unknown category `{}`",
                    category_name.as_deref().unwrap_or("")
                ),
            )
            .with_file(&item.file)
            .with_item(key.to_string()));
        }
        let category_uid = category.map_or(0, |c| c.uid);
        let uid = data.get("uid").and_then(Value::as_i64).unwrap_or(0);
        let class_uid = if is_base && !data.contains_key("uid") {
            0
        } else {
            let cat = match ext {
                Some(e) if category_uid < 100 => e.uid * 100 + category_uid,
                _ => category_uid,
            };
            cat * 1000 + uid
        };

        // Derived enums: class_uid, category_uid, type_uid.
        if let Some(a) = attributes.get_mut("class_uid") {
            a.enumeration = Some(BTreeMap::from([(
                class_uid.to_string(),
                EnumValue {
                    caption: caption.clone(),
                    deprecated: None,
                },
            )]));
        }
        if let (Some(a), Some(c)) = (attributes.get_mut("category_uid"), category) {
            a.enumeration = Some(BTreeMap::from([(
                c.uid.to_string(),
                EnumValue {
                    caption: c.caption.clone(),
                    deprecated: None,
                },
            )]));
        }
        let activities = attributes
            .get("activity_id")
            .or_else(|| attributes.get("disposition_id"))
            .and_then(|a| a.enumeration.clone());
        if let Some(a) = attributes.get_mut("type_uid") {
            let mut e = BTreeMap::new();
            for (k, v) in activities.iter().flatten() {
                let id: i64 = k.parse().map_err(|_| {
                    Error::new(
                        ErrorKind::InvalidEnumKey,
                        format!("activity key `{k}` is not an integer"),
                    )
                    .with_file(&item.file)
                    .with_item(key.to_string())
                    .with_attribute("activity_id")
                })?;
                e.insert(
                    (class_uid * 100 + id).to_string(),
                    EnumValue {
                        caption: format!("{caption}: {}", v.caption),
                        deprecated: v.deprecated.clone(),
                    },
                );
            }
            e.insert(
                (class_uid * 100).to_string(),
                EnumValue {
                    caption: format!("{caption}: Unknown"),
                    deprecated: None,
                },
            );
            a.enumeration = Some(e);
        }

        let mut warnings = Vec::new();
        let constraints = constraints(data, &attributes, &item.file, key, &mut warnings)?;
        self.warnings.borrow_mut().extend(warnings);
        let observables = obj_of(data, "observables")
            .map(|o| {
                o.iter()
                    .filter_map(|(k, v)| v.as_i64().map(|v| (k.clone(), v)))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Class {
            name: key.to_string(),
            caption,
            uid: class_uid,
            category: category.map(|c| c.name.clone()).or(category_name),
            category_uid,
            extension: ext.map(|e| e.name.clone()),
            extends: str_of(data, "extends").map(String::from),
            profiles,
            constraints,
            deprecated: deprecation(data.get("@deprecated")),
            observables,
            attributes,
        })
    }
}

fn read_extension(dir: &Path) -> Result<Ext> {
    let file = dir.join("extension.json");
    if !file.is_file() {
        return Err(Error::new(
            ErrorKind::InvalidExtension,
            "no `extension.json` in the directory",
        )
        .with_file(dir));
    }
    let data = read_object(&file)?;
    let name = str_of(&data, "name").ok_or_else(|| {
        Error::new(ErrorKind::InvalidExtension, "missing string `name`").with_file(&file)
    })?;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(Error::new(
            ErrorKind::InvalidExtension,
            format!("extension name `{name}` must be ASCII letters, digits or `_`"),
        )
        .with_file(&file));
    }
    let uid = data
        .get("uid")
        .and_then(Value::as_i64)
        .filter(|u| *u > 0)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidExtension,
                "missing positive integer `uid`",
            )
            .with_file(&file)
        })?;
    Ok(Ext {
        name: name.to_string(),
        uid,
        caption: str_of(&data, "caption").unwrap_or(name).to_string(),
        version: str_of(&data, "version").map(String::from),
        dir: dir.to_path_buf(),
    })
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The name without its extension scope.
fn unscoped(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

/// An extension item that patches the item it `extends` (no name of its own, or the same name).
fn is_patch(data: &Obj) -> bool {
    let Some(extends) = str_of(data, "extends") else {
        return false;
    };
    match str_of(data, "name") {
        None => true,
        Some(name) => name == extends || name == unscoped(extends),
    }
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

fn union_profiles(a: Option<&Value>, b: Option<&Value>) -> Option<Value> {
    if a.is_none() && b.is_none() {
        return None;
    }
    let mut out = string_list(a);
    for p in string_list(b) {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Some(Value::Array(out.into_iter().map(Value::String).collect()))
}

fn deprecation(v: Option<&Value>) -> Option<Deprecation> {
    let d = v?.as_object()?;
    let mut replaced_by = Vec::new();
    if let Some(msg) = str_of(d, "message") {
        // Facts only: the names the message points to (inside <code> tags), never its prose.
        let mut rest = msg;
        while let Some(start) = rest.find("<code>") {
            let after = &rest[start + 6..];
            let Some(end) = after.find("</code>") else {
                break;
            };
            let name = after[..end].trim().trim_matches('\'').trim();
            if !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/'))
            {
                replaced_by.push(name.to_string());
            }
            rest = &after[end + 7..];
        }
    }
    Some(Deprecation {
        since: str_of(d, "since").map(String::from),
        replaced_by,
    })
}

fn finish_type(name: &str, t: &Obj) -> DataType {
    let range = t.get("range").and_then(Value::as_array).and_then(|r| {
        let lo = r.first()?.as_i64()?;
        let hi = r.get(1)?.as_i64()?;
        Some([lo, hi])
    });
    DataType {
        name: name.to_string(),
        caption: str_of(t, "caption").unwrap_or(name).to_string(),
        base: str_of(t, "type").map(String::from),
        regex: str_of(t, "regex").map(String::from),
        max_len: t.get("max_len").and_then(Value::as_u64),
        range,
        values: t.get("values").and_then(Value::as_array).cloned(),
        observable: t.get("observable").and_then(Value::as_i64),
    }
}

/// The primitive a data type ends in (`port_t` -> `integer_t`).
fn primitive<'t>(types: &'t BTreeMap<String, Obj>, name: &'t str) -> &'t str {
    let mut current = name;
    for _ in 0..8 {
        match types.get(current).and_then(|t| str_of(t, "type")) {
            Some(base) if base != current => current = base,
            _ => break,
        }
    }
    current
}

fn finish_attribute(
    name: &str,
    merged: &Obj,
    types: &BTreeMap<String, Obj>,
    objects: &BTreeMap<String, Item>,
    file: &Path,
    item: &str,
) -> Result<Attribute> {
    let err = |kind, msg: String| {
        Error::new(kind, msg)
            .with_file(file)
            .with_item(item.to_string())
            .with_attribute(name.to_string())
    };
    let type_name = str_of(merged, "type").unwrap_or("object_t").to_string();
    let object_type = str_of(merged, "object_type").map(String::from);
    if type_name == "object_t" {
        match &object_type {
            Some(o) if objects.contains_key(o) => {}
            Some(o) => {
                return Err(err(
                    ErrorKind::UnknownType,
                    format!("unknown object type `{o}`"),
                ));
            }
            None => {
                return Err(err(
                    ErrorKind::UnknownType,
                    "`object_t` without an `object_type`".into(),
                ));
            }
        }
    } else if !types.contains_key(&type_name) {
        return Err(err(
            ErrorKind::UnknownType,
            format!("unknown type `{type_name}`"),
        ));
    }
    let requirement = match str_of(merged, "requirement") {
        None | Some("optional") => Requirement::Optional,
        Some("recommended") => Requirement::Recommended,
        Some("required") => Requirement::Required,
        Some(other) => {
            return Err(err(
                ErrorKind::Json,
                format!("unknown requirement `{other}`"),
            ));
        }
    };
    let needs_integer_keys = matches!(primitive(types, &type_name), "integer_t" | "long_t");
    let enumeration = match merged.get("enum") {
        None | Some(Value::Null) => None,
        Some(Value::Object(e)) => {
            let mut out = BTreeMap::new();
            for (k, v) in e {
                if needs_integer_keys && k.parse::<i64>().is_err() {
                    return Err(err(
                        ErrorKind::InvalidEnumKey,
                        format!("enum key `{k}` is not an integer, but the type is `{type_name}`"),
                    ));
                }
                let v = v.as_object();
                out.insert(
                    k.clone(),
                    EnumValue {
                        caption: v
                            .and_then(|v| str_of(v, "caption"))
                            .unwrap_or(k)
                            .to_string(),
                        deprecated: deprecation(v.and_then(|v| v.get("@deprecated"))),
                    },
                );
            }
            Some(out)
        }
        Some(_) => return Err(err(ErrorKind::Json, "`enum` must be an object".into())),
    };
    Ok(Attribute {
        caption: str_of(merged, "caption").unwrap_or(name).to_string(),
        type_name,
        object_type,
        is_array: merged
            .get("is_array")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        requirement,
        profiles: match merged.get("profile") {
            Some(Value::String(p)) => match merged.get("_profiles") {
                Some(list) => string_list(Some(list)),
                None => vec![p.clone()],
            },
            _ => Vec::new(),
        },
        group: str_of(merged, "group").map(String::from),
        enumeration,
        sibling: str_of(merged, "sibling").map(String::from),
        observable: merged.get("observable").and_then(Value::as_i64),
        deprecated: deprecation(merged.get("@deprecated")),
    })
}

fn constraints(
    data: &Obj,
    attributes: &BTreeMap<String, Attribute>,
    file: &Path,
    key: &str,
    warnings: &mut Vec<Error>,
) -> Result<Constraints> {
    let mut out = Constraints::default();
    let Some(c) = obj_of(data, "constraints") else {
        return Ok(out);
    };
    for (kind, list) in c {
        let paths = string_list(Some(list));
        for p in &paths {
            let head = p.split('.').next().unwrap_or(p);
            if !attributes.contains_key(head) {
                warnings.push(
                    Error::new(
                        ErrorKind::InvalidConstraint,
                        format!("constraint `{kind}` names `{p}`, which is not an attribute"),
                    )
                    .with_file(file)
                    .with_item(key.to_string()),
                );
            }
        }
        match kind.as_str() {
            "at_least_one" => out.at_least_one = paths,
            "just_one" => out.just_one = paths,
            other => {
                return Err(Error::new(
                    ErrorKind::InvalidConstraint,
                    format!("unknown constraint `{other}`"),
                )
                .with_file(file)
                .with_item(key.to_string()));
            }
        }
    }
    Ok(out)
}

/// Every observable type id the schema declares, with a caption.
fn observable_type_ids(
    types: &BTreeMap<String, Obj>,
    dictionary: &BTreeMap<String, (Obj, Option<usize>)>,
    classes: &[Item],
    objects: &[Item],
) -> BTreeMap<i64, String> {
    let mut out = BTreeMap::new();
    for (name, t) in types {
        if let Some(id) = t.get("observable").and_then(Value::as_i64) {
            out.entry(id)
                .or_insert_with(|| str_of(t, "caption").unwrap_or(name).to_string());
        }
    }
    for (name, (a, _)) in dictionary {
        if let Some(id) = a.get("observable").and_then(Value::as_i64) {
            out.entry(id)
                .or_insert_with(|| str_of(a, "caption").unwrap_or(name).to_string());
        }
    }
    for (kind, items) in [("Object", objects), ("Class", classes)] {
        for item in items {
            let caption = str_of(&item.data, "caption")
                .unwrap_or(&item.key)
                .to_string();
            if let Some(id) = item.data.get("observable").and_then(Value::as_i64) {
                out.entry(id).or_insert_with(|| caption.clone());
            }
            if let Some(attrs) = obj_of(&item.data, "attributes") {
                for (attr, v) in attrs {
                    if let Some(id) = v.get("observable").and_then(Value::as_i64) {
                        out.entry(id)
                            .or_insert_with(|| format!("{caption} {kind}: {attr}"));
                    }
                }
            }
            if let Some(obs) = obj_of(&item.data, "observables") {
                for (path, v) in obs {
                    if let Some(id) = v.as_i64() {
                        out.entry(id)
                            .or_insert_with(|| format!("{caption} {kind}: {path}"));
                    }
                }
            }
        }
    }
    out
}

/// Classes and objects that use an object with profiles take those profiles on.
fn propagate_object_profiles(
    objects: &mut BTreeMap<String, Object>,
    classes: &mut BTreeMap<String, Class>,
) {
    let object_profiles: BTreeMap<String, Vec<String>> = objects
        .iter()
        .filter(|(_, o)| !o.profiles.is_empty())
        .map(|(k, o)| (k.clone(), o.profiles.clone()))
        .collect();
    let add = |profiles: &mut Vec<String>, attributes: &BTreeMap<String, Attribute>| {
        for attr in attributes.values() {
            if let Some(p) = attr
                .object_type
                .as_ref()
                .and_then(|t| object_profiles.get(t))
            {
                for name in p {
                    if !profiles.contains(name) {
                        profiles.push(name.clone());
                    }
                }
            }
        }
    };
    for object in objects.values_mut() {
        let attributes = object.attributes.clone();
        add(&mut object.profiles, &attributes);
    }
    for class in classes.values_mut() {
        let attributes = class.attributes.clone();
        add(&mut class.profiles, &attributes);
    }
}
