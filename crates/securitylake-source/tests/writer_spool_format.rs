//! The spool's file formats across versions: write-ahead files of format 1
//! (events as JSON, written before the binary records of format 2) and of
//! format 3 (columnar frames whose buffers Arrow compressed, before the one
//! LZ4 block per frame of format 4) are recovered by an upgraded writer,
//! sealed files keep their format, and a damaged record is a typed integrity
//! error.

mod writer_support;

use std::path::Path;
use std::sync::Arc;

use securitylake_core::object_store::ObjectStore;
use securitylake_core::store::local_store;
use securitylake_source::writer::ManualClock;
use securitylake_source::{ErrorKind, Writer, WriterConfig};
use writer_support::*;

use ocsf_model::v1_1_0::events::Authentication;

fn config(
    store: Arc<dyn ObjectStore>,
    spool: &Path,
    clock: &ManualClock,
) -> BoxResult<WriterConfig> {
    Ok(writer_builder(store, spool, clock).build()?)
}

/// Appends one record (`[u32 LE length][u32 LE CRC-32][payload]`).
fn record(out: &mut Vec<u8>, payload: &[u8]) {
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// The payloads of a spool file's records.
fn records_of(wal: &[u8]) -> BoxResult<Vec<Vec<u8>>> {
    let mut records = Vec::new();
    let mut at = 0;
    while at + 8 <= wal.len() {
        let len = u32::from_le_bytes(wal[at..at + 4].try_into()?) as usize;
        records.push(wal[at + 8..at + 8 + len].to_vec());
        at += 8 + len;
    }
    Ok(records)
}

/// The lake holds every `expected` event exactly once, equal to it.
async fn assert_lake_holds(
    store: &dyn ObjectStore,
    mut expected: Vec<Authentication>,
) -> TestResult {
    let lake = read_lake(store).await?;
    let counts = seq_counts(&lake)?;
    assert_eq!(counts.len(), expected.len());
    assert!(counts.values().all(|&c| c == 1), "every event exactly once");
    let mut written: Vec<Authentication> = lake.into_values().flat_map(|(_, e)| e).collect();
    written.sort_by_key(seq_of);
    expected.sort_by_key(seq_of);
    assert!(
        written == expected,
        "the recovered events are the spooled ones"
    );
    Ok(())
}

/// The header record of a write-ahead file, as every format writes it.
fn header(format: u32, day: &str) -> Vec<u8> {
    format!(
        "{{\"format\":{format},\"class_uid\":3002,\"class_name\":\"authentication\",\
         \"partition\":\"region=us-east-1/accountId={ACCOUNT}/eventDay={day}/\"}}"
    )
    .into_bytes()
}

#[tokio::test]
async fn a_format_1_json_spool_is_recovered_after_an_upgrade() -> TestResult {
    let lake = tempfile::tempdir()?;
    let spool = tempfile::tempdir()?;
    let store: Arc<dyn ObjectStore> = local_store(lake.path())?;
    let clock = ManualClock::new(LEAP_DAY + 3 * DAY);
    // What a writer of format 1 left: two open segments (two days), events
    // out of time order, one file with a torn tail (a write that never
    // returned).
    let mut expected = Vec::new();
    for (id, day, base) in [
        (1u64, "20240229", LEAP_DAY),
        (3, "20240301", LEAP_DAY + DAY),
    ] {
        let mut wal = Vec::new();
        record(&mut wal, &header(1, day));
        for i in 0..50u64 {
            let seq = id * 1_000 + i;
            let mut event = event(base + ((i * 7_919) % 50) as i64 * 1_000, seq, 40);
            let mut unmapped = serde_json::Map::new();
            // String values: the lake's Map column gives other values back as
            // their JSON text (the record formats are tested with every JSON
            // type in the crate's unit tests).
            unmapped.insert("era".into(), "json \"spool\"\n".into());
            event.unmapped = Some(unmapped);
            record(&mut wal, &serde_json::to_vec(&event)?);
            expected.push(event);
        }
        if id == 3 {
            let mut torn = Vec::new();
            record(&mut torn, &serde_json::to_vec(&event(base, 99_999, 0))?);
            wal.extend_from_slice(&torn[..torn.len() - 3]);
        }
        std::fs::write(spool.path().join(format!("{id:020}.wal")), wal)?;
    }

    let mut writer =
        Writer::<Authentication>::open(config(store.clone(), spool.path(), &clock)?).await?;
    let stats = writer.stats();
    assert_eq!((stats.segments_recovered, stats.events_recovered), (2, 100));
    // The upgraded writer goes on in the same spool, in the new format.
    for i in 0..20u64 {
        let event = event(LEAP_DAY + i as i64, 5_000 + i, 10);
        writer.write(&event.clone()).await?;
        expected.push(event);
    }
    let manifest = writer.close().await?;
    assert_eq!(manifest.rows(), 100 + 20);

    assert_lake_holds(store.as_ref(), expected).await
}

#[tokio::test]
async fn a_damaged_record_is_an_integrity_error() -> TestResult {
    let lake = tempfile::tempdir()?;
    let store: Arc<dyn ObjectStore> = local_store(lake.path())?;
    let clock = ManualClock::new(LEAP_DAY + 3 * DAY);
    let (schema, frame) = {
        // The records as the current writer writes them: spool one event,
        // drop the writer before it seals, and take the schema and the frame
        // records from the file.
        let spool = tempfile::tempdir()?;
        let mut writer =
            Writer::<Authentication>::open(config(store.clone(), spool.path(), &clock)?).await?;
        writer.write(&event(LEAP_DAY, 1, 0)).await?;
        drop(writer);
        let records = records_of(&std::fs::read(spool.path().join(format!("{:020}.wal", 1)))?)?;
        assert_eq!(records.len(), 3, "header, schema, one frame");
        assert!(
            std::str::from_utf8(&records[0])?.contains("\"format\":4"),
            "new files are of format 4"
        );
        (records[1].clone(), records[2].clone())
    };
    // Each payload has a valid CRC, so only decoding can tell.
    let mut garbage_body = frame[..64].to_vec();
    garbage_body.extend_from_slice(&[0xc1; 40]);
    let cases: [(u32, Vec<Vec<u8>>); 7] = [
        (4, vec![schema.clone(), frame[..frame.len() - 16].to_vec()]),
        (4, vec![schema.clone(), garbage_body.clone()]),
        (4, vec![schema.clone(), vec![1, 2, 3]]),
        (3, vec![schema.clone(), garbage_body]),
        (2, vec![b"{\"time\":1}".to_vec()]),
        (2, vec![vec![0xc1]]),
        (
            1,
            vec![serde_json::to_vec(&event(LEAP_DAY, 2, 0))?, frame.clone()],
        ),
    ];
    for (format, payloads) in cases {
        let spool = tempfile::tempdir()?;
        let mut wal = Vec::new();
        record(&mut wal, &header(format, "20240229"));
        for payload in &payloads {
            record(&mut wal, payload);
        }
        std::fs::write(spool.path().join(format!("{:020}.wal", 1)), wal)?;
        let opened =
            Writer::<Authentication>::open(config(store.clone(), spool.path(), &clock)?).await;
        assert_eq!(
            opened.err().map(|e| e.kind()),
            Some(ErrorKind::Integrity),
            "format {format}"
        );
        // Nothing was lost: the file is still there for inspection.
        assert!(spool.path().join(format!("{:020}.wal", 1)).exists());
    }
    // A format this writer does not know is refused as configuration.
    let spool = tempfile::tempdir()?;
    let mut wal = Vec::new();
    record(&mut wal, &header(5, "20240229"));
    record(&mut wal, &frame);
    std::fs::write(spool.path().join(format!("{:020}.wal", 1)), wal)?;
    let opened = Writer::<Authentication>::open(config(store.clone(), spool.path(), &clock)?).await;
    assert_eq!(opened.err().map(|e| e.kind()), Some(ErrorKind::Config));
    Ok(())
}

/// The frame of format 3 holding the batch of a format-4 `frame`: the frame
/// header, then the batch's IPC message with each buffer LZ4-compressed by
/// Arrow (what the previous version wrote).
fn format_3_frame(schema: &[u8], frame: &[u8]) -> BoxResult<Vec<u8>> {
    use arrow_ipc::writer::{
        DictionaryTracker, IpcDataGenerator, IpcWriteContext, IpcWriteOptions, write_message,
    };
    // Format 4's body: "SLZ4", the message's length (u64 LE), one LZ4 block.
    let body = &frame[64..];
    assert_eq!(&body[..4], b"SLZ4");
    let length = usize::try_from(u64::from_le_bytes(body[4..12].try_into()?))?;
    let message = lz4_flex::block::decompress(&body[12..], length)?;
    let mut reader =
        arrow_ipc::reader::StreamReader::try_new(std::io::Read::chain(schema, &message[..]), None)?;
    let batch = reader.next().ok_or("a frame holds a batch")??;
    let options = IpcWriteOptions::try_new(8, false, arrow_ipc::MetadataVersion::V5)?
        .try_with_compression(Some(arrow_ipc::CompressionType::LZ4_FRAME))?;
    let mut out = frame[..64].to_vec();
    let (dictionaries, encoded) = IpcDataGenerator::default().encode(
        &batch,
        &mut DictionaryTracker::new(false),
        &options,
        &mut IpcWriteContext::default(),
    )?;
    assert!(dictionaries.is_empty());
    write_message(&mut out, encoded, &options)?;
    Ok(out)
}

/// A spool of format 3 (columnar frames with Arrow-compressed buffers) left
/// by the previous version is recovered: its events reach the lake once, and
/// the upgraded writer goes on in format 4.
#[tokio::test]
async fn a_format_3_spool_is_recovered_after_an_upgrade() -> TestResult {
    let lake = tempfile::tempdir()?;
    let store: Arc<dyn ObjectStore> = local_store(lake.path())?;
    let clock = ManualClock::new(LEAP_DAY + 3 * DAY);
    // This version's records of 30 events: spool them, drop the writer before
    // it seals, and take the file's records.
    let mut expected = Vec::new();
    let records = {
        let spool = tempfile::tempdir()?;
        let mut writer =
            Writer::<Authentication>::open(config(store.clone(), spool.path(), &clock)?).await?;
        for i in 0..30u64 {
            let event = event(LEAP_DAY + ((i * 7) % 30) as i64 * 1_000, 7_000 + i, 40);
            writer.write(&event).await?;
            expected.push(event);
        }
        writer.sync()?;
        drop(writer);
        records_of(&std::fs::read(spool.path().join(format!("{:020}.wal", 1)))?)?
    };
    assert!(records.len() >= 3, "header, schema, frames");
    let schema = &records[1];
    let spool = tempfile::tempdir()?;
    let mut wal = Vec::new();
    record(&mut wal, &header(3, "20240229"));
    record(&mut wal, schema);
    for frame in &records[2..] {
        let old = format_3_frame(schema, frame)?;
        assert_ne!(&old[64..68], b"SLZ4");
        record(&mut wal, &old);
    }
    std::fs::write(spool.path().join(format!("{:020}.wal", 1)), wal)?;

    let mut writer =
        Writer::<Authentication>::open(config(store.clone(), spool.path(), &clock)?).await?;
    let stats = writer.stats();
    assert_eq!((stats.segments_recovered, stats.events_recovered), (1, 30));
    for i in 0..5u64 {
        let event = event(LEAP_DAY + i as i64, 8_000 + i, 10);
        writer.write(&event).await?;
        expected.push(event);
    }
    let manifest = writer.close().await?;
    assert_eq!(manifest.rows(), 35);
    assert_lake_holds(store.as_ref(), expected).await
}

#[tokio::test]
async fn sealed_files_keep_format_1_and_recover() -> TestResult {
    let lake = tempfile::tempdir()?;
    let spool = tempfile::tempdir()?;
    let local: Arc<dyn ObjectStore> = local_store(lake.path())?;
    let flaky = Arc::new(FlakyStore::new(local.clone()));
    let clock = ManualClock::new(LEAP_DAY + 3 * DAY);
    let config = config(flaky.clone(), spool.path(), &clock)?;
    let mut writer = Writer::<Authentication>::open(config.clone()).await?;
    for i in 0..30u64 {
        writer.write(&event(LEAP_DAY + i as i64, i, 20)).await?;
    }
    // The upload fails: the segment stays sealed in the spool.
    flaky.inject(&[PutFault::Denied]);
    assert!(writer.flush().await.is_err());
    drop(writer);
    let sealed: Vec<_> = std::fs::read_dir(spool.path())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "sealed"))
        .collect();
    assert_eq!(sealed.len(), 1);
    let data = std::fs::read(&sealed[0])?;
    // Parquet bytes, the JSON header, its length and the magic, as before.
    assert_eq!(&data[..4], b"PAR1");
    assert_eq!(&data[data.len() - 8..], b"SLSEAL02");
    let len_at = data.len() - 12;
    let header_len = u32::from_le_bytes(data[len_at..len_at + 4].try_into()?) as usize;
    let header: serde_json::Value = serde_json::from_slice(&data[len_at - header_len..len_at])?;
    assert_eq!(header["format"], 1);
    assert_eq!(header["rows"], 30);

    let writer = Writer::<Authentication>::open(config).await?;
    assert_eq!(writer.stats().events_recovered, 30);
    assert_eq!(writer.close().await?.rows(), 30);
    let counts = seq_counts(&read_lake(local.as_ref()).await?)?;
    assert_eq!(counts.len(), 30);
    Ok(())
}
