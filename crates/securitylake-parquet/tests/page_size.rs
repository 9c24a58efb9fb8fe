//! Every data page that `write_parquet` writes stays within Security Lake's 1 MiB
//! (uncompressed), whatever the size of the string values: walked page by page with the
//! `parquet` crate's low-level page reader.
//!
//! Regression: with the former settings (page limit 960 KiB, 20,000 rows per page) the same
//! events gave data pages of up to 1,975,767 bytes (400–2,000-byte messages), 1,613,411
//! (100–300) and 2,015,177 (4,000–40,000); see `docs/adr/0020-parquet-rule-book.md`.

use bytes::Bytes;
use ocsf_model::columnar::ColumnarOptions;
use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
use parquet::basic::PageType;
use parquet::file::reader::{FileReader, SerializedFileReader};
use securitylake_parquet::{ParquetRules, write_parquet};

/// A deterministic pseudo-random generator (xorshift), so the test needs no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn between(&mut self, low: usize, high: usize) -> usize {
        low + (self.next() % (high - low + 1) as u64) as usize
    }

    /// Printable text that does not repeat (dictionary encoding cannot fold it).
    fn text(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b' ' + (self.next() % 95) as u8))
            .collect()
    }
}

fn events(count: usize, message: (usize, usize), seed: u64) -> Vec<Authentication> {
    events_with(count, seed, |rng, _| rng.between(message.0, message.1))
}

fn events_with(
    count: usize,
    seed: u64,
    mut length: impl FnMut(&mut Rng, usize) -> usize,
) -> Vec<Authentication> {
    let mut rng = Rng(seed);
    (0..count)
        .map(|i| {
            let mut product = Product::default();
            product.name = Some("sshd".into());
            let mut user = User::default();
            user.name = Some(format!("user-{}", rng.between(0, 50)));
            let mut event = Authentication::new(
                AuthenticationActivityId::Logon,
                Metadata::new(product, "1.1.0".into()),
                SeverityId::Low,
                1_709_164_800_000 + i as i64,
                user,
            );
            let len = length(&mut rng, i);
            event.message = Some(rng.text(len));
            event.raw_data = Some(rng.text(len / 2));
            event
        })
        .collect()
}

/// Every page of `file`: (column path, page type, uncompressed size).
fn pages(file: Vec<u8>) -> Vec<(String, PageType, usize)> {
    let reader = SerializedFileReader::new(Bytes::from(file)).expect("footer");
    let meta = reader.metadata();
    let mut out = Vec::new();
    for rg in 0..meta.num_row_groups() {
        let row_group = reader.get_row_group(rg).expect("row group");
        for col in 0..meta.row_group(rg).num_columns() {
            let path = meta.row_group(rg).column(col).column_path().string();
            let mut pages = row_group.get_column_page_reader(col).expect("pages");
            while let Some(page) = pages.get_next_page().expect("page") {
                out.push((path.clone(), page.page_type(), page.buffer().len()));
            }
        }
    }
    out
}

fn assert_pages_within_limit(file: Vec<u8>, what: &str) -> usize {
    let limit = ParquetRules::MAX_DATA_PAGE_BYTES;
    let pages = pages(file);
    let mut largest = 0;
    for (path, kind, size) in &pages {
        if matches!(kind, PageType::DATA_PAGE | PageType::DATA_PAGE_V2) {
            assert!(
                *size <= limit,
                "{what}: a data page of `{path}` is {size} bytes uncompressed, over {limit}"
            );
            largest = largest.max(*size);
        }
    }
    assert!(pages.len() > 10, "{what}: {} pages", pages.len());
    eprintln!(
        "{what}: {} pages, largest data page {largest} bytes",
        pages.len()
    );
    largest
}

#[test]
fn pages_of_long_strings_stay_within_one_mebibyte() {
    let options = ColumnarOptions::default();
    // The reported case: 30,000 events, 400–2,000-byte messages.
    let file = write_parquet(&events(30_000, (400, 2_000), 7), &options).expect("write");
    let largest = assert_pages_within_limit(file, "400-2000 byte messages");
    // The page holds most of a mebibyte: the limit bounds pages, it does not make them tiny.
    assert!(largest > 256 * 1024, "largest page {largest}");
    // Shorter and longer values.
    for (range, count) in [((100, 300), 20_000), ((4_000, 40_000), 1_500)] {
        let file = write_parquet(&events(count, range, 11), &options).expect("write");
        assert_pages_within_limit(file, &format!("{range:?} byte messages"));
    }
    // Skewed: runs of short values, then runs of long ones (parquet-rs sizes a mini-batch from
    // the values at its start).
    let skewed = events_with(20_000, 3, |rng, i| {
        if (i / 700) % 2 == 0 {
            rng.between(10, 50)
        } else {
            rng.between(1_500, 2_000)
        }
    });
    let file = write_parquet(&skewed, &options).expect("write");
    assert_pages_within_limit(file, "skewed messages");
}

/// The checker of the rule book agrees with the page walk above: the files written under the
/// rules pass it, and a file written with a page limit past the rule is reported.
#[test]
fn the_rule_book_check_passes_written_files_and_reports_oversized_pages() {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    use securitylake_parquet::check::{Rule, Severity};

    let rules = ParquetRules::new();
    let written = write_parquet(
        &events(30_000, (400, 2_000), 7),
        &ColumnarOptions::default(),
    )
    .expect("write");
    let check = rules.check(written.into(), None);
    assert!(check.violations.is_empty(), "{:?}", check.violations);
    assert_eq!(check.rows, 30_000);
    assert_eq!(check.classes.iter().copied().collect::<Vec<_>>(), [3002]);

    // 3,000 rows of 1,000 bytes in one page, and the times out of order.
    let time: ArrayRef = Arc::new(Int64Array::from_iter_values((0..3_000).rev()));
    let message: ArrayRef = Arc::new(StringArray::from_iter_values(
        (0..3_000).map(|i| format!("{i:01000}")),
    ));
    let batch = RecordBatch::try_from_iter([("time", time), ("message", message)]).expect("batch");
    let properties = WriterProperties::builder()
        .set_dictionary_enabled(false)
        .set_data_page_size_limit(64 * 1024 * 1024)
        .set_data_page_row_count_limit(1_000_000)
        .set_write_batch_size(1_000_000)
        .build();
    let mut oversized = Vec::new();
    let mut writer =
        ArrowWriter::try_new(&mut oversized, batch.schema(), Some(properties)).expect("writer");
    writer.write(&batch).expect("write");
    writer.close().expect("close");
    let check = rules.check(oversized.into(), Some(1_000..2_000));
    let rules_broken: Vec<Rule> = check.violations.iter().map(|v| v.rule).collect();
    assert!(rules_broken.contains(&Rule::PageSize), "{rules_broken:?}");
    assert!(rules_broken.contains(&Rule::Unsorted), "{rules_broken:?}");
    assert!(!check.is_conforming());
    assert_eq!(Rule::PageSize.severity(), Severity::Error);
    assert_eq!(check.outside_window.0, 2_000);
    assert_eq!(check.time_range, Some((0, 2_999)));
}
