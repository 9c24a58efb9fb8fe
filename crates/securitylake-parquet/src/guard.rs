//! Validation of the sizes a Parquet file claims, before the `parquet` crate trusts them.
//!
//! The `parquet` reader sizes buffers from counts stored in the file: a dictionary page's
//! `num_values` becomes the length of a vector of decoded values, and a page's
//! `uncompressed_page_size` becomes the capacity of the decompression buffer. A corrupt file of a
//! few kilobytes can claim billions of either (the `parquet_decode` fuzz target found a 6 KB file
//! whose dictionary page claims ~640 million values, a 2.5 GB allocation). [`validate_pages`]
//! walks the page headers of every column chunk once, before decoding, and rejects claims the
//! bytes cannot back:
//!
//! - every column chunk lies inside the file, and every page inside its column chunk;
//! - a page's uncompressed size is at most [`MAX_COMPRESSION_RATIO`] times its compressed size
//!   or a fixed allowance ([`DATA_PAGE_ALLOWANCE`], [`DICTIONARY_PAGE_ALLOWANCE`]), whichever is
//!   larger, and at most its compressed size when the page is stored uncompressed;
//! - a dictionary page declares no more values than its uncompressed bytes can hold at the
//!   smallest encoded width of the column's physical type.
//!
//! With these checks the memory the `parquet` reader sizes from page headers is bounded by a
//! constant factor of the input's size plus the fixed allowance per page. The walk reads only
//! page headers (a few bytes per page) and allocates nothing.
//!
//! Not covered: counts inside the (compressed) page data, such as the value count of a
//! `DELTA_LENGTH_BYTE_ARRAY` page, which checking would require decompressing every page.

use parquet::basic::{Compression, Type as PhysicalType};
use parquet::file::metadata::{ColumnChunkMetaData, ParquetMetaData};

use ocsf_model::columnar::ColumnarError;

/// The largest ratio of a page's uncompressed size to its compressed size that is accepted.
///
/// Real pages stay far below it: the pages of the Security Lake sample files compress at most
/// 3:1 and those of this crate's own writer at most about 26:1 (60,000 identical rows), because
/// dictionary and run-length encoding remove most redundancy before the codec sees it. GZIP
/// (DEFLATE) cannot exceed about 1032:1 at all.
pub const MAX_COMPRESSION_RATIO: u64 = 1024;

/// The uncompressed size a data page may have whatever its compressed size: a page of one
/// repeated value compresses beyond any ratio (a ZSTD block of 128 KiB of one byte takes a few
/// bytes). Its buffer lives only while the page is decoded, one page per column at a time.
pub const DATA_PAGE_ALLOWANCE: u64 = 1024 * 1024;

/// The uncompressed size a dictionary page may have whatever its compressed size. Smaller than
/// [`DATA_PAGE_ALLOWANCE`]: a dictionary holds distinct values (it compresses little), and it is
/// kept, decoded, for the whole column chunk (a byte-array dictionary of empty strings takes about
/// 8 times its encoded size in memory).
pub const DICTIONARY_PAGE_ALLOWANCE: u64 = 64 * 1024;

/// Nesting depth of Thrift structures accepted in a page header (real headers nest 3 deep:
/// header, data page header, statistics).
const MAX_THRIFT_DEPTH: u32 = 16;

/// Page type codes of the Parquet format.
const DICTIONARY_PAGE: i32 = 2;

/// Checks the claims of the page headers of every column chunk of every row group of `file`
/// (the whole Parquet file that `metadata` was read from) against its bytes, before the
/// `parquet` reader sizes buffers from them:
///
/// - every column chunk lies inside the file, and every page inside its column chunk;
/// - a page's uncompressed size is at most [`MAX_COMPRESSION_RATIO`] times its compressed size
///   or a fixed allowance ([`DATA_PAGE_ALLOWANCE`], [`DICTIONARY_PAGE_ALLOWANCE`]), whichever is
///   larger, and at most its compressed size when the page is stored uncompressed;
/// - a dictionary page declares no more values than its uncompressed bytes can hold at the
///   smallest encoded width of the column's physical type.
///
/// The walk reads only the page headers (a few bytes per page; nothing is decompressed) and
/// allocates nothing. Counts inside the page data (such as the value count of a
/// `DELTA_LENGTH_BYTE_ARRAY` page) are not checked.
///
/// [`read_parquet`](crate::read_parquet) calls it before decoding; a reader that fetches the
/// column chunks itself calls [`validate_column_chunk`] on each chunk instead.
pub fn validate_pages(metadata: &ParquetMetaData, file: &[u8]) -> Result<(), ColumnarError> {
    for (g, row_group) in metadata.row_groups().iter().enumerate() {
        for (c, column) in row_group.columns().iter().enumerate() {
            let (start, len) = chunk_range(column)?;
            let end = start
                .checked_add(len)
                .filter(|&end| end <= file.len())
                .ok_or_else(|| {
                    corrupt(format!(
                        "column chunk {c} of row group {g} ({start}+{len} bytes) lies beyond the \
                         end of the file ({} bytes)",
                        file.len()
                    ))
                })?;
            check_chunk(column, &file[start..end])
                .map_err(|e| corrupt(format!("column chunk {c} of row group {g}: {e}")))?;
        }
    }
    Ok(())
}

/// The byte range of a column chunk in its file (first page, dictionary or data, and length),
/// as offsets into the file, checked to be non-negative.
pub fn chunk_range(column: &ColumnChunkMetaData) -> Result<(usize, usize), ColumnarError> {
    let start = column
        .dictionary_page_offset()
        .unwrap_or_else(|| column.data_page_offset());
    let len = column.compressed_size();
    match (usize::try_from(start), usize::try_from(len)) {
        (Ok(start), Ok(len)) => Ok((start, len)),
        _ => Err(corrupt(format!(
            "column chunk with negative offset or length ({start}, {len})"
        ))),
    }
}

/// Walks the pages of one column chunk (`chunk`: its bytes, from its first page on, as given by
/// [`chunk_range`]) and checks each page header's claims against the bytes, as
/// [`validate_pages`] does for a whole file.
pub fn validate_column_chunk(
    column: &ColumnChunkMetaData,
    chunk: &[u8],
) -> Result<(), ColumnarError> {
    check_chunk(column, chunk).map_err(corrupt)
}

fn check_chunk(column: &ColumnChunkMetaData, chunk: &[u8]) -> Result<(), String> {
    let descr = column.column_descr();
    let min_value_bits = min_value_bits(descr.physical_type(), descr.type_length());
    let compressed = column.compression() != Compression::UNCOMPRESSED;
    let mut offset = 0usize;
    while offset < chunk.len() {
        let mut input = Compact::new(&chunk[offset..]);
        let header = input
            .page_header()
            .map_err(|e| format!("page header at byte {offset}: {e}"))?;
        let header_len = input.pos;
        let (Ok(body), Ok(uncompressed)) = (
            u64::try_from(header.compressed_size),
            u64::try_from(header.uncompressed_size),
        ) else {
            return Err(format!(
                "page at byte {offset} has a negative size ({} compressed, {} uncompressed)",
                header.compressed_size, header.uncompressed_size
            ));
        };
        let remaining = (chunk.len() - offset - header_len) as u64;
        if body > remaining {
            return Err(format!(
                "page at byte {offset} claims {body} bytes, the column chunk has {remaining} left"
            ));
        }
        let allowed = if compressed && header.body_compressed {
            let allowance = if header.dictionary_values.is_some() {
                DICTIONARY_PAGE_ALLOWANCE
            } else {
                DATA_PAGE_ALLOWANCE
            };
            body.saturating_mul(MAX_COMPRESSION_RATIO).max(allowance)
        } else {
            // Stored as is (a v2 page's levels are never compressed, and count in both sizes).
            body
        };
        if uncompressed > allowed {
            return Err(format!(
                "page at byte {offset} claims {uncompressed} uncompressed bytes from {body} \
                 stored bytes (at most {allowed} accepted)"
            ));
        }
        if let Some(values) = header.dictionary_values {
            let values = u64::try_from(values).map_err(|_| {
                format!("dictionary page at byte {offset} declares {values} values")
            })?;
            if values.saturating_mul(min_value_bits) > uncompressed.saturating_mul(8) {
                return Err(format!(
                    "dictionary page at byte {offset} declares {values} values in \
                     {uncompressed} bytes"
                ));
            }
        }
        // `header_len + body <= remaining + header_len`, so this stays within the chunk.
        offset += header_len + body as usize;
    }
    Ok(())
}

/// The fewest bits one value of a physical type takes in a PLAIN-encoded dictionary page.
fn min_value_bits(physical: PhysicalType, type_length: i32) -> u64 {
    match physical {
        PhysicalType::BOOLEAN => 1,
        PhysicalType::INT32 | PhysicalType::FLOAT => 32,
        PhysicalType::INT64 | PhysicalType::DOUBLE => 64,
        PhysicalType::INT96 => 96,
        // A 4-byte length prefix.
        PhysicalType::BYTE_ARRAY => 32,
        // Zero-length values would make a dictionary free to claim: count at least a byte.
        PhysicalType::FIXED_LEN_BYTE_ARRAY => u64::try_from(type_length).unwrap_or(0).max(1) * 8,
    }
}

fn corrupt(message: String) -> ColumnarError {
    ColumnarError::corrupt(message)
}

/// What [`validate_column_chunk`] needs from a page header.
#[derive(Debug, Default)]
struct PageHeader {
    uncompressed_size: i32,
    compressed_size: i32,
    /// `num_values` of a dictionary page.
    dictionary_values: Option<i32>,
    /// False for a v2 data page stored uncompressed (`is_compressed = false`).
    body_compressed: bool,
}

/// A reader of the Thrift compact protocol (the encoding of Parquet page headers), enough to
/// pick a few fields out of a page header and skip everything else. It never allocates.
struct Compact<'a> {
    data: &'a [u8],
    pos: usize,
}

/// Compact-protocol type codes.
mod ty {
    pub const STOP: u8 = 0;
    pub const TRUE: u8 = 1;
    pub const FALSE: u8 = 2;
    pub const BYTE: u8 = 3;
    pub const I16: u8 = 4;
    pub const I32: u8 = 5;
    pub const I64: u8 = 6;
    pub const DOUBLE: u8 = 7;
    pub const BINARY: u8 = 8;
    pub const LIST: u8 = 9;
    pub const SET: u8 = 10;
    pub const MAP: u8 = 11;
    pub const STRUCT: u8 = 12;
}

impl<'a> Compact<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    fn byte(&mut self) -> Result<u8, String> {
        let b = *self
            .data
            .get(self.pos)
            .ok_or_else(|| "truncated page header".to_owned())?;
        self.pos += 1;
        Ok(b)
    }

    fn advance(&mut self, n: u64) -> Result<(), String> {
        let end = usize::try_from(n)
            .ok()
            .and_then(|n| self.pos.checked_add(n))
            .filter(|&end| end <= self.data.len())
            .ok_or_else(|| "truncated page header".to_owned())?;
        self.pos = end;
        Ok(())
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("varint longer than 64 bits".to_owned())
    }

    fn zigzag(&mut self) -> Result<i64, String> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn i32(&mut self) -> Result<i32, String> {
        i32::try_from(self.zigzag()?).map_err(|_| "i32 field out of range".to_owned())
    }

    /// The next field of a structure: `None` at its end, else the field id and type code.
    fn field(&mut self, last_id: &mut i16) -> Result<Option<(i16, u8)>, String> {
        let b = self.byte()?;
        let kind = b & 0x0f;
        if kind == ty::STOP {
            return Ok(None);
        }
        let delta = b >> 4;
        let id = if delta == 0 {
            i16::try_from(self.zigzag()?).map_err(|_| "field id out of range".to_owned())?
        } else {
            last_id.wrapping_add(i16::from(delta))
        };
        *last_id = id;
        Ok(Some((id, kind)))
    }

    /// Skips one value of type code `kind`.
    fn skip(&mut self, kind: u8, depth: u32) -> Result<(), String> {
        if depth > MAX_THRIFT_DEPTH {
            return Err("page header nested too deeply".to_owned());
        }
        match kind {
            ty::TRUE | ty::FALSE => Ok(()),
            ty::BYTE => self.advance(1),
            ty::I16 | ty::I32 | ty::I64 => self.varint().map(drop),
            ty::DOUBLE => self.advance(8),
            ty::BINARY => {
                let len = self.varint()?;
                self.advance(len)
            }
            ty::LIST | ty::SET => {
                let head = self.byte()?;
                let size = match head >> 4 {
                    15 => self.varint()?,
                    n => u64::from(n),
                };
                let element = head & 0x0f;
                // Every element takes at least a byte, so a bogus size ends at the data's end.
                for _ in 0..size {
                    match element {
                        ty::TRUE | ty::FALSE => self.advance(1)?,
                        other => self.skip(other, depth + 1)?,
                    }
                }
                Ok(())
            }
            ty::MAP => {
                let size = self.varint()?;
                if size == 0 {
                    return Ok(());
                }
                let kinds = self.byte()?;
                for _ in 0..size {
                    self.skip(kinds >> 4, depth + 1)?;
                    self.skip(kinds & 0x0f, depth + 1)?;
                }
                Ok(())
            }
            ty::STRUCT => {
                let mut last = 0;
                while let Some((_, kind)) = self.field(&mut last)? {
                    self.skip(kind, depth + 1)?;
                }
                Ok(())
            }
            other => Err(format!("unknown Thrift type {other}")),
        }
    }

    /// Reads a `PageHeader` structure (Parquet format: 1 type, 2 uncompressed_page_size,
    /// 3 compressed_page_size, 7 dictionary_page_header, 8 data_page_header_v2).
    fn page_header(&mut self) -> Result<PageHeader, String> {
        let mut header = PageHeader {
            body_compressed: true,
            ..PageHeader::default()
        };
        let (mut page_type, mut uncompressed, mut compressed) = (None, None, None);
        let mut dictionary_values = None;
        let mut last = 0;
        while let Some((id, kind)) = self.field(&mut last)? {
            match (id, kind) {
                (1, ty::I32) => page_type = Some(self.i32()?),
                (2, ty::I32) => uncompressed = Some(self.i32()?),
                (3, ty::I32) => compressed = Some(self.i32()?),
                (7, ty::STRUCT) => dictionary_values = self.struct_i32_field(1)?,
                (8, ty::STRUCT) => header.body_compressed = self.v2_is_compressed()?,
                _ => self.skip(kind, 1)?,
            }
        }
        let (Some(page_type), Some(uncompressed), Some(compressed)) =
            (page_type, uncompressed, compressed)
        else {
            return Err("page header lacks its type or sizes".to_owned());
        };
        header.uncompressed_size = uncompressed;
        header.compressed_size = compressed;
        if page_type == DICTIONARY_PAGE {
            header.dictionary_values =
                Some(dictionary_values.ok_or("dictionary page without its header")?);
        }
        Ok(header)
    }

    /// Reads a structure, returning its i32 field `wanted` if present.
    fn struct_i32_field(&mut self, wanted: i16) -> Result<Option<i32>, String> {
        let mut found = None;
        let mut last = 0;
        while let Some((id, kind)) = self.field(&mut last)? {
            if id == wanted && kind == ty::I32 {
                found = Some(self.i32()?);
            } else {
                self.skip(kind, 2)?;
            }
        }
        Ok(found)
    }

    /// Reads a `DataPageHeaderV2` structure, returning its `is_compressed` (field 7, default
    /// true).
    fn v2_is_compressed(&mut self) -> Result<bool, String> {
        let mut compressed = true;
        let mut last = 0;
        while let Some((id, kind)) = self.field(&mut last)? {
            match (id, kind) {
                (7, ty::TRUE) => compressed = true,
                (7, ty::FALSE) => compressed = false,
                _ => self.skip(kind, 2)?,
            }
        }
        Ok(compressed)
    }
}
