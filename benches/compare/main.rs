//! The Rust side of the side-by-side harness (`benches/compare/run.sh`):
//! one subcommand per measured step, each run as its own process so that
//! the harness can take its peak RSS. Every step prints one JSON object.
//!
//! ```text
//! compare gen <auth.log> <lines>            the deterministic sshd log
//! compare ours-write <auth.log> <lake-dir>  log -> mapper (+ encoding, same thread) -> Writer
//!                                           -> local store
//! compare ours-read <lake-dir>              lake Parquet -> typed events (subscriber reader)
//! compare limit-write <auth.log> <out>      arrow-rs writing prebuilt RecordBatches,
//!                                           next to ours encoding the same typed events
//!                                           (both streaming into one file)
//! compare limit-read <file.parquet>         arrow-rs reading RecordBatches (row groups
//!                                           in a part per core, as ours-read)
//! compare schema <out.parquet>              an empty file of the columns every side writes
//!                                           (the Python reference and DuckDB take them)
//! ```
//!
//! Run without a subcommand (as `cargo bench` does) it only prints how to
//! run the harness.

// A bench target: `criterion`-free, but the workspace's docs lint applies.
#![allow(missing_docs)]

mod sshd_log;

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use securitylake::lake::layout::SourceLocation;
use securitylake::lake::object_store::ObjectStore;
use securitylake::lake::store::local_store;
use securitylake::mappers::lines::LineMapping;
use securitylake::mappers::map_thread::MapThread;
use securitylake::mappers::{LinuxMapper, SourceConfig};
use securitylake::model::columnar::{BatchEncoder, ColumnarOptions, RecordBatch};
use securitylake::model::v1_1_0::Event;
use securitylake::model::v1_1_0::events::Authentication;
use securitylake::parquet::{ParquetRules, populated_columns};
use securitylake::source::writer::{EncodedEvents, EventEncoder};
use securitylake::source::{Writer, WriterConfig};
use securitylake::subscriber::ObjectRef;
use securitylake::subscriber::reader::ObjectReader;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Lines per chunk of the mapping thread, whose encoded events go to the
/// writer in one `write_encoded` (what a log tailer would collect between
/// two reads), and events per batch of the limit.
const CHUNK: usize = 10_000;
/// Events the limit step maps before it encodes them: few enough to stay in
/// the core's cache, as in the pipeline, where each event is encoded as soon
/// as it is rendered.
const HOT: usize = 64;

fn main() -> Result<(), BoxError> {
    // As the SDK's binaries do, before any thread allocates (ADR 0314). `SECLAKE_DYNAMIC_MMAP=1`
    // keeps glibc's dynamic threshold, to measure the difference.
    if std::env::var_os("SECLAKE_DYNAMIC_MMAP").is_none() {
        securitylake_alloc::fix_mmap_threshold(securitylake_alloc::DEFAULT_MMAP_THRESHOLD);
    }
    // `cargo bench` passes `--bench`; the subcommands are positional.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["gen", path, lines] => generate(Path::new(path), lines.parse()?),
        ["ours-write", log, lake] => runtime.block_on(ours_write(Path::new(log), Path::new(lake))),
        // The read runs on every core, as a subscriber's workers do: a task per part of an object.
        ["ours-read", lake] => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(ours_read(Path::new(lake))),
        ["limit-write", log, out] => limit_write(Path::new(log), Path::new(out)),
        ["limit-read", file] => limit_read(Path::new(file)),
        ["schema", out] => schema(Path::new(out)),
        [] => {
            println!(
                "compare: the side-by-side harness has its own command: \
                 benches/compare/run.sh [lines ...] (see benches/compare/README.md)"
            );
            Ok(())
        }
        other => Err(format!("unknown arguments {other:?}; see benches/compare/main.rs").into()),
    }
}

/// The mapper of every Rust step, configured like the Python reference
/// (UTC, raw data kept).
fn mapper() -> LinuxMapper {
    LinuxMapper::new(
        SourceConfig::linux()
            .with_reference_ms(sshd_log::REFERENCE_MS)
            .with_log_name("auth.log"),
    )
}

/// Maps `line`, keeping Authentication events; returns how many other
/// events (fallbacks included) it produced.
fn map_line(
    mapper: &mut LinuxMapper,
    line: &str,
    scratch: &mut Vec<Event>,
    out: &mut Vec<Authentication>,
) -> u64 {
    scratch.clear();
    mapper.map_line_into(line, scratch);
    let mut other = 0;
    for event in scratch.drain(..) {
        match event {
            Event::Authentication(auth) => out.push(*auth),
            _ => other += 1,
        }
    }
    other
}

fn generate(path: &Path, lines: u64) -> Result<(), BoxError> {
    let started = Instant::now();
    let mut file = BufWriter::new(std::fs::File::create(path)?);
    let mut rng = sshd_log::Rng::new(0x5EED_55D0);
    let mut line = String::with_capacity(256);
    let mut bytes = 0u64;
    for i in 0..lines {
        line.clear();
        sshd_log::push_line(&mut rng, i, lines, &mut line);
        bytes += line.len() as u64;
        file.write_all(line.as_bytes())?;
    }
    file.flush()?;
    println!(
        "{{\"step\":\"gen\",\"lines\":{lines},\"input_bytes\":{bytes},\"seconds\":{:.6}}}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The columns every side writes: the sshd mapper's declared projection of
/// Authentication (what a source fed by the mapper writes by default).
fn columns() -> Result<ColumnarOptions, BoxError> {
    let projection = mapper()
        .projection(Authentication::CLASS_UID)
        .ok_or("the Linux mapper declares no Authentication projection")?;
    Ok(ColumnarOptions::default().with_projection(projection.paths().iter().cloned()))
}

/// Writes a Parquet file of no rows whose schema is the projected Arrow schema of
/// Authentication ([`columns`]), Arrow metadata kept so that pyarrow reads back the exact
/// Arrow types: the columns the Python reference and the DuckDB peer write.
fn schema(out: &Path) -> Result<(), BoxError> {
    let started = Instant::now();
    let encoder = BatchEncoder::<Authentication>::new(&columns()?)?;
    let schema = encoder.schema().clone();
    let leaves = parquet::arrow::ArrowSchemaConverter::new()
        .convert(&schema)?
        .num_columns();
    let writer = ArrowWriter::try_new(std::fs::File::create(out)?, schema.clone(), None)?;
    writer.close()?;
    println!(
        "{{\"step\":\"schema\",\"top_level_columns\":{},\"leaf_columns\":{leaves},\
         \"seconds\":{:.6}}}",
        schema.fields().len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn writer_config(lake: &Path) -> Result<WriterConfig, BoxError> {
    Ok(WriterConfig::builder()
        .columnar_options(columns()?)
        .location(SourceLocation::parse(
            "s3://aws-security-data-lake-us-east-1-bench/ext/bastion-sshd/1.0/",
        )?)
        .region("us-east-1")
        .account_id("123456789012")
        .store(local_store(lake.join("lake"))?)
        .spool_dir(lake.join("spool"))
        .build()?)
}

/// Our pipeline, default writer settings (fsync of the spool per batch):
/// read the log in chunks of [`CHUNK`] lines, map them on a thread of their
/// own (`MapThread`), which encodes each Authentication event into columns
/// as soon as its line is mapped (`EventEncoder`, the event still in that
/// core's cache; the event is then rendered into again), while this thread
/// hands the previous chunk's encoded events to the writer
/// (`write_encoded`: split by partition, framed, spooled), close. The
/// Parquet encoding runs on the writer's own thread.
async fn ours_write(log: &Path, lake: &Path) -> Result<(), BoxError> {
    let started = Instant::now();
    let mut writer = Writer::<Authentication>::open(writer_config(lake)?).await?;
    let proto = writer.encoder();
    let mut mapper = MapThread::spawn_taking(
        LineMapping::Linux(Box::new(mapper())),
        2,
        move || proto.new_like(),
        |event, encoder: &mut EventEncoder<Authentication>| match event {
            Event::Authentication(auth) => {
                encoder.append(auth);
                true
            }
            _ => false,
        },
    )?;
    let mut reader = BufReader::with_capacity(1 << 20, std::fs::File::open(log)?);
    let mut line = String::with_capacity(256);
    let (mut lines, mut bytes, mut other) = (0u64, 0u64, 0u64);
    let mut chunk = mapper.chunk();
    loop {
        line.clear();
        let n = reader.read_line(&mut line)?;
        if n > 0 {
            lines += 1;
            bytes += n as u64;
            chunk.push_line(&line);
        }
        if chunk.lines() >= CHUNK || (n == 0 && !chunk.is_empty()) {
            if let Some(mut done) = mapper.submit(chunk).await? {
                other += done.mapped.events.len() as u64;
                writer.write_encoded(&done.taken.finish()?).await?;
                mapper.recycle(done);
            }
            chunk = mapper.chunk();
        }
        if n == 0 {
            break;
        }
    }
    while let Some(mut done) = mapper.next().await? {
        other += done.mapped.events.len() as u64;
        writer.write_encoded(&done.taken.finish()?).await?;
        mapper.recycle(done);
    }
    let (_, mut rest) = mapper.finish().await?;
    other += rest.mapped.events.len() as u64;
    let encoded: EncodedEvents<Authentication> = rest.taken.finish()?;
    writer.write_encoded(&encoded).await?;
    // Files sealed while their segment was open (the others were sealed from the spool).
    let sealed_while_open = writer.stats().sealed_while_open;
    let manifest = writer.close().await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{{\"step\":\"ours-write\",\"lines\":{lines},\"input_bytes\":{bytes},\"events\":{},\
         \"other_events\":{other},\"files\":{},\"output_bytes\":{},\
         \"sealed_while_open\":{sealed_while_open},\"seconds\":{seconds:.6}}}",
        manifest.rows(),
        manifest.len(),
        manifest.bytes(),
    );
    Ok(())
}

/// Every Parquet object of the lake through the subscriber's reader into
/// typed events, batch by batch (as a subscriber reads an object), each
/// object split into a part per row group ([`ObjectReader::split_row_groups`]),
/// or into a part of rows per core when it has fewer row groups than cores
/// ([`ObjectReader::split_rows`]), each part read and decoded on a task of its own into one reused vector,
/// as many tasks at a time as cores: a core that is done takes the next part
/// (two parts per object left the read waiting for the slower half).
async fn ours_read(lake: &Path) -> Result<(), BoxError> {
    let started = Instant::now();
    let store: Arc<dyn ObjectStore> = local_store(lake.join("lake"))?;
    let mut objects: Vec<(String, u64)> = store
        .list(None)
        .map_ok(|m| (m.location.to_string(), m.size))
        .try_collect()
        .await?;
    objects.retain(|(key, _)| key.ends_with(".parquet"));
    objects.sort();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut parts = Vec::new();
    for object in &objects {
        let reader = ObjectReader::open(store.clone(), &ObjectRef::new("local", &object.0)).await?;
        let row_groups = reader.info().row_groups;
        if row_groups >= cores {
            parts.extend(reader.split_row_groups(row_groups));
        } else {
            parts.extend(reader.split_rows(cores));
        }
    }
    let bytes: u64 = objects.iter().map(|o| o.1).sum();
    let (mut events, mut raw_bytes) = (0u64, 0u64);
    let mut read = futures::stream::iter(parts)
        .map(|part| tokio::spawn(read_part(part)))
        .buffer_unordered(cores);
    while let Some(part) = read.next().await {
        let (part_events, part_raw) = part??;
        events += part_events;
        raw_bytes += part_raw;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{{\"step\":\"ours-read\",\"files\":{},\"input_bytes\":{bytes},\"events\":{events},\
         \"raw_bytes\":{raw_bytes},\"seconds\":{seconds:.6}}}",
        objects.len()
    );
    Ok(())
}

/// The events of one part of an object, and the bytes of their `raw_data`,
/// decoded batch by batch into one reused vector.
async fn read_part(part: ObjectReader) -> Result<(u64, u64), securitylake::subscriber::Error> {
    let (mut events, mut raw_bytes) = (0u64, 0u64);
    let mut batch: Vec<Authentication> = Vec::new();
    let mut batches = part.typed_batches::<Authentication>()?;
    while batches.next_into(&mut batch).await? {
        events += batch.len() as u64;
        raw_bytes += batch
            .iter()
            .map(|e| e.raw_data.as_deref().map_or(0, str::len) as u64)
            .sum::<u64>();
    }
    Ok((events, raw_bytes))
}

/// The limit of encoding: the log is mapped (untimed) [`HOT`] events at a
/// time, which our `BatchEncoder` encodes at once (timed), and each chunk of
/// [`CHUNK`] events is finished and written into one streaming file (timed;
/// with the encoding, `typed_seconds`); arrow-rs alone writes the same,
/// now prebuilt, batch into another file with the same writer properties
/// (timed, `seconds`). The two writes of a chunk take turns at going first.
fn limit_write(log: &Path, out: &Path) -> Result<(), BoxError> {
    let options = columns()?;
    let mut encoder = BatchEncoder::<Authentication>::new(&options)?;
    let writer_options = || {
        ArrowWriterOptions::new()
            .with_properties(ParquetRules::new().writer_properties())
            .with_schema_root("authentication".to_owned())
            .with_skip_arrow_metadata(true)
    };
    let create = |path: &Path, encoder: &BatchEncoder<Authentication>| {
        ArrowWriter::try_new_with_options(
            BufWriter::new(std::fs::File::create(path)?),
            encoder.schema().clone(),
            writer_options(),
        )
    };
    // Like for like: both sides stream every chunk into one file with the same writer
    // properties. Ours encodes the typed events (`BatchEncoder`) where the pipeline does, as
    // they are made: each group of [`HOT`] events is encoded (timed) right after it is mapped
    // (untimed), still in this core's cache; every [`CHUNK`] events the batch is finished and
    // written (timed). The limit writes the same batch, prebuilt, into its own file.
    let typed_out = out.with_extension("typed.parquet");
    let mut file = create(out, &encoder)?;
    let mut typed_file = create(&typed_out, &encoder)?;
    let mut mapper = mapper();
    let mut reader = BufReader::with_capacity(1 << 20, std::fs::File::open(log)?);
    let mut line = String::with_capacity(256);
    let mut scratch = Vec::with_capacity(4);
    let mut events = Vec::with_capacity(HOT);
    let (mut total, mut input_bytes) = (0u64, 0u64);
    let (mut limit_time, mut typed_time) = (Duration::ZERO, Duration::ZERO);
    let mut chunks = 0u64;
    loop {
        line.clear();
        let n = reader.read_line(&mut line)?;
        if n > 0 {
            input_bytes += n as u64;
            map_line(&mut mapper, &line, &mut scratch, &mut events);
        }
        if events.len() >= HOT || n == 0 {
            let t = Instant::now();
            events.iter().for_each(|e| encoder.append(e));
            typed_time += t.elapsed();
            total += events.len() as u64;
            events.clear();
        }
        if encoder.len() >= CHUNK || (n == 0 && !encoder.is_empty()) {
            let t = Instant::now();
            let batch: RecordBatch = encoder.finish()?;
            typed_time += t.elapsed();
            // The second write of a batch finds it warmer in the caches (about 4% faster here):
            // the two sides take turns at going first.
            let limit_first = chunks % 2 == 1;
            chunks += 1;
            for typed in [!limit_first, limit_first] {
                let (target, time) = if typed {
                    (&mut typed_file, &mut typed_time)
                } else {
                    (&mut file, &mut limit_time)
                };
                let t = Instant::now();
                ParquetRules::new().write_batch(target, &batch)?;
                *time += t.elapsed();
            }
        }
        if n == 0 {
            break;
        }
    }
    let t = Instant::now();
    file.into_inner()?.flush()?;
    limit_time += t.elapsed();
    let t = Instant::now();
    typed_file.into_inner()?.flush()?;
    typed_time += t.elapsed();
    let output_bytes = std::fs::metadata(out)?.len();
    let typed_bytes = std::fs::metadata(&typed_out)?.len();
    std::fs::remove_file(&typed_out)?;
    println!(
        "{{\"step\":\"limit-write\",\"events\":{total},\"input_bytes\":{input_bytes},\
         \"output_bytes\":{output_bytes},\"seconds\":{:.6},\"typed_seconds\":{:.6},\
         \"typed_output_bytes\":{typed_bytes}}}",
        limit_time.as_secs_f64(),
        typed_time.as_secs_f64(),
    );
    Ok(())
}

/// The limit of decoding: arrow-rs alone reads the file into `RecordBatch`es
/// (the populated columns, as our reader does).
fn limit_read(path: &Path) -> Result<(), BoxError> {
    let started = Instant::now();
    let row_groups = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path)?)?
        .metadata()
        .num_row_groups();
    // Like ours: the row groups in as many parts as cores, each part read on a thread of its own.
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let per_part = row_groups.div_ceil(cores).max(1);
    let events = std::thread::scope(|scope| {
        let parts: Vec<_> = (0..row_groups)
            .step_by(per_part)
            .map(|first| {
                scope.spawn(move || -> Result<u64, BoxError> {
                    let file = std::fs::File::open(path)?;
                    let builder = ParquetRecordBatchReaderBuilder::try_new(file)?;
                    // The columns that hold values, as our reader projects them.
                    let projection = populated_columns(builder.metadata());
                    let groups = (first..(first + per_part).min(row_groups)).collect();
                    let reader = builder
                        .with_projection(projection)
                        .with_row_groups(groups)
                        .build()?;
                    let mut events = 0u64;
                    for batch in reader {
                        events += batch?.num_rows() as u64;
                    }
                    Ok(events)
                })
            })
            .collect();
        parts.into_iter().try_fold(0u64, |sum, part| {
            let events = part.join().map_err(|_| "a limit-read thread panicked")??;
            Ok::<_, BoxError>(sum + events)
        })
    })?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{{\"step\":\"limit-read\",\"events\":{events},\"input_bytes\":{},\"seconds\":{seconds:.6}}}",
        std::fs::metadata(path)?.len()
    );
    Ok(())
}
