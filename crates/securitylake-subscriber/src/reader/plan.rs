//! The plan of a read: which row groups, or windows of rows of the large ones and of those a
//! reader reads only a range of rows of, are read, each by a stream of its own (see
//! [`ROW_GROUP_WINDOW_BYTES`](super::ROW_GROUP_WINDOW_BYTES) and
//! [`ObjectReader::split_rows`](super::ObjectReader::split_rows)).

use std::ops::Range;
use std::sync::Arc;

use futures::StreamExt;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, RowSelection, RowSelector,
};
use parquet::arrow::async_reader::{AsyncFileReader, ParquetRecordBatchStreamBuilder};
use parquet::file::metadata::page_index::PageIndexBuilder;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataBuilder};
use parquet::file::page_index::index_reader::decode_offset_index;

use super::{BatchStream, COALESCE_GAP, StoreFileReader};
use crate::error::{Error, Result};

/// The columns, batch size and units of one windowed read of an object.
pub(crate) struct Plan {
    file: StoreFileReader,
    metadata: ArrowReaderMetadata,
    projection: ProjectionMask,
    batch_size: usize,
    /// The units of reading, in the object's order.
    windows: Vec<Window>,
}

impl Plan {
    /// The plan of reading `projection` of the `units` (row groups or ranges of their rows, in
    /// the object's order) of `file` in batches of `batch_size` rows: every unit whole, except
    /// those whose projected column chunks exceed `window_bytes`, which are read in windows of
    /// rows. The pages of the windows and of the ranges are located with the offset index of
    /// the projected columns (loaded here, in coalesced range requests, for those row groups
    /// only), so that a range reads its own pages and not the whole row group's.
    pub(crate) async fn new(
        file: StoreFileReader,
        metadata: ArrowReaderMetadata,
        projection: ProjectionMask,
        units: Vec<Window>,
        batch_size: usize,
        window_bytes: u64,
    ) -> Result<Self> {
        let mut plan = Self {
            file,
            metadata,
            projection,
            batch_size,
            windows: Vec::new(),
        };
        let meta = plan.metadata.metadata().clone();
        let leaves = leaves(&meta, &plan.projection);
        let mut indexed: Vec<usize> = units
            .iter()
            .filter(|u| {
                u.rows.is_some() || projected_bytes(&meta, u.row_group, &leaves) > window_bytes
            })
            .map(|u| u.row_group)
            .collect();
        indexed.dedup();
        plan.file.coalesce_gap = (window_bytes / 64).min(COALESCE_GAP);
        plan.metadata =
            with_offset_index(&mut plan.file.clone(), &plan.metadata, &leaves, &indexed).await?;
        plan.windows = windows(plan.metadata.metadata(), &leaves, &units, window_bytes);
        Ok(plan)
    }

    /// The batches of one window.
    fn window_stream(&self, window: &Window) -> BatchStream {
        let mut builder = ParquetRecordBatchStreamBuilder::new_with_metadata(
            self.file.clone(),
            self.metadata.clone(),
        )
        .with_batch_size(self.batch_size)
        .with_projection(self.projection.clone())
        .with_row_groups(vec![window.row_group]);
        if let Some(rows) = &window.rows {
            builder = builder.with_row_selection(RowSelection::from(vec![
                RowSelector::skip(rows.start),
                RowSelector::select(rows.end - rows.start),
            ]));
        }
        match builder.build() {
            Ok(stream) => BatchStream::from_stream(stream.map(|r| r.map_err(Error::from))),
            Err(e) => BatchStream::from_stream(futures::stream::once(futures::future::ready(Err(
                Error::from(e),
            )))),
        }
    }

    /// The batches of every window, one after the other.
    pub(crate) fn into_stream(mut self) -> BatchStream {
        let windows = std::mem::take(&mut self.windows);
        BatchStream::from_stream(
            futures::stream::iter(windows)
                .map(move |window| self.window_stream(&window))
                .flatten(),
        )
    }
}

/// One unit of reading: a row group, or a range of its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Window {
    /// The row group's index in the object.
    pub(crate) row_group: usize,
    /// The rows read, counted from the row group's first; `None` for all of them.
    pub(crate) rows: Option<Range<usize>>,
}

impl Window {
    /// All the rows of `row_group`.
    pub(crate) fn whole(row_group: usize) -> Self {
        Self {
            row_group,
            rows: None,
        }
    }

    /// The rows read, counted from the row group's first, of a row group of `rows` rows.
    pub(crate) fn range(&self, rows: usize) -> Range<usize> {
        self.rows.clone().unwrap_or(0..rows)
    }
}

/// The leaf columns `projection` reads.
fn leaves(meta: &ParquetMetaData, projection: &ProjectionMask) -> Vec<usize> {
    (0..meta.file_metadata().schema_descr().num_columns())
        .filter(|&i| projection.leaf_included(i))
        .collect()
}

/// Whether one of `row_groups` has column chunks read by `projection` exceed `window_bytes`: such row
/// groups are read in windows, after loading their offset index.
pub(crate) fn has_large_row_groups(
    meta: &ParquetMetaData,
    projection: &ProjectionMask,
    row_groups: &[usize],
    window_bytes: u64,
) -> bool {
    let leaves = leaves(meta, projection);
    row_groups
        .iter()
        .any(|&rg| projected_bytes(meta, rg, &leaves) > window_bytes)
}

/// The compressed bytes of the projected column chunks of row group `rg`.
fn projected_bytes(meta: &ParquetMetaData, rg: usize, leaves: &[usize]) -> u64 {
    let group = meta.row_group(rg);
    leaves
        .iter()
        .map(|&c| u64::try_from(group.column(c).compressed_size()).unwrap_or(0))
        .sum()
}

/// `metadata` with the offset index of the `leaves` of the row groups `large` (and of no other
/// column chunk), read in coalesced range requests.
async fn with_offset_index(
    file: &mut StoreFileReader,
    metadata: &ArrowReaderMetadata,
    leaves: &[usize],
    large: &[usize],
) -> Result<ArrowReaderMetadata> {
    let meta = metadata.metadata();
    let mut slots = Vec::new();
    let mut ranges = Vec::new();
    for &rg in large {
        for &col in leaves {
            if let Some(range) = meta.row_group(rg).column(col).offset_index_range() {
                slots.push((rg, col));
                ranges.push(range);
            }
        }
    }
    if ranges.is_empty() {
        return Ok(metadata.clone());
    }
    let fetched = file.get_byte_ranges(ranges).await?;
    let columns = meta.file_metadata().schema_descr().num_columns();
    let mut index = PageIndexBuilder::new(meta.num_row_groups(), columns);
    for ((rg, col), bytes) in slots.into_iter().zip(fetched) {
        index.put_offset_index(decode_offset_index(&bytes)?, rg, col);
    }
    let with_index = ParquetMetaDataBuilder::new_from_metadata(meta.as_ref().clone())
        .set_page_index(Some(Arc::new(index.build())))
        .build();
    let options = ArrowReaderOptions::new().with_schema(metadata.schema().clone());
    Ok(ArrowReaderMetadata::try_new(Arc::new(with_index), options)?)
}

/// The reading plan: each of `units` as it is, except the rows of those whose projected chunks
/// (in proportion to the rows read) exceed the window, which are split into ranges of rows
/// when the offset index says where their pages are.
fn windows(
    meta: &ParquetMetaData,
    leaves: &[usize],
    units: &[Window],
    window_bytes: u64,
) -> Vec<Window> {
    let mut out = Vec::new();
    for unit in units {
        let rg = unit.row_group;
        let group_rows = usize::try_from(meta.row_group(rg).num_rows()).unwrap_or(0);
        let range = unit.range(group_rows);
        let rows = range.len();
        let bytes = u128::from(projected_bytes(meta, rg, leaves)) * rows as u128
            / group_rows.max(1) as u128;
        let parts = usize::try_from(bytes.div_ceil(u128::from(window_bytes.max(1))))
            .unwrap_or(usize::MAX)
            .min(rows);
        let indexed = meta
            .page_index()
            .is_some_and(|index| leaves.iter().all(|&c| index.offset_index(rg, c).is_some()));
        if !indexed || parts <= 1 {
            out.push(unit.clone());
            continue;
        }
        let per_part = rows.div_ceil(parts);
        let mut start = range.start;
        while start < range.end {
            let end = (start + per_part).min(range.end);
            out.push(Window {
                row_group: rg,
                rows: Some(start..end),
            });
            start = end;
        }
    }
    out
}
