//! The version conversions of `cargo xtask codegen`: `crates/ocsf-model/src/generated/convert/`.
//!
//! One file per (source, target) pair in [`PAIRS`], compiled when both versions' features are on.
//! Classes are matched by `class_uid` (OCSF keeps a class's uid when it renames the class:
//! `kernel_extension` became `kernel_extension_activity`), objects and attributes by name. Every
//! object reachable from a matched class through attributes of the same object type in both
//! versions gets one private function, reused by every class and object that holds it, so the
//! code grows with the number of objects, not with the number of paths.
//!
//! Per attribute the generator picks one conversion from the two versions' Rust types: a move
//! (same type), a widening (`integer_t` -> `long_t`), a checked narrowing or parse (the value goes
//! to `unmapped` and the report when it does not fit), an enum re-read by value (the target's
//! `Unrecognized` keeps a value it does not define, reported), a nested object function, or,
//! for an attribute the target lacks or a shape it cannot hold (array vs single, object vs
//! scalar), the value as JSON text in the event's `unmapped` under its dotted path, reported.
//! Caption siblings (`activity_name`, `class_name`, `type_name`, ...) are re-derived in the
//! target's captions when they held the source's caption, and kept when they held the
//! producer's own text.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ocsf_compiler::Attribute;

use super::{Ctx, HEADER, Kind, context, field_ident, file_name, format_rust, is_plain, kind};
use crate::schema::{load, sync};

/// The conversions generated: (source version, target version).
pub const PAIRS: &[(&str, &str)] = &[
    ("1.1.0", "1.3.0"),
    ("1.3.0", "1.1.0"),
    ("1.3.0", "1.8.0"),
    ("1.8.0", "1.1.0"),
];

/// Generates the conversion files under `out/convert/` (writes, or with `check` records drift).
pub fn generate(
    out: &Path,
    check: bool,
    drift: &mut Vec<String>,
    expected: &mut BTreeSet<PathBuf>,
) -> Result<(), String> {
    let mut schemas = BTreeMap::new();
    for (from, to) in PAIRS {
        for v in [from, to] {
            if !schemas.contains_key(*v) {
                schemas.insert(v.to_string(), load(v)?);
            }
        }
    }
    let dir = out.join("convert");
    let mut m = format!(
        "{HEADER}//! Conversions between OCSF versions, one module per (source, target) pair.\n\n"
    );
    for (from, to) in PAIRS {
        let (s, d) = (&schemas[*from], &schemas[*to]);
        let (cs, cd) = (context(s), context(d));
        let name = format!("{}_to_{}", cs.module, cd.module);
        let _ = writeln!(
            m,
            "#[cfg(all(feature = \"{}\", feature = \"{}\"))]\npub mod {name};",
            cs.module, cd.module
        );
        let text = format_rust(&Pair::new(&cs, &cd).code())?;
        let path = dir.join(format!("{name}.rs"));
        expected.insert(path.clone());
        sync(&path, &text, check, drift)?;
    }
    m.push_str("\n/// The (source, target) version pairs with a generated conversion.\n");
    m.push_str("pub const PAIRS: &[(&str, &str)] = &[\n");
    for (from, to) in PAIRS {
        let _ = writeln!(m, "({from:?}, {to:?}),");
    }
    m.push_str("];\n");
    let path = dir.join("mod.rs");
    expected.insert(path.clone());
    sync(&path, &format_rust(&m)?, check, drift)
}

struct Pair<'a> {
    s: &'a Ctx<'a>,
    d: &'a Ctx<'a>,
}

/// How one attribute's value is carried over.
enum Conv {
    /// An expression of `v` that gives the target value.
    Total(String),
    /// An expression of `v` that gives `Option` of the target value (reports when `None`).
    Partial(String),
    /// The target cannot hold the value: JSON text in `unmapped`, reported.
    Unfit,
}

impl<'a> Pair<'a> {
    fn new(s: &'a Ctx<'a>, d: &'a Ctx<'a>) -> Self {
        Pair { s, d }
    }

    /// Classes of the source with the target class of the same `class_uid`.
    fn classes(&self) -> Vec<(&'a String, Option<&'a String>)> {
        let by_uid: BTreeMap<i64, &String> = self
            .d
            .schema
            .classes
            .iter()
            .map(|(n, c)| (c.uid, n))
            .collect();
        let mut out: Vec<(&String, Option<&String>)> = self
            .s
            .schema
            .classes
            .iter()
            .map(|(n, c)| (n, by_uid.get(&c.uid).copied()))
            .collect();
        out.sort_by_key(|(n, _)| self.s.schema.classes[*n].uid);
        out
    }

    /// Whether an object has a typed struct in both versions.
    fn both_typed(&self, object: &str) -> bool {
        self.s.object_path(object).is_some() && self.d.object_path(object).is_some()
    }

    /// The objects reachable from the matched classes through attributes both versions type
    /// as the same object.
    fn objects(&self) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<AttributePair<'_>> = self
            .classes()
            .into_iter()
            .filter_map(|(s, d)| {
                Some((
                    &self.s.schema.classes[s].attributes,
                    &self.d.schema.classes[d?].attributes,
                ))
            })
            .collect();
        while let Some((sa, da)) = stack.pop() {
            for (name, a) in sa {
                let Some(b) = da.get(name) else { continue };
                let (Some(o), Some(p)) = (&a.object_type, &b.object_type) else {
                    continue;
                };
                if o == p
                    && a.type_name == "object_t"
                    && b.type_name == "object_t"
                    && self.both_typed(o)
                    && seen.insert(o.clone())
                {
                    stack.push((
                        &self.s.schema.objects[o].attributes,
                        &self.d.schema.objects[o].attributes,
                    ));
                }
            }
        }
        seen
    }

    fn code(&self) -> String {
        let (sm, dm) = (&self.s.module, &self.d.module);
        let mut s = format!(
            "{HEADER}//! OCSF {} -> {}: one function per class (public) and per object (shared).\n\n",
            self.s.version, self.d.version
        );
        s.push_str("#![allow(clippy::redundant_closure)]\n\n");
        s.push_str("use crate::OcsfEnum as _;\nuse crate::convert::{ConversionReport, ConvertError, Converter, IntoVersion};\n\n");
        let _ = writeln!(
            s,
            "/// The source version.\npub const FROM: &str = {:?};\n/// The target version.\npub const TO: &str = {:?};\n",
            self.s.version, self.d.version
        );
        // The dispatcher over `class_uid`.
        s.push_str(&format!(
            "/// Converts an OCSF {} event given as JSON into its OCSF {} class, by `class_uid`.\n\
             pub fn convert_value(value: serde_json::Value, report: &mut ConversionReport) -> Result<serde_json::Value, ConvertError> {{\n\
             let uid = crate::convert::class_uid_of(&value)?;\nmatch uid {{\n",
            self.s.version, self.d.version
        ));
        for (sname, dname) in self.classes() {
            let uid = self.s.schema.classes[sname].uid;
            match dname {
                Some(_) => {
                    let _ = writeln!(
                        s,
                        "{uid} => crate::convert::via::<crate::{sm}::events::{}, crate::{dm}::events::{}>(value, report),",
                        self.s.type_names[&format!("class:{sname}")],
                        self.d.type_names[&format!("class:{}", dname.map_or("", |n| n.as_str()))]
                    );
                }
                None => {
                    let _ = writeln!(
                        s,
                        "{uid} => Err(ConvertError::class_not_in_target({sname:?}, {uid}, FROM, TO)),"
                    );
                }
            }
        }
        s.push_str("_ => Err(ConvertError::unknown_class(uid, FROM)),\n}\n}\n\n");
        for (sname, dname) in self.classes() {
            if let Some(dname) = dname {
                s.push_str(&self.class_fn(sname, dname));
            }
        }
        for o in self.objects() {
            s.push_str(&self.object_fn(&o));
        }
        s
    }

    fn class_fn(&self, sname: &str, dname: &str) -> String {
        let (sm, dm) = (&self.s.module, &self.d.module);
        let st = format!(
            "crate::{sm}::events::{}",
            self.s.type_names[&format!("class:{sname}")]
        );
        let dt = format!(
            "crate::{dm}::events::{}",
            self.d.type_names[&format!("class:{dname}")]
        );
        let sc = &self.s.schema.classes[sname];
        let dc = &self.d.schema.classes[dname];
        let f = file_name(sname);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "/// {} (`{sname}`, {}) -> {} (`{dname}`).",
            sc.caption, self.s.version, self.d.version
        );
        let _ = writeln!(
            s,
            "pub fn {f}(src: {st}, report: &mut ConversionReport) -> {dt} {{\nlet mut c = Converter::new(report);"
        );
        let body = self.body(
            &format!("class:{sname}"),
            &format!("class:{dname}"),
            &sc.attributes,
            &dc.attributes,
            true,
            &dt,
        );
        s.push_str(&body);
        s.push_str("}\n\n");
        let _ = writeln!(
            s,
            "impl IntoVersion<{dt}> for {st} {{\nfn into_version(self, report: &mut ConversionReport) -> {dt} {{ {f}(self, report) }}\n}}\n"
        );
        s
    }

    fn object_fn(&self, name: &str) -> String {
        let st = self.s.object_path(name).unwrap_or_default();
        let dt = self.d.object_path(name).unwrap_or_default();
        let mut s = String::new();
        let body = self.body(
            &format!("object:{name}"),
            &format!("object:{name}"),
            &self.s.schema.objects[name].attributes,
            &self.d.schema.objects[name].attributes,
            false,
            &dt,
        );
        // An object of scalars that all convert in place never needs the converter.
        let uses = body.match_indices("c.").any(|(i, _)| {
            i == 0
                || !body.as_bytes()[i - 1].is_ascii_alphanumeric() && body.as_bytes()[i - 1] != b'_'
        });
        let _ = writeln!(
            s,
            "fn o_{}(src: {st}, {}: &mut Converter<'_>) -> {dt} {{",
            file_name(name),
            if uses { "c" } else { "_c" }
        );
        s.push_str(&body);
        s.push_str("}\n\n");
        s
    }

    /// The full path of a kind's enum type (owner-specific enums sit in the owner's module).
    fn kind_of(ctx: &Ctx, owner: &str, name: &str, a: &Attribute) -> Kind {
        let module = if owner.starts_with("class:") {
            "events"
        } else {
            "objects"
        };
        let full = |p: String| {
            if p.starts_with("crate::") {
                p
            } else {
                format!("crate::{}::{module}::{p}", ctx.module)
            }
        };
        match kind(ctx, owner, name, a) {
            Kind::IntEnum(p) => Kind::IntEnum(full(p)),
            Kind::StrEnum(p) => Kind::StrEnum(full(p)),
            k => k,
        }
    }

    /// The conversion of one (non-array or array) value `v`.
    fn conv(&self, name: &str, a: &Attribute, b: &Attribute, ks: &Kind, kd: &Kind) -> Conv {
        use Kind::*;
        if a.is_array != b.is_array {
            return Conv::Unfit;
        }
        let same_scalar = matches!(
            (ks, kd),
            (I32, I32)
                | (I64, I64)
                | (F64, F64)
                | (Bool, Bool)
                | (Json, Json)
                | (Map, Map)
                | (Str | DateTime, Str | DateTime)
        );
        // A caption converts as a string does (a `Caption` derefs to `str`), then into the
        // target's type.
        let (cs, cd) = (matches!(ks, Caption(_)), matches!(kd, Caption(_)));
        if cs && cd {
            return Conv::Total("v".into());
        }
        if cs || cd {
            let conv = self.conv(
                name,
                a,
                b,
                if cs { &Str } else { ks },
                if cd { &Str } else { kd },
            );
            return match conv {
                Conv::Total(t) if t == "v" => Conv::Total("v.into()".into()),
                Conv::Total(t) if cd => Conv::Total(format!("crate::Caption::from({t})")),
                Conv::Partial(t) if cd => Conv::Partial(format!("({t}).map(crate::Caption::from)")),
                other => other,
            };
        }
        if same_scalar {
            return Conv::Total("v".into());
        }
        if a.is_array {
            return match (ks, kd) {
                (IntEnum(_), IntEnum(_)) => Conv::Total(format!("c.int_enums({name:?}, v)")),
                (StrEnum(_), StrEnum(t)) => Conv::Total(format!(
                    "v.into_iter().map(|v| c.str_enum({name:?}, v.value(), v.caption().is_some(), |s| {t}::from_value(s), |d| d.caption().is_some())).collect()"
                )),
                (I32, I64) => Conv::Total("v.into_iter().map(i64::from).collect()".into()),
                (Object(_, _), Object(_, _))
                    if a.object_type == b.object_type
                        && self.both_typed(a.object_type.as_deref().unwrap_or("")) =>
                {
                    Conv::Total(format!(
                        "c.list({name:?}, v, o_{})",
                        file_name(a.object_type.as_deref().unwrap_or(""))
                    ))
                }
                _ => Conv::Unfit,
            };
        }
        match (ks, kd) {
            (I32, I64) => Conv::Total("i64::from(v)".into()),
            (I32, F64) => Conv::Total("f64::from(v)".into()),
            (I64, I32) => Conv::Partial(format!("c.fit({name:?}, v, |v| i32::try_from(*v).ok())")),
            (I32 | I64 | F64 | Bool, Str) => Conv::Total("v.to_string()".into()),
            (Str | DateTime, I32 | I64 | F64 | Bool) => {
                Conv::Partial(format!("c.fit({name:?}, v, |v| v.parse().ok())"))
            }
            (IntEnum(_), IntEnum(_)) => Conv::Total(format!("c.int_enum({name:?}, v)")),
            (IntEnum(_), I32) => Conv::Total("v.id()".into()),
            (IntEnum(_), I64) => Conv::Total("i64::from(v.id())".into()),
            (I32, IntEnum(_)) => Conv::Total(format!("c.enum_of({name:?}, i64::from(v))")),
            (I64, IntEnum(_)) => Conv::Total(format!("c.enum_of({name:?}, v)")),
            (StrEnum(_), StrEnum(t)) => Conv::Total(format!(
                "c.str_enum({name:?}, v.value(), v.caption().is_some(), |s| {t}::from_value(s), |d| d.caption().is_some())"
            )),
            (StrEnum(_), Str) => Conv::Total("v.value().to_string()".into()),
            (Str, StrEnum(t)) => Conv::Total(format!(
                "c.str_enum({name:?}, &v, true, |s| {t}::from_value(s), |d| d.caption().is_some())"
            )),
            (Object(_, sb), Object(_, db))
                if a.object_type == b.object_type
                    && self.both_typed(a.object_type.as_deref().unwrap_or("")) =>
            {
                let inner = format!(
                    "c.one({name:?}, {}, o_{})",
                    if *sb { "*v" } else { "v" },
                    file_name(a.object_type.as_deref().unwrap_or(""))
                );
                Conv::Total(if *db {
                    format!("Box::new({inner})")
                } else {
                    inner
                })
            }
            _ => Conv::Unfit,
        }
    }

    /// The body of a class or object function: statements, then the target struct.
    fn body(
        &self,
        sowner: &str,
        downer: &str,
        sa: &BTreeMap<String, Attribute>,
        da: &BTreeMap<String, Attribute>,
        is_class: bool,
        dt: &str,
    ) -> String {
        let (s_ctx, d_ctx) = (self.s, self.d);
        let mut pre = String::new();
        let mut lets = String::new();
        let mut fields = String::new();
        // Caption siblings re-derived: sibling -> the enum attribute it captions.
        let mut captioned: BTreeMap<&str, &str> = BTreeMap::new();
        for (name, a) in sa {
            let (Some(sib), Some(b)) = (&a.sibling, da.get(name)) else {
                continue;
            };
            if b.sibling.as_ref() != Some(sib) || a.is_array != b.is_array {
                continue;
            }
            let (Some(sa_sib), Some(da_sib)) = (sa.get(sib), da.get(sib)) else {
                continue;
            };
            let enums = matches!(
                Self::kind_of(s_ctx, sowner, name, a),
                Kind::IntEnum(_) | Kind::StrEnum(_)
            ) && matches!(
                Self::kind_of(d_ctx, downer, name, b),
                Kind::IntEnum(_) | Kind::StrEnum(_)
            );
            let text = |x: &Attribute| x.type_name == "string_t" && x.is_array == a.is_array;
            if enums && text(sa_sib) && text(da_sib) {
                captioned.insert(sib.as_str(), name.as_str());
            }
        }
        // The captions of the source values, taken before the values move.
        for (sib, name) in &captioned {
            let a = &sa[*name];
            let f = field_ident(name);
            let plain = is_plain(s_ctx, is_class, name, a);
            let expr = match (plain, a.is_array) {
                (true, false) => format!("src.{f}.caption()"),
                (false, false) => format!("src.{f}.as_ref().and_then(|v| v.caption())"),
                (_, true) => format!(
                    "src.{f}.as_ref().map(|l| l.iter().map(|v| v.caption()).collect::<Vec<_>>())"
                ),
            };
            let _ = writeln!(pre, "let {}_caption = {expr}; // for `{sib}`", f);
        }
        let derived_caption =
            |n: &str| is_class && matches!(n, "class_name" | "category_name" | "type_name");
        if is_class && sa.contains_key("type_name") && da.contains_key("type_name") {
            let _ = writeln!(
                pre,
                "let type_name_was = src.activity_name.as_deref().map(crate::caption::type_name::<{}>);",
                self.src_class_type(sowner)
            );
        }
        for (name, a) in sa {
            let f = field_ident(name);
            let splain = is_plain(s_ctx, is_class, name, a);
            let Some(b) = da.get(name) else {
                if splain {
                    let _ = writeln!(pre, "c.absent({name:?}, &src.{f});");
                } else {
                    let _ = writeln!(
                        pre,
                        "if let Some(v) = &src.{f} {{ c.absent({name:?}, v); }}"
                    );
                }
                continue;
            };
            let dplain = is_plain(d_ctx, is_class, name, b);
            if is_class && name == "unmapped" {
                continue; // merged last
            }
            if captioned.contains_key(name.as_str()) || derived_caption(name) {
                continue; // after the values
            }
            let ks = Self::kind_of(s_ctx, sowner, name, a);
            let kd = Self::kind_of(d_ctx, downer, name, b);
            let conv = self.conv(name, a, b, &ks, &kd);
            let expr = match (conv, splain, dplain) {
                (Conv::Total(t), true, true) => {
                    if t == "v" {
                        format!("src.{f}")
                    } else {
                        format!("{{ let v = src.{f}; {t} }}")
                    }
                }
                (Conv::Total(t), true, false) => {
                    if t == "v" {
                        format!("Some(src.{f})")
                    } else {
                        format!("Some({{ let v = src.{f}; {t} }})")
                    }
                }
                (Conv::Total(t), false, false) => {
                    if t == "v" {
                        format!("src.{f}")
                    } else {
                        format!("src.{f}.map(|v| {t})")
                    }
                }
                (Conv::Partial(t), true, false) => format!("{{ let v = src.{f}; {t} }}"),
                (Conv::Partial(t), false, false) => format!("src.{f}.and_then(|v| {t})"),
                (Conv::Unfit, true, false) => {
                    let _ = writeln!(pre, "c.unfit({name:?}, &src.{f});");
                    "None".to_string()
                }
                (Conv::Unfit, false, false) => {
                    let _ = writeln!(pre, "if let Some(v) = &src.{f} {{ c.unfit({name:?}, v); }}");
                    "None".to_string()
                }
                // A value the target requires and the source may lack (1.3.0 has
                // `email_activity.activity_id` optional, 1.8.0 required): the enum's
                // `Unknown` (0), which is what the source says by omitting it.
                (Conv::Total(t), false, true) if matches!(kd, Kind::IntEnum(_)) => {
                    let ty = Self::rust_type(d_ctx, downer, name, b);
                    if t == "v" {
                        format!("src.{f}.unwrap_or(<{ty} as crate::OcsfEnum>::from_id(0))")
                    } else {
                        format!(
                            "src.{f}.map(|v| {t}).unwrap_or(<{ty} as crate::OcsfEnum>::from_id(0))"
                        )
                    }
                }
                (_, _, true) => {
                    // A value the target requires but the source may lack: never generated
                    // for the supported pairs (checked here so a new pair cannot slip by).
                    panic!(
                        "{sowner}.{name}: required in {} but optional or unconvertible in {}",
                        d_ctx.version, s_ctx.version
                    );
                }
            };
            let ty = Self::rust_type(d_ctx, downer, name, b);
            let ty = if dplain { ty } else { format!("Option<{ty}>") };
            let _ = writeln!(lets, "let {f}: {ty} = {expr};");
        }
        // Captions, in the target's words where the source held its own schema's caption.
        for (sib, name) in &captioned {
            let b = &da[*name];
            let f = field_ident(name);
            let dplain = is_plain(d_ctx, is_class, name, b);
            let target = match (dplain, b.is_array) {
                (true, false) => format!("{f}.caption()"),
                (false, false) => format!("{f}.as_ref().and_then(|v| v.caption())"),
                (_, true) => format!(
                    "{f}.as_ref().map(|l| l.iter().map(|v| v.caption()).collect::<Vec<_>>())"
                ),
            };
            let fun = if b.is_array {
                "recaption_list"
            } else {
                "recaption"
            };
            let sty = Self::rust_type(d_ctx, downer, sib, &da[*sib]);
            let _ = writeln!(
                lets,
                "let {}: Option<{sty}> = crate::convert::{fun}(src.{}, {f}_caption, {target});",
                field_ident(sib),
                field_ident(sib)
            );
        }
        if is_class {
            let st = self.src_class_type(sowner);
            let caps = [
                ("class_name", "CLASS_CAPTION"),
                ("category_name", "CATEGORY_CAPTION"),
            ];
            for (n, k) in caps {
                if sa.contains_key(n) && da.contains_key(n) {
                    let _ = writeln!(
                        lets,
                        "let {n}: Option<crate::Caption> = crate::convert::recaption(src.{n}, Some(<{st} as crate::OcsfEvent>::{k}), Some(<{dt} as crate::OcsfEvent>::{k}));"
                    );
                }
            }
            if sa.contains_key("type_name") && da.contains_key("type_name") {
                let _ = writeln!(
                    lets,
                    "let type_name_is = activity_name.as_deref().map(crate::caption::type_name::<{dt}>);\n\
                     let type_name: Option<crate::Caption> = crate::convert::recaption(src.type_name, type_name_was.as_deref(), type_name_is);"
                );
            }
            let _ = writeln!(lets, "let mut metadata = metadata;");
            let _ = writeln!(
                lets,
                "metadata.version = Some(<{dt} as crate::OcsfEvent>::OCSF_VERSION.to_string());"
            );
            if da.contains_key("unmapped") {
                let src = if sa.contains_key("unmapped") {
                    "src.unmapped"
                } else {
                    "None"
                };
                let _ = writeln!(lets, "let unmapped = c.finish({src});");
            }
        }
        for (name, b) in da {
            let f = field_ident(name);
            if !sa.contains_key(name) && is_plain(d_ctx, is_class, name, b) {
                panic!(
                    "{downer}.{name}: required in {} but absent in {}",
                    d_ctx.version, s_ctx.version
                );
            }
            if sa.contains_key(name) || (is_class && name == "unmapped") {
                let _ = writeln!(fields, "{f},");
            } else {
                let _ = writeln!(fields, "{f}: None,");
            }
        }
        let _ = writeln!(fields, "unknown: src.unknown,");
        format!("{pre}{lets}{dt} {{\n{fields}}}\n")
    }

    /// The Rust type of an attribute's value (without `Option`), with full enum paths.
    fn rust_type(ctx: &Ctx, owner: &str, name: &str, a: &Attribute) -> String {
        let t = ctx.value_type(owner, name, a);
        let Some(e) = ctx.plan.names.get(&(owner.to_string(), name.to_string())) else {
            return t;
        };
        if ctx.plan.shared.contains_key(e) {
            return t;
        }
        let module = if owner.starts_with("class:") {
            "events"
        } else {
            "objects"
        };
        let full = format!("crate::{}::{module}::{e}", ctx.module);
        if a.is_array {
            format!("Vec<{full}>")
        } else {
            full
        }
    }

    fn src_class_type(&self, sowner: &str) -> String {
        format!(
            "crate::{}::events::{}",
            self.s.module, self.s.type_names[sowner]
        )
    }
}

/// The attribute maps of one class or object in the source and in the target version.
type AttributePair<'a> = (
    &'a BTreeMap<String, Attribute>,
    &'a BTreeMap<String, Attribute>,
);
