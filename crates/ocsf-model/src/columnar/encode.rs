//! Typed events into Arrow arrays.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use arrow_array::Array;
use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Float32Builder, Int32Builder, Int64Builder, StringBuilder,
    TimestampMillisecondBuilder,
};
use arrow_array::{ArrayRef, ListArray, MapArray, RecordBatch, StructArray};
use arrow_buffer::{NullBuffer, NullBufferBuilder, OffsetBuffer, ScalarBuffer};
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

    /// The Arrow schema of the batches.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Appends one event.
    pub fn append(&mut self, event: &E) {
        self.root.row(|e| event.encode(e));
    }

    /// The number of events appended since the last [`finish`](Self::finish).
    pub fn len(&self) -> usize {
        self.root.len
    }

    /// Whether no event was appended since the last [`finish`](Self::finish).
    pub fn is_empty(&self) -> bool {
        self.root.len == 0
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
        let mut root = std::mem::replace(&mut self.root, StructEncoder::new(self.layout.clone()));
        let rows = root.len;
        let columns = root.finish_children(&mut self.nulls)?;
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
pub struct StructEncoder {
    layout: Arc<StructLayout>,
    children: Vec<Option<Enc>>,
    len: usize,
    nulls: NullBufferBuilder,
    stats: EncodeStats,
}

enum Enc {
    Int32(Int32Builder),
    Int64(Int64Builder),
    Float32(Float32Builder),
    Bool(BooleanBuilder),
    Utf8(StringBuilder),
    Ts(TimestampMillisecondBuilder),
    Json(StringBuilder),
    Map(Box<MapEnc>),
    Struct(Box<StructEncoder>),
    List(Box<ListEnc>),
}

struct ListEnc {
    offsets: Vec<i32>,
    nulls: NullBufferBuilder,
    inner: Enc,
    field: Arc<Field>,
}

struct MapEnc {
    offsets: Vec<i32>,
    nulls: NullBufferBuilder,
    keys: StringBuilder,
    values: StringBuilder,
}

impl Enc {
    fn new(col: &Col) -> Enc {
        match col {
            Col::Int32 => Enc::Int32(Int32Builder::new()),
            Col::Int64 => Enc::Int64(Int64Builder::new()),
            Col::Float32 => Enc::Float32(Float32Builder::new()),
            Col::Bool => Enc::Bool(BooleanBuilder::new()),
            Col::Utf8 => Enc::Utf8(StringBuilder::new()),
            Col::TimestampMs => Enc::Ts(TimestampMillisecondBuilder::new().with_timezone("UTC")),
            Col::Json => Enc::Json(StringBuilder::new()),
            Col::Map => Enc::Map(Box::new(MapEnc {
                offsets: vec![0],
                nulls: NullBufferBuilder::new(0),
                keys: StringBuilder::new(),
                values: StringBuilder::new(),
            })),
            Col::Struct(layout) => Enc::Struct(Box::new(StructEncoder::new(layout.clone()))),
            Col::List(inner) => Enc::List(Box::new(ListEnc {
                offsets: vec![0],
                nulls: NullBufferBuilder::new(0),
                inner: Enc::new(inner),
                field: Arc::new(Field::new("element", inner.data_type(), true)),
            })),
        }
    }

    #[inline]
    fn len(&self) -> usize {
        match self {
            Enc::Int32(b) => b.len(),
            Enc::Int64(b) => b.len(),
            Enc::Float32(b) => b.len(),
            Enc::Bool(b) => b.len(),
            Enc::Utf8(b) | Enc::Json(b) => b.len(),
            Enc::Ts(b) => b.len(),
            Enc::Map(m) => m.offsets.len() - 1,
            Enc::Struct(s) => s.len,
            Enc::List(l) => l.offsets.len() - 1,
        }
    }

    /// Pads with `n` nulls; nothing to do (the common case, inline) when `n` is 0.
    #[inline(always)]
    fn append_nulls(&mut self, n: usize) {
        if n != 0 {
            self.append_nulls_slow(n);
        }
    }

    #[inline(never)]
    fn append_nulls_slow(&mut self, n: usize) {
        match self {
            Enc::Int32(b) => b.append_nulls(n),
            Enc::Int64(b) => b.append_nulls(n),
            Enc::Float32(b) => b.append_nulls(n),
            Enc::Bool(b) => b.append_nulls(n),
            Enc::Utf8(b) | Enc::Json(b) => b.append_nulls(n),
            Enc::Ts(b) => b.append_nulls(n),
            Enc::Map(m) => {
                let last = m.offsets.last().copied().unwrap_or(0);
                m.offsets.extend(std::iter::repeat_n(last, n));
                m.nulls.append_n_nulls(n);
            }
            Enc::Struct(s) => {
                s.len += n;
                s.nulls.append_n_nulls(n);
            }
            Enc::List(l) => {
                let last = l.offsets.last().copied().unwrap_or(0);
                l.offsets.extend(std::iter::repeat_n(last, n));
                l.nulls.append_n_nulls(n);
            }
        }
    }

    fn finish(&mut self, null_arrays: &mut NullArrays) -> Result<ArrayRef, ColumnarError> {
        Ok(match self {
            Enc::Int32(b) => Arc::new(b.finish()),
            Enc::Int64(b) => Arc::new(b.finish()),
            Enc::Float32(b) => Arc::new(b.finish()),
            Enc::Bool(b) => Arc::new(b.finish()),
            Enc::Utf8(b) | Enc::Json(b) => Arc::new(b.finish()),
            Enc::Ts(b) => Arc::new(b.finish()),
            Enc::Map(m) => {
                let keys = Arc::new(m.keys.finish()) as ArrayRef;
                let values = Arc::new(m.values.finish()) as ArrayRef;
                let entries_field = map_entries_field();
                let arrow_schema::DataType::Struct(fields) = entries_field.data_type() else {
                    return Err(ColumnarError::InvalidOptions(
                        "map entries are not a struct".into(),
                    ));
                };
                let entries = StructArray::try_new(fields.clone(), vec![keys, values], None)?;
                let offsets = OffsetBuffer::new(ScalarBuffer::from(std::mem::replace(
                    &mut m.offsets,
                    vec![0],
                )));
                Arc::new(MapArray::try_new(
                    entries_field,
                    offsets,
                    entries,
                    m.nulls.finish(),
                    false,
                )?)
            }
            Enc::Struct(s) => {
                let len = s.len;
                let fields = s.layout.fields.clone();
                let nulls = s.nulls.finish();
                let children = s.finish_children(null_arrays)?;
                s.len = 0;
                Arc::new(StructArray::try_new_with_length(
                    fields, children, nulls, len,
                )?)
            }
            Enc::List(l) => {
                let values = l.inner.finish(null_arrays)?;
                let offsets = OffsetBuffer::new(ScalarBuffer::from(std::mem::replace(
                    &mut l.offsets,
                    vec![0],
                )));
                Arc::new(ListArray::try_new(
                    l.field.clone(),
                    offsets,
                    values,
                    l.nulls.finish(),
                )?)
            }
        })
    }
}

impl StructEncoder {
    fn new(layout: Arc<StructLayout>) -> Self {
        let children = layout
            .slots
            .iter()
            .map(|s| s.as_ref().map(Enc::new))
            .collect();
        StructEncoder {
            layout,
            children,
            len: 0,
            nulls: NullBufferBuilder::new(0),
            stats: EncodeStats::default(),
        }
    }

    fn add_stats(&self, total: &mut EncodeStats) {
        total.unknown_attributes += self.stats.unknown_attributes;
        total.invalid_datetimes += self.stats.invalid_datetimes;
        total.out_of_range += self.stats.out_of_range;
        for child in self.children.iter().flatten() {
            match child {
                Enc::Struct(s) => s.add_stats(total),
                Enc::List(l) => {
                    if let Enc::Struct(s) = &l.inner {
                        s.add_stats(total);
                    }
                }
                _ => {}
            }
        }
    }

    /// Writes one row: `fill` appends the row's attributes.
    fn row(&mut self, fill: impl FnOnce(&mut StructEncoder)) {
        fill(self);
        self.len += 1;
        self.nulls.append_non_null();
    }

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
            if child.len() == 0 && len > 0 {
                // Never written in this batch: an all-null array (shared zeroed buffers) instead
                // of `len` appends to every builder below it.
                out.push(null_arrays.get(field.data_type(), len));
                continue;
            }
            let pad = len.saturating_sub(child.len());
            child.append_nulls(pad);
            out.push(child.finish(null_arrays)?);
        }
        Ok(out)
    }

    /// The builder of attribute `index`, padded with nulls up to the current row; `None` when
    /// the attribute is not in the layout.
    #[inline(always)]
    fn slot(&mut self, index: usize) -> Option<&mut Enc> {
        let row = self.len;
        let child = self.children.get_mut(index)?.as_mut()?;
        let pad = row.saturating_sub(child.len());
        child.append_nulls(pad);
        Some(child)
    }

    /// An integer attribute.
    pub fn int(&mut self, index: usize, value: Option<i64>) {
        let Some(v) = value else { return };
        let mut overflow = false;
        match self.slot(index) {
            Some(Enc::Int32(b)) => match i32::try_from(v) {
                Ok(v) => b.append_value(v),
                Err(_) => overflow = true,
            },
            Some(Enc::Int64(b)) => b.append_value(v),
            _ => {}
        }
        if overflow {
            self.stats.out_of_range += 1;
        }
    }

    /// A float attribute.
    pub fn float(&mut self, index: usize, value: Option<f64>) {
        let Some(v) = value else { return };
        if let Some(Enc::Float32(b)) = self.slot(index) {
            b.append_value(v as f32);
        }
    }

    /// A boolean attribute.
    pub fn bool(&mut self, index: usize, value: Option<bool>) {
        let Some(v) = value else { return };
        if let Some(Enc::Bool(b)) = self.slot(index) {
            b.append_value(v);
        }
    }

    /// A string attribute (also string-keyed enums).
    pub fn str(&mut self, index: usize, value: Option<&str>) {
        // The value is checked first: an absent value must not pad the column (padding is
        // deferred to the next value or to the end of the batch).
        let Some(v) = value else { return };
        if let Some(Enc::Utf8(b) | Enc::Json(b)) = self.slot(index) {
            b.append_value(v);
        }
    }

    /// A `datetime_t` attribute: RFC 3339 text into a millisecond timestamp.
    pub fn datetime(&mut self, index: usize, value: Option<&str>) {
        let Some(v) = value else { return };
        let mut invalid = false;
        if let Some(Enc::Ts(b)) = self.slot(index) {
            match crate::time::parse_rfc3339_ms(v) {
                Some(ms) => b.append_value(ms),
                None => invalid = true,
            }
        }
        if invalid {
            self.stats.invalid_datetimes += 1;
        }
    }

    /// A `json_t` attribute, as JSON text.
    pub fn json(&mut self, index: usize, value: Option<&Value>) {
        let Some(v) = value else { return };
        if let Some(Enc::Json(b) | Enc::Utf8(b)) = self.slot(index) {
            b.append_value(v.to_string());
        }
    }

    /// A free-form object (`unmapped`): string values as they are, others as JSON text.
    pub fn map(&mut self, index: usize, value: Option<&Map<String, Value>>) {
        let Some(v) = value else { return };
        match self.slot(index) {
            Some(Enc::Map(m)) => m.append(v),
            Some(Enc::Json(b)) => b.append_value(Value::Object(v.clone()).to_string()),
            _ => {}
        }
    }

    /// An object attribute.
    pub fn object<T: Columnar + Serialize>(&mut self, index: usize, value: Option<&T>) {
        let Some(v) = value else { return };
        match self.slot(index) {
            Some(Enc::Struct(s)) => s.row(|s| v.encode(s)),
            Some(Enc::Json(b)) => b.append_value(json_text(v)),
            _ => {}
        }
    }

    /// A list of integers.
    pub fn int_list(&mut self, index: usize, value: Option<&[i64]>) {
        let Some(values) = value else { return };
        let mut overflow = 0;
        if let Some(Enc::List(l)) = self.slot(index) {
            match &mut l.inner {
                Enc::Int32(b) => {
                    for v in values {
                        match i32::try_from(*v) {
                            Ok(v) => b.append_value(v),
                            Err(_) => {
                                b.append_null();
                                overflow += 1;
                            }
                        }
                    }
                }
                Enc::Int64(b) => b.append_slice(values),
                _ => {}
            }
            l.close();
        }
        self.stats.out_of_range += overflow;
    }

    /// A list of floats.
    pub fn float_list(&mut self, index: usize, value: Option<&[f64]>) {
        let Some(values) = value else { return };
        if let Some(Enc::List(l)) = self.slot(index) {
            if let Enc::Float32(b) = &mut l.inner {
                for v in values {
                    b.append_value(*v as f32);
                }
            }
            l.close();
        }
    }

    /// A list of booleans.
    pub fn bool_list(&mut self, index: usize, value: Option<&[bool]>) {
        let Some(values) = value else { return };
        if let Some(Enc::List(l)) = self.slot(index) {
            if let Enc::Bool(b) = &mut l.inner {
                for v in values {
                    b.append_value(*v);
                }
            }
            l.close();
        }
    }

    /// A list of strings (also string-keyed enums and date-times).
    pub fn str_list<S: AsRef<str>>(&mut self, index: usize, value: Option<&[S]>) {
        let Some(values) = value else { return };
        let mut invalid = 0;
        if let Some(Enc::List(l)) = self.slot(index) {
            match &mut l.inner {
                Enc::Utf8(b) | Enc::Json(b) => {
                    for v in values {
                        b.append_value(v.as_ref());
                    }
                }
                Enc::Ts(b) => {
                    for v in values {
                        match crate::time::parse_rfc3339_ms(v.as_ref()) {
                            Some(ms) => b.append_value(ms),
                            None => {
                                b.append_null();
                                invalid += 1;
                            }
                        }
                    }
                }
                _ => {}
            }
            l.close();
        }
        self.stats.invalid_datetimes += invalid;
    }

    /// A list of `json_t` values.
    pub fn json_list(&mut self, index: usize, value: Option<&[Value]>) {
        let Some(values) = value else { return };
        if let Some(Enc::List(l)) = self.slot(index) {
            if let Enc::Json(b) | Enc::Utf8(b) = &mut l.inner {
                for v in values {
                    b.append_value(v.to_string());
                }
            }
            l.close();
        }
    }

    /// A list of free-form objects.
    pub fn map_list(&mut self, index: usize, value: Option<&[Map<String, Value>]>) {
        let Some(values) = value else { return };
        if let Some(Enc::List(l)) = self.slot(index) {
            match &mut l.inner {
                Enc::Map(m) => values.iter().for_each(|v| m.append(v)),
                Enc::Json(b) => values
                    .iter()
                    .for_each(|v| b.append_value(Value::Object(v.clone()).to_string())),
                _ => {}
            }
            l.close();
        }
    }

    /// A list of objects.
    pub fn object_list<T: Columnar + Serialize>(&mut self, index: usize, value: Option<&[T]>) {
        let Some(values) = value else { return };
        if let Some(Enc::List(l)) = self.slot(index) {
            match &mut l.inner {
                Enc::Struct(s) => {
                    for v in values {
                        s.row(|s| v.encode(s));
                    }
                }
                Enc::Json(b) => {
                    for v in values {
                        b.append_value(json_text(v));
                    }
                }
                _ => {}
            }
            l.close();
        }
    }

    /// The attributes a schema version does not define: counted, since the fixed columnar
    /// schema has no column for them.
    pub fn unknown(&mut self, value: &Map<String, Value>) {
        self.stats.unknown_attributes += value.len() as u64;
    }
}

impl ListEnc {
    /// Ends the current list value after its elements were appended.
    fn close(&mut self) {
        let len = i32::try_from(self.inner.len()).unwrap_or(i32::MAX);
        self.offsets.push(len);
        self.nulls.append_non_null();
    }
}

impl MapEnc {
    fn append(&mut self, value: &Map<String, Value>) {
        for (k, v) in value {
            self.keys.append_value(k);
            match v {
                Value::String(s) => self.values.append_value(s),
                Value::Null => self.values.append_null(),
                other => self.values.append_value(other.to_string()),
            }
        }
        let len = i32::try_from(self.keys.len()).unwrap_or(i32::MAX);
        self.offsets.push(len);
        self.nulls.append_non_null();
    }
}

fn json_text<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|e| Value::String(format!("unserializable: {e}")).to_string())
}
