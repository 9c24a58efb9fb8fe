//! Typed events into Arrow arrays.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, BooleanArray, Float32Array, Int32Array, Int64Array, ListArray, MapArray,
    RecordBatch, StringArray, StructArray, TimestampMillisecondArray,
};
use arrow_buffer::{BooleanBufferBuilder, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, SchemaRef};
use serde::Serialize;
use serde_json::{Map, Value};

use super::layout::{Col, ColumnarOptions, StructLayout, layout_of, map_entries_field};
use super::{Columnar, ColumnarError};

/// Counters of what the encoder could not put into a column as given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EncodeStats {
    /// Attributes a schema version does not define (kept in the events' `unknown`): the fixed
    /// columnar schema has no place for them.
    pub unknown_attributes: u64,
    /// `*_dt` values that are not RFC 3339 date-times, written as null.
    pub invalid_datetimes: u64,
    /// Integers outside the column's range, written as null.
    pub out_of_range: u64,
    /// Values of attributes that the options leave out of the schema (not in the
    /// [`projection`](ColumnarOptions::projection), or of an excluded profile): the schema has
    /// no column for them. A source whose projection covers what it populates keeps this at 0.
    pub left_out: u64,
}

impl EncodeStats {
    /// All the values counted: how many values the encoder could not write as given.
    ///
    /// ```
    /// use ocsf_model::columnar::EncodeStats;
    /// let mut total = EncodeStats::default();
    /// assert_eq!(total.total(), 0);
    /// let mut one = EncodeStats::default();
    /// one.invalid_datetimes = 2;
    /// total += one;
    /// total += one;
    /// assert_eq!((total.invalid_datetimes, total.total()), (4, 4));
    /// ```
    pub fn total(&self) -> u64 {
        self.unknown_attributes
            .saturating_add(self.invalid_datetimes)
            .saturating_add(self.out_of_range)
            .saturating_add(self.left_out)
    }
}

impl EncodeStats {
    /// The counts of `self` less those of `other`, each at least 0: what an encoder counted
    /// between two readings of its [`stats`](BatchEncoder::stats).
    ///
    /// ```
    /// use ocsf_model::columnar::EncodeStats;
    /// let mut earlier = EncodeStats::default();
    /// earlier.left_out = 3;
    /// let mut now = earlier;
    /// now.left_out = 5;
    /// now.out_of_range = 1;
    /// let since = now.saturating_sub(earlier);
    /// assert_eq!((since.left_out, since.out_of_range), (2, 1));
    /// assert_eq!(earlier.saturating_sub(now).total(), 0);
    /// ```
    pub fn saturating_sub(self, other: EncodeStats) -> EncodeStats {
        EncodeStats {
            unknown_attributes: self
                .unknown_attributes
                .saturating_sub(other.unknown_attributes),
            invalid_datetimes: self
                .invalid_datetimes
                .saturating_sub(other.invalid_datetimes),
            out_of_range: self.out_of_range.saturating_sub(other.out_of_range),
            left_out: self.left_out.saturating_sub(other.left_out),
        }
    }
}

impl std::ops::AddAssign for EncodeStats {
    fn add_assign(&mut self, other: EncodeStats) {
        self.unknown_attributes = self
            .unknown_attributes
            .saturating_add(other.unknown_attributes);
        self.invalid_datetimes = self
            .invalid_datetimes
            .saturating_add(other.invalid_datetimes);
        self.out_of_range = self.out_of_range.saturating_add(other.out_of_range);
        self.left_out = self.left_out.saturating_add(other.left_out);
    }
}

/// Appends typed events of one class to Arrow builders and produces [`RecordBatch`]es.
///
/// ```
/// # #[cfg(feature = "v1_1_0")] {
/// use ocsf_model::columnar::{BatchEncoder, ColumnarOptions, decode_batch};
/// use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
/// use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
///
/// let mut product = Product::default();
/// product.name = Some("sshd".into());
/// let event = Authentication::new(
///     AuthenticationActivityId::Logon,
///     Metadata::new(product, "1.1.0".into()),
///     SeverityId::Low,
///     1_700_000_000_000,
///     User::default(),
/// );
/// let mut encoder = BatchEncoder::<Authentication>::new(&ColumnarOptions::default())?;
/// encoder.append(&event);
/// let batch = encoder.finish()?;
/// assert_eq!(batch.num_rows(), 1);
/// let back: Vec<Authentication> = decode_batch(&batch)?;
/// assert_eq!(back, vec![event]);
/// # }
/// # Ok::<(), ocsf_model::columnar::ColumnarError>(())
/// ```
pub struct BatchEncoder<E> {
    layout: Arc<StructLayout>,
    schema: SchemaRef,
    root: StructEncoder,
    /// Counters of batches already finished.
    carried: EncodeStats,
    /// The all-null arrays of never-written columns, kept from batch to batch.
    nulls: NullArrays,
    _event: PhantomData<fn(&E)>,
}

impl<E: Columnar> BatchEncoder<E> {
    /// An encoder for the class's schema under `options`.
    pub fn new(options: &ColumnarOptions) -> Result<Self, ColumnarError> {
        let layout = layout_of::<E>(options)?;
        let schema = Arc::new(arrow_schema::Schema::new(layout.fields.clone()));
        let root = StructEncoder::new(layout.clone());
        Ok(BatchEncoder {
            layout,
            schema,
            root,
            carried: EncodeStats::default(),
            nulls: NullArrays::default(),
            _event: PhantomData,
        })
    }

    /// A new encoder of the same class and schema, with nothing appended: the layout is shared,
    /// not resolved again, so this cannot fail (an encoder per thread, for instance).
    ///
    /// ```
    /// # #[cfg(feature = "v1_1_0")] {
    /// use ocsf_model::columnar::{BatchEncoder, ColumnarOptions};
    /// use ocsf_model::v1_1_0::events::Authentication;
    ///
    /// let first = BatchEncoder::<Authentication>::new(&ColumnarOptions::default())?;
    /// let second = first.new_like();
    /// assert_eq!(first.schema(), second.schema());
    /// assert!(second.is_empty());
    /// # }
    /// # Ok::<(), ocsf_model::columnar::ColumnarError>(())
    /// ```
    pub fn new_like(&self) -> Self {
        BatchEncoder {
            layout: self.layout.clone(),
            schema: self.schema.clone(),
            root: StructEncoder::new(self.layout.clone()),
            carried: EncodeStats::default(),
            nulls: NullArrays::default(),
            _event: PhantomData,
        }
    }

    /// The Arrow schema of the batches.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Appends one event.
    pub fn append(&mut self, event: &E) {
        self.root.row(event);
    }

    /// Appends one event and returns how many bytes it added to the column buffers (values,
    /// offsets and null padding of the open batch): its encoded size, found without
    /// serializing it another way, and without walking the columns (each struct keeps its count).
    ///
    /// ```
    /// # #[cfg(feature = "v1_1_0")] {
    /// use ocsf_model::columnar::{BatchEncoder, ColumnarOptions};
    /// use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
    /// use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
    ///
    /// let event = Authentication::new(
    ///     AuthenticationActivityId::Logon,
    ///     Metadata::new(Product::default(), "1.1.0".into()),
    ///     SeverityId::Low,
    ///     1_700_000_000_000,
    ///     User::default(),
    /// );
    /// let mut encoder = BatchEncoder::<Authentication>::new(&ColumnarOptions::default())?;
    /// let before = encoder.buffered_bytes();
    /// let first = encoder.append_sized(&event);
    /// assert!(first > 0);
    /// assert_eq!(encoder.buffered_bytes(), before + first);
    /// # }
    /// # Ok::<(), ocsf_model::columnar::ColumnarError>(())
    /// ```
    pub fn append_sized(&mut self, event: &E) -> u64 {
        let before = self.root.bytes();
        self.root.row(event);
        self.root.bytes().saturating_sub(before)
    }

    /// The bytes the open batch's events added to its column buffers (what
    /// [`finish`](Self::finish) turns into a batch): values, offsets and null padding, not the
    /// buffers' spare capacity. Kept as columns are written, so reading it costs nothing.
    pub fn buffered_bytes(&self) -> u64 {
        self.root.bytes()
    }

    /// The number of events appended since the last [`finish`](Self::finish).
    pub fn len(&self) -> usize {
        self.root.len
    }

    /// Whether no event was appended since the last [`finish`](Self::finish).
    pub fn is_empty(&self) -> bool {
        self.root.len == 0
    }

    /// The bytes of the longest string value (Utf8, JSON text, map key or value, list
    /// element) of the open batch: what a pass over the finished batch's offsets would find,
    /// kept as values are appended. [`finish`](Self::finish) starts it over.
    ///
    /// ```
    /// # #[cfg(feature = "v1_1_0")] {
    /// use ocsf_model::columnar::{BatchEncoder, ColumnarOptions};
    /// use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
    /// use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
    ///
    /// let mut event = Authentication::new(
    ///     AuthenticationActivityId::Logon,
    ///     Metadata::new(Product::default(), "1.1.0".into()),
    ///     SeverityId::Low,
    ///     1_700_000_000_000,
    ///     User::default(),
    /// );
    /// event.message = Some("x".repeat(300));
    /// let mut encoder = BatchEncoder::<Authentication>::new(&ColumnarOptions::default())?;
    /// encoder.append(&event);
    /// assert_eq!(encoder.longest_value(), 300);
    /// encoder.finish()?;
    /// assert_eq!(encoder.longest_value(), 0);
    /// # }
    /// # Ok::<(), ocsf_model::columnar::ColumnarError>(())
    /// ```
    pub fn longest_value(&self) -> usize {
        self.root.longest_value()
    }

    /// What the encoder could not represent, since it was created.
    pub fn stats(&self) -> EncodeStats {
        let mut total = self.carried;
        self.root.add_stats(&mut total);
        total
    }

    /// The batch of the events appended so far; the encoder starts a new batch.
    pub fn finish(&mut self) -> Result<RecordBatch, ColumnarError> {
        self.carried = self.stats();
        self.root.clear_stats();
        let rows = self.root.len;
        let columns = match self.root.finish_children(&mut self.nulls) {
            Ok(columns) => columns,
            Err(e) => {
                // Some columns may be finished and others not: start over from scratch.
                self.root = StructEncoder::new(self.layout.clone());
                return Err(e);
            }
        };
        self.root.len = 0;
        let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(rows));
        Ok(RecordBatch::try_new_with_options(
            self.schema.clone(),
            columns,
            &options,
        )?)
    }
}

/// All-null arrays for the columns a batch never wrote. A wide OCSF schema has hundreds of them
/// per batch; building each with its own zeroed buffers dominated encoding. Instead, one
/// all-null array per leaf type is kept (and sliced to the batch's length), and an absent
/// object is a null struct over those shared leaves.
#[derive(Default)]
struct NullArrays {
    leaves: HashMap<DataType, ArrayRef>,
}

impl NullArrays {
    fn get(&mut self, data_type: &DataType, len: usize) -> ArrayRef {
        if let DataType::Struct(fields) = data_type {
            let children = fields
                .iter()
                .map(|f| self.get(f.data_type(), len))
                .collect();
            // Arrow refuses a struct whose non-nullable child holds nulls its parent does not
            // mask; the parent masks every row here, but fall back to plain zeroed buffers
            // rather than rely on that.
            return match StructArray::try_new_with_length(
                fields.clone(),
                children,
                Some(NullBuffer::new_null(len)),
                len,
            ) {
                Ok(array) => Arc::new(array),
                Err(_) => arrow_array::new_null_array(data_type, len),
            };
        }
        if let Some(array) = self.leaves.get(data_type)
            && array.len() >= len
        {
            return array.slice(0, len);
        }
        let array = arrow_array::new_null_array(data_type, len);
        self.leaves.insert(data_type.clone(), array.clone());
        array
    }
}

/// The builders of one struct (the class at the root, or an object). Generated code calls its
/// methods with each attribute's index in the schema tables; attributes left out of the layout
/// are skipped.
///
/// Each method skips an absent value inline, before anything else: an absent attribute costs
/// one test at the call site. A present value is appended to its column, which is first padded
/// with nulls up to the current row when earlier rows lacked the attribute (padding is deferred
/// like this, so a row costs what it holds, whatever the width of the schema).
pub struct StructEncoder {
    layout: Arc<StructLayout>,
    /// Per attribute index: its column, or `None` when the attribute is left out.
    children: Vec<Option<Column>>,
    /// Rows so far, null rows included (the row being written is row `len`).
    len: usize,
    /// The bytes of its columns' buffers, nested ones included, kept as they are written (so
    /// that sizing an event costs what the event writes, not a walk of every column).
    bytes: u64,
    stats: EncodeStats,
}

/// The builder of one column: its values, and where its null rows are.
///
/// Nulls are recorded as runs of rows (they come from padding, in runs) and turned into a
/// validity bitmap when the column is finished, so appending a value touches only the values.
struct Column {
    /// Rows so far, nulls included.
    len: usize,
    nulls: NullRuns,
    data: Data,
}

enum Data {
    Int32(Vec<i32>),
    Int64(Vec<i64>),
    Float32(Vec<f32>),
    Bool(BooleanBufferBuilder),
    /// Utf8, also holding JSON text.
    Utf8(Utf8Data),
    /// Timestamp(ms, UTC).
    Ts(Vec<i64>),
    Map(Box<MapData>),
    Struct(Box<StructEncoder>),
    List(Box<ListData>),
}

/// The offsets and bytes of a Utf8 column.
struct Utf8Data {
    /// One more than the rows: the end of each value.
    offsets: Vec<i32>,
    values: Vec<u8>,
    /// The bytes of the longest value pushed since the last finish.
    longest: usize,
}

struct ListData {
    /// One more than the rows: the end of each list in `inner`.
    offsets: Vec<i32>,
    inner: Column,
    field: Arc<Field>,
}

struct MapData {
    /// One more than the rows: the end of each map's entries.
    offsets: Vec<i32>,
    keys: Utf8Data,
    /// Utf8; a JSON `null` value is a null.
    values: Column,
}

/// Runs of null rows, `(first row, count)`, in order.
#[derive(Default)]
struct NullRuns(Vec<(usize, usize)>);

impl NullRuns {
    fn push(&mut self, start: usize, n: usize) {
        if let Some((s, c)) = self.0.last_mut()
            && *s + *c == start
        {
            *c += n;
            return;
        }
        self.0.push((start, n));
    }

    /// The validity of `len` rows (`None`: no nulls); starts over.
    fn finish(&mut self, len: usize) -> Option<NullBuffer> {
        if self.0.is_empty() {
            return None;
        }
        let mut bits = BooleanBufferBuilder::new(len);
        let mut at = 0;
        for (start, n) in self.0.drain(..) {
            bits.append_n(start - at, true);
            bits.append_n(n, false);
            at = start + n;
        }
        bits.append_n(len - at, true);
        Some(NullBuffer::new(bits.finish()))
    }
}

/// An Arrow offset for `n` bytes or elements of a batch.
#[inline(always)]
fn offset(n: usize) -> i32 {
    // Arrow's own builders panic the same way: a Utf8 or List column holds at most 2^31 - 1
    // bytes or elements per batch.
    i32::try_from(n).expect("offset overflow: more than 2 GiB in one column of a batch")
}

/// The capacity of a column's next buffer, given what the last batch used: an eighth more, so
/// a batch a little larger than the last does not grow (copy) the buffer at its end.
#[inline]
fn headroom(last: usize) -> usize {
    last.saturating_add(last / 8)
}

/// A fresh offsets vector, sized for as many rows as the last batch had (and
/// [`headroom`]).
fn fresh_offsets(last: usize) -> Vec<i32> {
    let mut offsets = Vec::with_capacity(headroom(last));
    offsets.push(0);
    offsets
}

impl Utf8Data {
    fn new() -> Self {
        Utf8Data {
            offsets: vec![0],
            values: Vec::new(),
            longest: 0,
        }
    }

    #[inline(always)]
    fn push(&mut self, value: &[u8]) {
        self.values.extend_from_slice(value);
        self.longest = self.longest.max(value.len());
        self.offsets.push(offset(self.values.len()));
    }

    /// Appends the JSON text of `value`, written straight into the value bytes.
    fn push_json<T: Serialize + ?Sized>(&mut self, value: &T) {
        let start = self.values.len();
        if let Err(e) = serde_json::to_writer(&mut self.values, value) {
            self.values.truncate(start);
            let text = Value::String(format!("unserializable: {e}")).to_string();
            self.values.extend_from_slice(text.as_bytes());
        }
        self.longest = self.longest.max(self.values.len() - start);
        self.offsets.push(offset(self.values.len()));
    }

    /// Appends `n` empty values (the slots of null rows).
    fn push_empty(&mut self, n: usize) {
        let last = self.offsets.last().copied().unwrap_or(0);
        self.offsets.extend(std::iter::repeat_n(last, n));
    }

    fn finish(&mut self, nulls: Option<NullBuffer>) -> Result<StringArray, ColumnarError> {
        let (rows, bytes) = (self.offsets.len(), self.values.len());
        self.longest = 0;
        let offsets = std::mem::replace(&mut self.offsets, fresh_offsets(rows));
        let values = std::mem::replace(&mut self.values, Vec::with_capacity(headroom(bytes)));
        Ok(StringArray::try_new(
            OffsetBuffer::new(ScalarBuffer::from(offsets)),
            Buffer::from_vec(values),
            nulls,
        )?)
    }
}

/// Takes a vector's values, leaving an empty one sized like it (and [`headroom`]).
fn take_sized<T>(values: &mut Vec<T>) -> ScalarBuffer<T>
where
    T: arrow_buffer::ArrowNativeType,
{
    let len = values.len();
    ScalarBuffer::from(std::mem::replace(values, Vec::with_capacity(headroom(len))))
}

impl Column {
    fn new(col: &Col) -> Column {
        let data = match col {
            Col::Int32 => Data::Int32(Vec::new()),
            Col::Int64 => Data::Int64(Vec::new()),
            Col::Float32 => Data::Float32(Vec::new()),
            Col::Bool => Data::Bool(BooleanBufferBuilder::new(0)),
            Col::Utf8 | Col::Json => Data::Utf8(Utf8Data::new()),
            Col::TimestampMs => Data::Ts(Vec::new()),
            Col::Map => Data::Map(Box::new(MapData {
                offsets: vec![0],
                keys: Utf8Data::new(),
                values: Column {
                    len: 0,
                    nulls: NullRuns::default(),
                    data: Data::Utf8(Utf8Data::new()),
                },
            })),
            Col::Struct(layout) => Data::Struct(Box::new(StructEncoder::new(layout.clone()))),
            Col::List(inner) => Data::List(Box::new(ListData {
                offsets: vec![0],
                inner: Column::new(inner),
                field: Arc::new(Field::new("element", inner.data_type(), true)),
            })),
        };
        Column {
            len: 0,
            nulls: NullRuns::default(),
            data,
        }
    }

    /// Pads with nulls up to `row` and returns the bytes that added; nothing to do (the
    /// common case, inline) when the column is there already.
    #[inline(always)]
    fn pad_to(&mut self, row: usize) -> u64 {
        if self.len < row {
            self.pad_slow(row)
        } else {
            0
        }
    }

    #[cold]
    #[inline(never)]
    fn pad_slow(&mut self, row: usize) -> u64 {
        self.measured(|c| c.push_nulls(row - c.len))
    }

    /// Runs `write` on the column and returns the bytes it added to the column's buffers,
    /// measured before and after: for the writes whose size the value does not tell (JSON
    /// text, maps, padding with nulls).
    #[inline(always)]
    fn measured(&mut self, write: impl FnOnce(&mut Column)) -> u64 {
        let before = self.bytes();
        write(self);
        self.bytes() - before
    }

    /// Appends `n` null rows.
    fn push_nulls(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        self.nulls.push(self.len, n);
        self.len += n;
        match &mut self.data {
            Data::Int32(v) => v.resize(v.len() + n, 0),
            Data::Int64(v) | Data::Ts(v) => v.resize(v.len() + n, 0),
            Data::Float32(v) => v.resize(v.len() + n, 0.0),
            Data::Bool(b) => b.append_n(n, false),
            Data::Utf8(d) => d.push_empty(n),
            Data::Map(m) => {
                let last = m.offsets.last().copied().unwrap_or(0);
                m.offsets.extend(std::iter::repeat_n(last, n));
            }
            // The struct's own columns are padded when next written, or when finished.
            Data::Struct(s) => s.len += n,
            Data::List(l) => {
                let last = l.offsets.last().copied().unwrap_or(0);
                l.offsets.extend(std::iter::repeat_n(last, n));
            }
        }
    }

    /// The column's array; the column starts over (empty, its buffers sized like the last).
    fn finish(&mut self, null_arrays: &mut NullArrays) -> Result<ArrayRef, ColumnarError> {
        let len = std::mem::take(&mut self.len);
        let nulls = self.nulls.finish(len);
        Ok(match &mut self.data {
            Data::Int32(v) => Arc::new(Int32Array::try_new(take_sized(v), nulls)?),
            Data::Int64(v) => Arc::new(Int64Array::try_new(take_sized(v), nulls)?),
            Data::Float32(v) => Arc::new(Float32Array::try_new(take_sized(v), nulls)?),
            Data::Bool(b) => Arc::new(BooleanArray::new(b.finish(), nulls)),
            Data::Utf8(d) => Arc::new(d.finish(nulls)?),
            Data::Ts(v) => Arc::new(
                TimestampMillisecondArray::try_new(take_sized(v), nulls)?.with_timezone("UTC"),
            ),
            Data::Map(m) => {
                let keys = Arc::new(m.keys.finish(None)?) as ArrayRef;
                let values = m.values.finish(null_arrays)?;
                let entries_field = map_entries_field();
                let DataType::Struct(fields) = entries_field.data_type() else {
                    return Err(ColumnarError::invalid_options(
                        "map entries are not a struct",
                    ));
                };
                let entries = StructArray::try_new(fields.clone(), vec![keys, values], None)?;
                let offsets = std::mem::replace(&mut m.offsets, fresh_offsets(len + 1));
                Arc::new(MapArray::try_new(
                    entries_field,
                    OffsetBuffer::new(ScalarBuffer::from(offsets)),
                    entries,
                    nulls,
                    false,
                )?)
            }
            Data::Struct(s) => {
                let children = s.finish_children(null_arrays)?;
                s.len = 0;
                Arc::new(StructArray::try_new_with_length(
                    s.layout.fields.clone(),
                    children,
                    nulls,
                    len,
                )?)
            }
            Data::List(l) => {
                let values = l.inner.finish(null_arrays)?;
                let offsets = std::mem::replace(&mut l.offsets, fresh_offsets(len + 1));
                Arc::new(ListArray::try_new(
                    l.field.clone(),
                    OffsetBuffer::new(ScalarBuffer::from(offsets)),
                    values,
                    nulls,
                )?)
            }
        })
    }
}

impl Column {
    /// The bytes of the column's buffers (values, offsets, bitmaps), nested columns included;
    /// a nested struct's are kept by it, so this does not walk.
    #[inline(always)]
    fn bytes(&self) -> u64 {
        let n = |len: usize, width: usize| (len * width) as u64;
        match &self.data {
            Data::Int32(v) => n(v.len(), 4),
            Data::Int64(v) | Data::Ts(v) => n(v.len(), 8),
            Data::Float32(v) => n(v.len(), 4),
            Data::Bool(b) => n(b.len().div_ceil(8), 1),
            Data::Utf8(d) => d.bytes(),
            Data::Map(m) => n(m.offsets.len(), 4) + m.keys.bytes() + m.values.bytes(),
            Data::Struct(s) => s.bytes(),
            Data::List(l) => n(l.offsets.len(), 4) + l.inner.bytes(),
        }
    }

    #[cfg(test)]
    fn walked_bytes(&self) -> u64 {
        match &self.data {
            Data::Struct(s) => s.walked_bytes(),
            Data::List(l) => (l.offsets.len() * 4) as u64 + l.inner.walked_bytes(),
            _ => self.bytes(),
        }
    }

    /// The bytes of the longest string value written into the column (nested columns
    /// included) since its last finish.
    fn longest_value(&self) -> usize {
        match &self.data {
            Data::Utf8(d) => d.longest,
            Data::Map(m) => m.keys.longest.max(m.values.longest_value()),
            Data::Struct(s) => s.longest_value(),
            Data::List(l) => l.inner.longest_value(),
            Data::Int32(_) | Data::Int64(_) | Data::Ts(_) | Data::Float32(_) | Data::Bool(_) => 0,
        }
    }
}

impl Utf8Data {
    fn bytes(&self) -> u64 {
        (self.values.len() + 4 * self.offsets.len()) as u64
    }
}

impl StructEncoder {
    /// The bytes of the struct's columns' buffers (kept, not walked).
    #[inline(always)]
    fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The bytes of the struct's columns' buffers, walked column by column: what
    /// [`StructEncoder::bytes`] must equal.
    #[cfg(test)]
    fn walked_bytes(&self) -> u64 {
        self.children
            .iter()
            .flatten()
            .map(Column::walked_bytes)
            .sum()
    }

    fn new(layout: Arc<StructLayout>) -> Self {
        let children = layout
            .slots
            .iter()
            .map(|s| s.as_ref().map(Column::new))
            .collect();
        StructEncoder {
            layout,
            children,
            len: 0,
            bytes: 0,
            stats: EncodeStats::default(),
        }
    }

    /// The longest string value of the struct's columns since they were last finished.
    fn longest_value(&self) -> usize {
        self.children
            .iter()
            .flatten()
            .map(Column::longest_value)
            .max()
            .unwrap_or(0)
    }

    fn add_stats(&self, total: &mut EncodeStats) {
        *total += self.stats;
        for child in self.children.iter().flatten() {
            match &child.data {
                Data::Struct(s) => s.add_stats(total),
                Data::List(l) => {
                    if let Data::Struct(s) = &l.inner.data {
                        s.add_stats(total);
                    }
                }
                _ => {}
            }
        }
    }

    fn clear_stats(&mut self) {
        self.stats = EncodeStats::default();
        for child in self.children.iter_mut().flatten() {
            match &mut child.data {
                Data::Struct(s) => s.clear_stats(),
                Data::List(l) => {
                    if let Data::Struct(s) = &mut l.inner.data {
                        s.clear_stats();
                    }
                }
                _ => {}
            }
        }
    }

    /// The arrays of the struct's columns, `len` rows each; the columns start over.
    fn finish_children(
        &mut self,
        null_arrays: &mut NullArrays,
    ) -> Result<Vec<ArrayRef>, ColumnarError> {
        let len = self.len;
        let mut out = Vec::with_capacity(self.layout.fields.len());
        for (child, field) in self
            .children
            .iter_mut()
            .flatten()
            .zip(self.layout.fields.iter())
        {
            if child.len == 0 && len > 0 {
                // Never written in this batch: an all-null array (shared zeroed buffers) instead
                // of `len` nulls in every column below it.
                out.push(null_arrays.get(field.data_type(), len));
                continue;
            }
            child.pad_to(len);
            out.push(child.finish(null_arrays)?);
        }
        self.bytes = 0;
        Ok(out)
    }

    /// Writes into the column of attribute `index` (padded with nulls up to the current row
    /// first) with `write`, which returns the bytes it added to the column's buffers (known
    /// from the value for most kinds, so that a write does not size its column before and
    /// after); an attribute not in the layout is counted as left out.
    #[inline(always)]
    fn put(&mut self, index: usize, write: impl FnOnce(&mut Column, &mut EncodeStats) -> u64) {
        let Some(column) = self.children.get_mut(index).and_then(Option::as_mut) else {
            self.stats.left_out += 1;
            return;
        };
        let padded = column.pad_to(self.len);
        let written = write(column, &mut self.stats);
        self.bytes += padded + written;
    }

    /// Like [`StructEncoder::put`] for a present list: `write` appends its elements, and the
    /// list row is closed after them.
    #[inline(always)]
    fn put_list(&mut self, index: usize, write: impl FnOnce(&mut ListData, &mut EncodeStats)) {
        self.put(index, |c, stats| {
            let Data::List(l) = &mut c.data else {
                return 0;
            };
            c.len += 1;
            let before = l.inner.bytes();
            write(l, stats);
            l.close();
            // The elements, and the list's end offset.
            l.inner.bytes() - before + 4
        });
    }

    /// An integer attribute.
    #[inline(always)]
    pub fn int(&mut self, index: usize, value: Option<i64>) {
        if let Some(v) = value {
            self.put_int(index, v);
        }
    }

    #[inline(always)]
    fn put_int(&mut self, index: usize, v: i64) {
        self.put(index, |c, stats| match &mut c.data {
            Data::Int32(b) => match i32::try_from(v) {
                Ok(v) => {
                    b.push(v);
                    c.len += 1;
                    4
                }
                // Left to be padded as null.
                Err(_) => {
                    stats.out_of_range += 1;
                    0
                }
            },
            Data::Int64(b) => {
                b.push(v);
                c.len += 1;
                8
            }
            _ => 0,
        });
    }

    /// A float attribute.
    #[inline(always)]
    pub fn float(&mut self, index: usize, value: Option<f64>) {
        if let Some(v) = value {
            self.put_float(index, v);
        }
    }

    fn put_float(&mut self, index: usize, v: f64) {
        self.put(index, |c, _| {
            let Data::Float32(b) = &mut c.data else {
                return 0;
            };
            b.push(v as f32);
            c.len += 1;
            4
        });
    }

    /// A boolean attribute.
    #[inline(always)]
    pub fn bool(&mut self, index: usize, value: Option<bool>) {
        if let Some(v) = value {
            self.put_bool(index, v);
        }
    }

    fn put_bool(&mut self, index: usize, v: bool) {
        self.put(index, |c, _| {
            let Data::Bool(b) = &mut c.data else {
                return 0;
            };
            // A new byte of bits every eighth value.
            let grown = u64::from(b.len() % 8 == 0);
            b.append(v);
            c.len += 1;
            grown
        });
    }

    /// A string attribute (also string-keyed enums).
    #[inline(always)]
    pub fn str(&mut self, index: usize, value: Option<&str>) {
        if let Some(v) = value {
            self.put_str(index, v);
        }
    }

    #[inline(always)]
    fn put_str(&mut self, index: usize, v: &str) {
        self.put(index, |c, _| {
            let Data::Utf8(d) = &mut c.data else {
                return 0;
            };
            d.push(v.as_bytes());
            c.len += 1;
            // The value's bytes and its end offset.
            v.len() as u64 + 4
        });
    }

    /// A `datetime_t` attribute: RFC 3339 text into a millisecond timestamp.
    #[inline(always)]
    pub fn datetime(&mut self, index: usize, value: Option<&str>) {
        if let Some(v) = value {
            self.put_datetime(index, v);
        }
    }

    fn put_datetime(&mut self, index: usize, v: &str) {
        self.put(index, |c, stats| {
            let Data::Ts(b) = &mut c.data else {
                return 0;
            };
            match crate::time::parse_lenient_ms(v) {
                Some(ms) => {
                    b.push(ms);
                    c.len += 1;
                    8
                }
                // Left to be padded as null.
                None => {
                    stats.invalid_datetimes += 1;
                    0
                }
            }
        });
    }

    /// A `json_t` attribute, as JSON text.
    #[inline(always)]
    pub fn json(&mut self, index: usize, value: Option<&Value>) {
        if let Some(v) = value {
            self.put_json(index, v);
        }
    }

    fn put_json(&mut self, index: usize, v: &Value) {
        self.put(index, |c, _| {
            c.measured(|c| {
                if let Data::Utf8(d) = &mut c.data {
                    d.push_json(v);
                    c.len += 1;
                }
            })
        });
    }

    /// A free-form object (`unmapped`): string values as they are, others as JSON text.
    #[inline(always)]
    pub fn map(&mut self, index: usize, value: Option<&Map<String, Value>>) {
        if let Some(v) = value {
            self.put_map(index, v);
        }
    }

    fn put_map(&mut self, index: usize, v: &Map<String, Value>) {
        self.put(index, |c, _| {
            c.measured(|c| {
                match &mut c.data {
                    Data::Map(m) => m.push(v),
                    Data::Utf8(d) => d.push_json(v),
                    _ => return,
                }
                c.len += 1;
            })
        });
    }

    /// An object attribute.
    #[inline(always)]
    pub fn object<T: Columnar + Serialize>(&mut self, index: usize, value: Option<&T>) {
        if let Some(v) = value {
            self.put_object(index, v);
        }
    }

    #[inline]
    fn put_object<T: Columnar + Serialize>(&mut self, index: usize, v: &T) {
        self.put(index, |c, _| {
            let added = match &mut c.data {
                Data::Struct(s) => {
                    let before = s.bytes;
                    s.row(v);
                    s.bytes - before
                }
                Data::Utf8(d) => {
                    let before = d.bytes();
                    d.push_json(v);
                    d.bytes() - before
                }
                _ => return 0,
            };
            c.len += 1;
            added
        });
    }

    /// Writes one row of `value`.
    #[inline(always)]
    fn row<T: Columnar>(&mut self, value: &T) {
        value.encode(self);
        self.len += 1;
    }

    /// A list of integers.
    #[inline(always)]
    pub fn int_list(&mut self, index: usize, value: Option<&[i64]>) {
        if let Some(v) = value {
            self.put_int_list(index, v);
        }
    }

    fn put_int_list(&mut self, index: usize, values: &[i64]) {
        self.put_list(index, |l, stats| {
            let inner = &mut l.inner;
            match &mut inner.data {
                Data::Int32(b) => {
                    for v in values {
                        match i32::try_from(*v) {
                            Ok(v) => {
                                b.push(v);
                                inner.len += 1;
                            }
                            Err(_) => {
                                b.push(0);
                                inner.nulls.push(inner.len, 1);
                                inner.len += 1;
                                stats.out_of_range += 1;
                            }
                        }
                    }
                }
                Data::Int64(b) => {
                    b.extend_from_slice(values);
                    inner.len += values.len();
                }
                _ => {}
            }
        });
    }

    /// A list of floats.
    #[inline(always)]
    pub fn float_list(&mut self, index: usize, value: Option<&[f64]>) {
        if let Some(v) = value {
            self.put_float_list(index, v);
        }
    }

    fn put_float_list(&mut self, index: usize, values: &[f64]) {
        self.put_list(index, |l, _| {
            if let Data::Float32(b) = &mut l.inner.data {
                b.extend(values.iter().map(|v| *v as f32));
                l.inner.len += values.len();
            }
        });
    }

    /// A list of booleans.
    #[inline(always)]
    pub fn bool_list(&mut self, index: usize, value: Option<&[bool]>) {
        if let Some(v) = value {
            self.put_bool_list(index, v);
        }
    }

    fn put_bool_list(&mut self, index: usize, values: &[bool]) {
        self.put_list(index, |l, _| {
            if let Data::Bool(b) = &mut l.inner.data {
                values.iter().for_each(|v| b.append(*v));
                l.inner.len += values.len();
            }
        });
    }

    /// A list of strings (also string-keyed enums and date-times).
    #[inline(always)]
    pub fn str_list<S: AsRef<str>>(&mut self, index: usize, value: Option<&[S]>) {
        if let Some(v) = value {
            self.put_str_list(index, v);
        }
    }

    fn put_str_list<S: AsRef<str>>(&mut self, index: usize, values: &[S]) {
        self.put_list(index, |l, stats| {
            let inner = &mut l.inner;
            match &mut inner.data {
                Data::Utf8(d) => {
                    for v in values {
                        d.push(v.as_ref().as_bytes());
                    }
                    inner.len += values.len();
                }
                Data::Ts(b) => {
                    for v in values {
                        match crate::time::parse_lenient_ms(v.as_ref()) {
                            Some(ms) => {
                                b.push(ms);
                                inner.len += 1;
                            }
                            None => {
                                b.push(0);
                                inner.nulls.push(inner.len, 1);
                                inner.len += 1;
                                stats.invalid_datetimes += 1;
                            }
                        }
                    }
                }
                _ => {}
            }
        });
    }

    /// A list of `json_t` values.
    #[inline(always)]
    pub fn json_list(&mut self, index: usize, value: Option<&[Value]>) {
        if let Some(v) = value {
            self.put_json_list(index, v);
        }
    }

    fn put_json_list(&mut self, index: usize, values: &[Value]) {
        self.put_list(index, |l, _| {
            if let Data::Utf8(d) = &mut l.inner.data {
                values.iter().for_each(|v| d.push_json(v));
                l.inner.len += values.len();
            }
        });
    }

    /// A list of free-form objects.
    #[inline(always)]
    pub fn map_list(&mut self, index: usize, value: Option<&[Map<String, Value>]>) {
        if let Some(v) = value {
            self.put_map_list(index, v);
        }
    }

    fn put_map_list(&mut self, index: usize, values: &[Map<String, Value>]) {
        self.put_nested_list(index, values, |data, v| match data {
            Data::Map(m) => {
                m.push(v);
                true
            }
            _ => false,
        });
    }

    /// A list of objects.
    #[inline(always)]
    pub fn object_list<T: Columnar + Serialize>(&mut self, index: usize, value: Option<&[T]>) {
        if let Some(v) = value {
            self.put_object_list(index, v);
        }
    }

    fn put_object_list<T: Columnar + Serialize>(&mut self, index: usize, values: &[T]) {
        self.put_nested_list(index, values, |data, v| match data {
            Data::Struct(s) => {
                s.row(v);
                true
            }
            _ => false,
        });
    }

    /// A list of nested values (objects or free-form maps): each element is written by `push`
    /// into the list's element column (which returns `false` when that column is not of its
    /// kind), or as JSON text when the layout has that column as strings.
    #[inline(always)]
    fn put_nested_list<V: Serialize>(
        &mut self,
        index: usize,
        values: &[V],
        push: impl Fn(&mut Data, &V) -> bool,
    ) {
        self.put_list(index, |l, _| {
            let written = match &mut l.inner.data {
                Data::Utf8(d) => {
                    values.iter().for_each(|v| d.push_json(v));
                    true
                }
                data => values.iter().all(|v| push(data, v)),
            };
            if written {
                l.inner.len += values.len();
            }
        });
    }

    /// The attributes a schema version does not define: counted, since the fixed columnar
    /// schema has no column for them.
    #[inline(always)]
    pub fn unknown(&mut self, value: &Map<String, Value>) {
        self.stats.unknown_attributes += value.len() as u64;
    }
}

impl ListData {
    /// Ends the current list value after its elements were appended.
    #[inline(always)]
    fn close(&mut self) {
        self.offsets.push(offset(self.inner.len));
    }
}

impl MapData {
    fn push(&mut self, value: &Map<String, Value>) {
        for (k, v) in value {
            self.keys.push(k.as_bytes());
            match v {
                Value::String(s) => {
                    if let Data::Utf8(d) = &mut self.values.data {
                        d.push(s.as_bytes());
                        self.values.len += 1;
                    }
                }
                Value::Null => self.values.push_nulls(1),
                other => {
                    if let Data::Utf8(d) = &mut self.values.data {
                        d.push_json(other);
                        self.values.len += 1;
                    }
                }
            }
        }
        self.offsets.push(offset(self.values.len));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1_1_0::events::Authentication;

    /// Events that leave attributes out, then fill them (deferred padding), with nested
    /// objects, lists of objects and strings, and maps.
    fn events() -> Vec<Authentication> {
        let full = serde_json::json!({
            "activity_id": 1, "category_uid": 3, "class_uid": 3002, "severity_id": 1,
            "time": 1_700_000_000_000_i64, "type_uid": 300201,
            "metadata": {"version": "1.1.0", "product": {"name": "sshd", "vendor_name": "OpenBSD"},
                         "labels": ["a", "bc"], "logged_time": 1_700_000_000_001_i64},
            "user": {"name": "root", "uid": "0", "groups": [{"name": "wheel"}, {"name": "adm"}]},
            "src_endpoint": {"ip": "10.0.0.1", "port": 4242},
            "observables": [{"name": "user.name", "type_id": 4, "value": "root"},
                            {"name": "src_endpoint.ip", "type_id": 2}],
            "unmapped": {"k": "v", "n": 3, "z": null},
            "status_id": 1, "is_mfa": true, "count": 3, "time_dt": "2023-11-14T22:13:20Z",
        });
        // A date-time that does not parse is left out (padded as null), not counted as written.
        let mut odd = full.clone();
        odd["time_dt"] = serde_json::json!("not a date");
        let bare = serde_json::json!({
            "activity_id": 2, "category_uid": 3, "class_uid": 3002, "severity_id": 1,
            "time": 1_700_000_000_002_i64, "type_uid": 300202,
            "metadata": {"version": "1.1.0", "product": {}},
            "user": {},
        });
        [&bare, &bare, &full, &bare, &odd, &full, &full, &bare]
            .into_iter()
            .map(|v| serde_json::from_value(v.clone()).expect("a valid test event"))
            .collect()
    }

    /// The bytes kept as columns are written equal what the events added to the buffers
    /// (walked column by column), after every event and after a batch is finished, and
    /// `append_sized` returns the difference.
    #[test]
    fn kept_bytes_equal_walked_bytes() -> Result<(), ColumnarError> {
        let mut encoder = BatchEncoder::<Authentication>::new(&ColumnarOptions::default())?;
        // The offsets' first zero of every empty Utf8, list and map column: not written by
        // any event, so not counted.
        let empty = encoder.root.walked_bytes();
        for round in 0..2 {
            for event in events() {
                let before = encoder.buffered_bytes();
                let added = encoder.append_sized(&event);
                assert!(added > 0, "round {round}");
                assert_eq!(encoder.buffered_bytes(), before + added);
                assert_eq!(encoder.root.bytes(), encoder.root.walked_bytes() - empty);
            }
            let batch = encoder.finish()?;
            assert_eq!(batch.num_rows(), 8);
            assert_eq!(encoder.buffered_bytes(), 0);
            assert_eq!(encoder.root.walked_bytes(), empty);
        }
        // The odd event's date-time, once per round: written nowhere, counted.
        assert_eq!(encoder.stats().invalid_datetimes, 2);
        Ok(())
    }
}
