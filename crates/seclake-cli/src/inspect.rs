//! `seclake inspect`: what a Parquet lake object holds, or a summary of a dead-letter file,
//! local or in S3 (recognised by its content, see [`crate::letters`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_schema::{DataType, Field};
use clap::Args;
use securitylake_core::object_store::{ObjectStore, ObjectStoreExt};
use securitylake_core::store::object_path;
use securitylake_subscriber::ObjectRef;
use securitylake_subscriber::reader::ObjectReader;

use crate::common::{AwsArgs, file_error, parse_s3_url, print_json, s3_store, write_json_line};
use crate::error::{EXIT_OK, Error, ErrorKind, Result};
use crate::rows::{Decoding, batch_json, read_error};
use crate::schema::schema_for;

/// Arguments of `seclake inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A Parquet file or dead-letter file (JSON lines): a local path or s3://bucket/key.
    target: String,
    /// Also print the first N rows (of a dead-letter file: letters, with their reason and
    /// event) as JSON lines.
    #[arg(long, value_name = "N")]
    rows: Option<usize>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// The Parquet magic, at both ends of a file.
const MAGIC: &[u8] = b"PAR1";

/// A store error reading `shown`.
fn store_error(shown: &str, e: securitylake_core::object_store::Error) -> securitylake_core::Error {
    securitylake_core::Error::from_object_store(format!("reading {shown}"), e)
}

/// The path and size of the object `key` (a missing one: "no such object").
async fn object_size(
    store: &dyn ObjectStore,
    key: &str,
    shown: &str,
) -> Result<(securitylake_core::object_store::path::Path, u64)> {
    let path = object_path(key)?;
    let size = store
        .head(&path)
        .await
        .map_err(|e| not_found(store_error(shown, e), shown))?
        .size;
    Ok((path, size))
}

/// Checks both magic markers of an object.
pub async fn check_magic(store: &dyn ObjectStore, key: &str, shown: &str) -> Result<u64> {
    let (path, size) = object_size(store, key, shown).await?;
    let store_error = |e| store_error(shown, e);
    let not_parquet = || Error::input(format!("not a Parquet file: {shown} (magic bytes missing)"));
    if size < 12 {
        return Err(not_parquet());
    }
    let head = store.get_range(&path, 0..4).await.map_err(store_error)?;
    let tail = store
        .get_range(&path, size - 4..size)
        .await
        .map_err(store_error)?;
    if head.as_ref() != MAGIC || tail.as_ref() != MAGIC {
        return Err(not_parquet());
    }
    Ok(size)
}

/// The largest object read whole as a dead-letter file.
const MAX_LETTERS_BYTES: u64 = 256 * 1024 * 1024;

/// The dead letters of the object `key` when it is a dead-letter file (not Parquet, JSON
/// lines of letters); `None` for a Parquet object; an error for an object that is neither.
async fn s3_dead_letters(
    store: &dyn ObjectStore,
    key: &str,
    shown: &str,
) -> Result<Option<Vec<securitylake_source::sink::DeadLetter>>> {
    let (path, size) = object_size(store, key, shown).await?;
    let store_error = |e| store_error(shown, e);
    if size >= 4
        && store
            .get_range(&path, 0..4)
            .await
            .map_err(store_error)?
            .as_ref()
            == MAGIC
    {
        return Ok(None);
    }
    let neither = |why: String| {
        Error::input(format!(
            "{shown}: not a Parquet file (magic bytes missing) and not a dead-letter file ({why})"
        ))
    };
    if size > MAX_LETTERS_BYTES {
        return Err(neither(format!(
            "{size} bytes, more than the {MAX_LETTERS_BYTES} read as dead letters"
        )));
    }
    let bytes = store
        .get(&path)
        .await
        .map_err(store_error)?
        .bytes()
        .await
        .map_err(store_error)?;
    let text = std::str::from_utf8(&bytes).map_err(|e| neither(format!("not UTF-8: {e}")))?;
    crate::letters::parse(text, shown)
        .map(Some)
        .map_err(neither)
}

/// Whether the local file at `path` begins with the Parquet magic.
fn starts_with_magic(path: &Path) -> Result<bool> {
    use std::io::Read;
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| file_error(&shown, e))?;
    let mut head = Vec::with_capacity(MAGIC.len());
    file.take(MAGIC.len() as u64)
        .read_to_end(&mut head)
        .map_err(|e| file_error(&shown, e))?;
    Ok(head == MAGIC)
}

fn not_found(err: securitylake_core::Error, shown: &str) -> Error {
    if err.kind() == securitylake_core::ErrorKind::NotFound {
        Error::new(ErrorKind::NotFound, format!("no such object: {shown}")).with_source(err)
    } else {
        err.into()
    }
}

/// Splits a local path into a store root and a key, keeping the lake layout
/// (`.../ext/...` or `.../aws/...`) in the key when the path has one.
fn local_root_and_key(path: &Path) -> Result<(PathBuf, String)> {
    let absolute =
        std::fs::canonicalize(path).map_err(|e| file_error(&path.display().to_string(), e))?;
    if absolute.is_dir() {
        return Err(Error::input(format!(
            "{} is a directory; give a Parquet file (use `seclake lint` for a lake directory)",
            path.display()
        )));
    }
    let components: Vec<String> = absolute
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let start = components
        .iter()
        .rposition(|c| c == "ext" || c == "aws")
        .filter(|&i| i + 1 < components.len())
        .unwrap_or(components.len() - 1);
    let root: PathBuf = components[..start].iter().collect();
    let key = components[start..].join("/");
    Ok((root, key))
}

/// A short description of an Arrow type.
fn type_summary(dt: &DataType) -> String {
    match dt {
        DataType::Struct(fields) => format!("struct<{} fields>", fields.len()),
        DataType::List(f) | DataType::LargeList(f) => {
            format!("list<{}>", type_summary(f.data_type()))
        }
        DataType::Map(f, _) => match f.data_type() {
            DataType::Struct(kv) if kv.len() == 2 => format!(
                "map<{}, {}>",
                type_summary(kv[0].data_type()),
                type_summary(kv[1].data_type())
            ),
            _ => "map".to_owned(),
        },
        other => other.to_string().to_lowercase(),
    }
}

fn field_json(f: &Field) -> serde_json::Value {
    serde_json::json!({"name": f.name(), "type": type_summary(f.data_type()), "nullable": f.is_nullable()})
}

/// Runs `seclake inspect`.
pub async fn run(args: InspectArgs, aws: &AwsArgs) -> Result<u8> {
    let (store, bucket, key): (Arc<dyn ObjectStore>, String, String) = if args
        .target
        .starts_with("s3://")
    {
        let (bucket, key) = parse_s3_url(&args.target)
            .filter(|(_, k)| !k.is_empty())
            .ok_or_else(|| {
                Error::input(format!("{} is not an s3://bucket/key URL", args.target))
            })?;
        let config = aws.load().await?;
        (
            s3_store(&config, bucket)?,
            bucket.to_owned(),
            key.to_owned(),
        )
    } else {
        let (root, key) = local_root_and_key(Path::new(&args.target))?;
        if !starts_with_magic(Path::new(&args.target))? {
            return match crate::letters::read(Path::new(&args.target)) {
                Ok(letters) => crate::letters::print(&args.target, &letters, args.rows, args.json),
                Err(why) => Err(Error::input(format!(
                    "{}: not a Parquet file (magic bytes missing) and not a dead-letter file ({why})",
                    args.target
                ))),
            };
        }
        (
            securitylake_core::store::local_store(root)?,
            securitylake_subscriber::LOCAL_BUCKET.to_owned(),
            key,
        )
    };
    if bucket != securitylake_subscriber::LOCAL_BUCKET
        && let Some(letters) = s3_dead_letters(store.as_ref(), &key, &args.target).await?
    {
        return crate::letters::print(&args.target, &letters, args.rows, args.json);
    }
    check_magic(store.as_ref(), &key, &args.target).await?;
    let reader = ObjectReader::open(store, &ObjectRef::new(bucket, key.clone()))
        .await
        .map_err(|e| read_error(&args.target, e))?;
    let info = reader.info().clone();
    let meta = reader.parquet_metadata().clone();
    let file = meta.file_metadata();
    let arrow =
        parquet::arrow::parquet_to_arrow_schema(file.schema_descr(), file.key_value_metadata())
            .map_err(|e| {
                Error::input(format!("{}: unreadable Parquet schema: {e}", args.target))
                    .with_source(e)
            })?;
    let class = info.class_uid.map(|uid| {
        let caption = info
            .ocsf_version
            .as_deref()
            .and_then(|v| schema_for(v).ok())
            .or_else(|| schema_for("1.1.0").ok())
            .and_then(|s| s.class_by_uid(i64::from(uid)))
            .map(|c| c.caption);
        (uid, caption)
    });
    let row_groups: Vec<serde_json::Value> = meta
        .row_groups()
        .iter()
        .map(|rg| {
            serde_json::json!({
                "rows": rg.num_rows(),
                "compressed_bytes": rg.compressed_size(),
                "uncompressed_bytes": rg.total_byte_size(),
            })
        })
        .collect();
    let codecs: std::collections::BTreeSet<String> = meta
        .row_groups()
        .iter()
        .flat_map(|rg| rg.columns().iter().map(|c| c.compression().to_string()))
        .collect();
    if args.json {
        print_json(&serde_json::json!({
            "object": args.target,
            "key": key,
            "bytes": info.object.size,
            "source": info.source.as_ref().map(|s| s.name().to_owned()),
            "class_uid": class.map(|c| c.0),
            "class_name": class.and_then(|c| c.1),
            "ocsf_version": info.ocsf_version,
            "rows": info.rows,
            "row_groups": row_groups,
            "codecs": codecs,
            "created_by": file.created_by(),
            "root": file.schema_descr().root_schema().name(),
            "leaf_columns": file.schema_descr().num_columns(),
            "columns": arrow.fields().iter().map(|f| field_json(f)).collect::<Vec<_>>(),
        }))?;
    } else {
        let mut out = std::io::stdout().lock();
        let io = |e| Error::io("writing output", e);
        writeln!(out, "object:      {}", args.target).map_err(io)?;
        writeln!(out, "bytes:       {}", info.object.size.unwrap_or(0)).map_err(io)?;
        if let Some(source) = &info.source {
            writeln!(out, "source:      {}", source.name()).map_err(io)?;
        }
        match class {
            Some((uid, Some(caption))) => writeln!(out, "class:       {caption} ({uid})"),
            Some((uid, None)) => writeln!(out, "class:       class_uid {uid}"),
            None => writeln!(out, "class:       unknown (no single class_uid)"),
        }
        .map_err(io)?;
        writeln!(
            out,
            "version:     {}",
            info.ocsf_version.as_deref().unwrap_or("unknown")
        )
        .map_err(io)?;
        writeln!(out, "rows:        {}", info.rows).map_err(io)?;
        writeln!(out, "row groups:  {}", info.row_groups).map_err(io)?;
        for (i, rg) in meta.row_groups().iter().enumerate() {
            writeln!(
                out,
                "  #{i}: {} rows, {} bytes compressed, {} uncompressed",
                rg.num_rows(),
                rg.compressed_size(),
                rg.total_byte_size()
            )
            .map_err(io)?;
        }
        writeln!(
            out,
            "codecs:      {}",
            codecs.into_iter().collect::<Vec<_>>().join(", ")
        )
        .map_err(io)?;
        if let Some(by) = file.created_by() {
            writeln!(out, "created by:  {by}").map_err(io)?;
        }
        writeln!(
            out,
            "schema:      {} ({} top-level, {} leaf columns)",
            file.schema_descr().root_schema().name(),
            arrow.fields().len(),
            file.schema_descr().num_columns()
        )
        .map_err(io)?;
        for f in arrow.fields() {
            writeln!(out, "  {:<28} {}", f.name(), type_summary(f.data_type())).map_err(io)?;
        }
    }
    if let Some(limit) = args.rows {
        let mut batches = reader.batches().map_err(|e| read_error(&args.target, e))?;
        let mut left = limit;
        let mut out = std::io::stdout().lock();
        let mut decoding = None;
        while left > 0 {
            let Some(batch) = batches
                .try_next()
                .await
                .map_err(|e| read_error(&args.target, e))?
            else {
                break;
            };
            let batch = batch.slice(0, batch.num_rows().min(left));
            let (rows, how) = batch_json(&info, &batch)?;
            decoding.get_or_insert(how);
            for row in &rows {
                write_json_line(&mut out, row)?;
            }
            left -= rows.len();
        }
        if let Some(how) = decoding {
            eprintln!(
                "seclake inspect: rows decoded {}",
                match how {
                    Decoding::Typed => "as typed events",
                    Decoding::Dynamic => "generically (class or version not compiled in)",
                }
            );
        }
    }
    Ok(EXIT_OK)
}
