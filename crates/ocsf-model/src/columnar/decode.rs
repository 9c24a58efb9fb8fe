//! Arrow arrays back into typed events, tolerant of what real Security Lake files contain.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, ArrayRef, GenericListArray, Int32Array, Int64Array, MapArray, RecordBatch, StringArray,
    StringViewArray, StructArray,
};
use arrow_schema::{DataType, TimeUnit};
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

use super::spares::{SpareTree, Spares, StructSpares};
use super::{Columnar, ColumnarError};
use crate::schema::{ItemDef, SchemaVersion};

/// Decodes the rows of `batch` over `events[start..]` (reusing the events there, appending the
/// rest) with the struct columns' spares kept in `tree`; returns the index after the last row.
pub(crate) fn decode_rows_at<E: Columnar>(
    batch: &RecordBatch,
    events: &mut Vec<E>,
    start: usize,
    tree: &mut SpareTree,
) -> Result<usize, ColumnarError> {
    let array = StructArray::from(batch.clone());
    let decoder = StructDecoder::new(E::schema_version(), E::item(), &array, String::new(), tree)?;
    let rows = batch.num_rows();
    let start = start.min(events.len());
    let reused = (events.len() - start).min(rows);
    for (row, event) in events[start..start + reused].iter_mut().enumerate() {
        event.decode_into(&RowDecoder { dec: &decoder, row })?;
    }
    events.reserve(rows - reused);
    for row in reused..rows {
        events.push(E::decode(&RowDecoder { dec: &decoder, row })?);
    }
    decoder.keep_spares(tree);
    Ok(start + rows)
}

/// Overwrites `slot` with `value`, reusing the string already there, else a spare one.
#[inline(always)]
fn set_str(slot: &mut Option<String>, value: &str, spares: &Spares) {
    match slot {
        Some(s) => {
            s.clear();
            s.push_str(value);
        }
        None => set_spare_str(slot, value, spares),
    }
}

/// [`set_str`] into an empty slot (out of line: a slot usually holds its string already).
#[inline(never)]
fn set_spare_str(slot: &mut Option<String>, value: &str, spares: &Spares) {
    *slot = Some(spare_string(value, spares));
}

/// `value` in a spare string when there is one.
fn spare_string(value: &str, spares: &Spares) -> String {
    let mut s = spares.take::<String>().unwrap_or_default();
    s.clear();
    s.push_str(value);
    s
}

/// Overwrites a value of a `Map<Utf8, Utf8>` row with entry `i` of `values` (null: JSON null),
/// reusing the string already there.
#[inline]
fn set_map_value(slot: &mut Value, values: &StringArray, i: usize) {
    if values.is_null(i) {
        *slot = Value::Null;
    } else if let Value::String(s) = slot {
        s.clear();
        s.push_str(values.value(i));
    } else {
        *slot = Value::String(values.value(i).to_owned());
    }
}

/// Empties `slot`, keeping its value in `spares`.
#[inline]
fn clear_into<V: Send + 'static>(slot: &mut Option<V>, spares: &Spares) {
    if let Some(value) = slot.take() {
        spares.put(value);
    }
}

/// What an object slot holds: `T` or `Box<T>` (a kept box is reused).
trait ObjectSlot<T>: Sized + Send + 'static {
    /// The object already in `slot`, else a spare one (with another row's contents, which
    /// `decode_into` overwrites), else a default one, put there.
    fn get_or_default<'s>(slot: &'s mut Option<Self>, spares: &Spares) -> &'s mut T;
    fn wrap(value: T) -> Self;
}

impl<T: Default + Send + 'static> ObjectSlot<T> for T {
    fn get_or_default<'s>(slot: &'s mut Option<Self>, spares: &Spares) -> &'s mut T {
        slot.get_or_insert_with(|| spares.take::<T>().unwrap_or_default())
    }
    fn wrap(value: T) -> Self {
        value
    }
}

impl<T: Default + Send + 'static> ObjectSlot<T> for Box<T> {
    fn get_or_default<'s>(slot: &'s mut Option<Self>, spares: &Spares) -> &'s mut T {
        slot.get_or_insert_with(|| spares.take::<Box<T>>().unwrap_or_default())
    }
    fn wrap(value: T) -> Self {
        Box::new(value)
    }
}

/// The columns of one struct array, mapped to the attributes of a class or object.
pub(crate) struct StructDecoder<'a> {
    item: &'static ItemDef,
    path: String,
    columns: Vec<Option<Reader<'a>>>,
    /// Bit `i` (for `i` < 128) is set when attribute `i` has a column with a value in this
    /// batch: the absent attributes of a wide class cost one bit test each.
    present: u128,
    extras: Vec<(&'a str, &'a dyn Array)>,
    array: &'a StructArray,
    /// Strings (of any attribute) and maps taken out of the events of this struct, and values
    /// of its own slot type (`T`, `Box<T>` or list elements `T`) taken out of the events of its
    /// parent; from the reader's [`SpareTree`], given back when the batch is decoded.
    spares: StructSpares,
}

enum Reader<'a> {
    Int(IntCol<'a>),
    Float(&'a dyn Array),
    Bool(&'a dyn Array),
    Str(StrCol<'a>),
    Ts(&'a dyn Array, TimeUnit),
    Struct(Box<StructDecoder<'a>>),
    List(Box<ListReader<'a>>),
    Map(&'a MapArray),
    Null,
    Other(&'a dyn Array),
}

struct ListReader<'a> {
    array: &'a dyn Array,
    offsets: Vec<(usize, usize)>,
    values: Reader<'a>,
}

impl<'a> StructDecoder<'a> {
    pub(crate) fn new(
        schema: &'static SchemaVersion,
        item: &'static ItemDef,
        array: &'a StructArray,
        path: String,
        tree: &mut SpareTree,
    ) -> Result<Self, ColumnarError> {
        let mut columns: Vec<Option<Reader<'a>>> =
            (0..item.attributes.len()).map(|_| None).collect();
        let mut extras = Vec::new();
        let fields = array.fields();
        for (i, field) in fields.iter().enumerate() {
            let column = array.column(i).as_ref();
            let name = field.name().as_str();
            match item.attributes.binary_search_by_key(&name, |a| a.name) {
                Ok(index) => {
                    let attr = &item.attributes[index];
                    let child_path = if path.is_empty() {
                        name.to_string()
                    } else {
                        format!("{path}.{name}")
                    };
                    let object = attr
                        .object
                        .and_then(|o| schema.object(o))
                        .filter(|o| !o.attributes.is_empty());
                    columns[index] = Some(reader(schema, object, column, child_path, tree)?);
                }
                Err(_) => extras.push((name, column)),
            }
        }
        let present = columns
            .iter()
            .take(128)
            .enumerate()
            .filter(|(_, c)| !matches!(c, None | Some(Reader::Null)))
            .fold(0u128, |bits, (i, _)| bits | (1u128 << i));
        let spares = tree.take(&path);
        Ok(StructDecoder {
            item,
            path,
            columns,
            present,
            extras,
            array,
            spares,
        })
    }

    /// Gives this decoder's spares, and those of the struct columns under it, back to `tree`
    /// for the next batch.
    fn keep_spares(self, tree: &mut SpareTree) {
        for column in self.columns.into_iter().flatten() {
            column.keep_spares(tree);
        }
        tree.keep(self.path, self.spares);
    }
}

fn reader<'a>(
    schema: &'static SchemaVersion,
    object: Option<&'static ItemDef>,
    column: &'a dyn Array,
    path: String,
    tree: &mut SpareTree,
) -> Result<Reader<'a>, ColumnarError> {
    Ok(match column.data_type() {
        DataType::Null => Reader::Null,
        // A column without a value in this batch reads as absent, like a missing column.
        _ if column.null_count() == column.len() => Reader::Null,
        DataType::Int32 => Reader::Int(IntCol::I32(column.as_primitive::<Int32Type>())),
        DataType::Int64 => Reader::Int(IntCol::I64(column.as_primitive::<Int64Type>())),
        DataType::Utf8 => Reader::Str(StrCol::Utf8(column.as_string::<i32>())),
        DataType::Int8
        | DataType::Int16
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => Reader::Int(IntCol::Other(column)),
        DataType::Float32 | DataType::Float64 => Reader::Float(column),
        DataType::Boolean => Reader::Bool(column),
        DataType::Utf8View => Reader::Str(StrCol::View(column.as_string_view())),
        DataType::LargeUtf8 => Reader::Str(StrCol::Other(column)),
        DataType::Timestamp(unit, _) => Reader::Ts(column, *unit),
        DataType::Struct(_) => match object {
            Some(def) => Reader::Struct(Box::new(StructDecoder::new(
                schema,
                def,
                column.as_struct(),
                path,
                tree,
            )?)),
            None => Reader::Other(column),
        },
        DataType::Map(_, _) => Reader::Map(column.as_map()),
        DataType::List(_) => {
            let list = column.as_list::<i32>();
            list_reader(schema, object, column, list, path, tree)?
        }
        DataType::LargeList(_) => {
            let list = column.as_list::<i64>();
            list_reader(schema, object, column, list, path, tree)?
        }
        _ => Reader::Other(column),
    })
}

fn list_reader<'a, O: arrow_array::OffsetSizeTrait>(
    schema: &'static SchemaVersion,
    object: Option<&'static ItemDef>,
    column: &'a dyn Array,
    list: &'a GenericListArray<O>,
    path: String,
    tree: &mut SpareTree,
) -> Result<Reader<'a>, ColumnarError> {
    let offsets = list
        .value_offsets()
        .windows(2)
        .map(|w| (w[0].as_usize(), w[1].as_usize()))
        .collect();
    let values = reader(schema, object, list.values().as_ref(), path, tree)?;
    Ok(Reader::List(Box::new(ListReader {
        array: column,
        offsets,
        values,
    })))
}

/// One row of a struct being decoded. Generated code reads each attribute by its index in the
/// schema tables.
pub struct RowDecoder<'a> {
    dec: &'a StructDecoder<'a>,
    row: usize,
}

impl<'a> RowDecoder<'a> {
    /// The reader of attribute `index`; `None` when the batch has no column for it, or (for the
    /// first 128 attributes) a column without a value, which decodes the same way.
    #[inline(always)]
    fn column(&self, index: usize) -> Option<&'a Reader<'a>> {
        if index < 128 && self.dec.present & (1u128 << index) == 0 {
            return None;
        }
        self.dec.columns.get(index).and_then(Option::as_ref)
    }

    fn path(&self, index: usize) -> String {
        let name = self.dec.item.attributes.get(index).map_or("?", |a| a.name);
        if self.dec.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.dec.path)
        }
    }

    fn mismatch(&self, index: usize, found: &dyn Array) -> ColumnarError {
        ColumnarError::type_mismatch(self.path(index), found.data_type())
    }

    fn invalid(&self, index: usize, message: String) -> ColumnarError {
        ColumnarError::invalid_value(self.path(index), self.row, &message)
    }

    /// A required attribute: `None` is an error.
    pub fn required<T>(&self, index: usize, value: Option<T>) -> Result<T, ColumnarError> {
        value.ok_or_else(|| ColumnarError::missing_required(self.path(index), self.row))
    }

    /// An `integer_t` attribute (or an integer enum).
    #[inline(always)]
    pub fn int32(&self, index: usize) -> Result<Option<i32>, ColumnarError> {
        match self.column(index) {
            None => Ok(None),
            Some(r) => self.int32_in(index, r),
        }
    }

    #[inline(never)]
    fn int32_in(&self, index: usize, r: &'a Reader<'a>) -> Result<Option<i32>, ColumnarError> {
        if let Reader::Int(IntCol::I32(a)) = r {
            return Ok(a.is_valid(self.row).then(|| a.value(self.row)));
        }
        match self.int64_in(index, r)? {
            None => Ok(None),
            Some(v) => i32::try_from(v)
                .map(Some)
                .map_err(|_| self.invalid(index, format!("{v} does not fit a 32-bit integer"))),
        }
    }

    /// The class's `class_uid`, which must be `expected`: a typed class never reads another
    /// class's rows.
    pub fn class_uid(&self, index: usize, expected: i32) -> Result<i32, ColumnarError> {
        let v = self.required(index, self.int32(index)?)?;
        if v == expected {
            Ok(v)
        } else {
            Err(self.invalid(
                index,
                format!("class_uid {v} does not belong to this class (expected {expected})"),
            ))
        }
    }

    /// A list of `integer_t` values (also integer enums).
    pub fn int32_list(&self, index: usize) -> Result<Option<Vec<i32>>, ColumnarError> {
        let Some(values) = self.int_list(index)? else {
            return Ok(None);
        };
        values
            .into_iter()
            .map(|v| {
                i32::try_from(v)
                    .map_err(|_| self.invalid(index, format!("{v} does not fit a 32-bit integer")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// A `long_t` or `timestamp_t` attribute.
    #[inline(always)]
    pub fn int64(&self, index: usize) -> Result<Option<i64>, ColumnarError> {
        match self.column(index) {
            None => Ok(None),
            Some(r) => self.int64_in(index, r),
        }
    }

    fn int64_in(&self, index: usize, r: &'a Reader<'a>) -> Result<Option<i64>, ColumnarError> {
        match r {
            Reader::Int(a) => a.at(self.row).map_err(|m| self.invalid(index, m)),
            Reader::Ts(a, unit) => Ok(ts_ms_at(*a, *unit, self.row)),
            Reader::Null => Ok(None),
            Reader::Str(a) => match a.at(self.row) {
                None => Ok(None),
                Some(s) => s
                    .parse()
                    .map(Some)
                    .map_err(|_| self.invalid(index, format!("`{s}` is not an integer"))),
            },
            Reader::Float(a) | Reader::Bool(a) | Reader::Other(a) => Err(self.mismatch(index, *a)),
            Reader::Struct(s) => Err(self.mismatch(index, s.array)),
            Reader::List(l) => Err(self.mismatch(index, l.array)),
            Reader::Map(m) => Err(self.mismatch(index, *m)),
        }
    }

    /// A `float_t` attribute.
    #[inline(always)]
    pub fn float(&self, index: usize) -> Result<Option<f64>, ColumnarError> {
        match self.column(index) {
            None => Ok(None),
            Some(r) => self.float_in(index, r),
        }
    }

    fn float_in(&self, index: usize, r: &'a Reader<'a>) -> Result<Option<f64>, ColumnarError> {
        match r {
            Reader::Float(a) => Ok(float_at(*a, self.row)),
            Reader::Int(a) => Ok(a
                .at(self.row)
                .map_err(|m| self.invalid(index, m))?
                .map(|v| v as f64)),
            Reader::Null => Ok(None),
            other => Err(self.mismatch(index, other.array())),
        }
    }

    /// A `boolean_t` attribute.
    #[inline(always)]
    pub fn bool(&self, index: usize) -> Result<Option<bool>, ColumnarError> {
        match self.column(index) {
            None => Ok(None),
            Some(r) => self.bool_in(index, r),
        }
    }

    fn bool_in(&self, index: usize, r: &'a Reader<'a>) -> Result<Option<bool>, ColumnarError> {
        match r {
            Reader::Bool(a) => Ok((!a.is_null(self.row)).then(|| a.as_boolean().value(self.row))),
            Reader::Null => Ok(None),
            other => Err(self.mismatch(index, other.array())),
        }
    }

    /// A string attribute (also string-keyed enums). Numbers are read as their decimal text.
    #[inline]
    pub fn string(&self, index: usize) -> Result<Option<String>, ColumnarError> {
        match self.column(index) {
            None => Ok(None),
            Some(r) => self.string_in(index, r),
        }
    }

    /// A caption sibling derived from its enum: the static caption of `C` when the text equals
    /// one (no string stored), else the text owned.
    #[inline]
    pub fn caption<C: crate::caption::StaticCaptions>(
        &self,
        index: usize,
    ) -> Result<Option<crate::Caption>, ColumnarError> {
        match self.column(index) {
            None => Ok(None),
            Some(Reader::Str(a)) => Ok(a.at(self.row).map(crate::caption::caption_of::<C>)),
            Some(r) => Ok(self.string_in(index, r)?.map(std::borrow::Cow::Owned)),
        }
    }

    /// Like [`RowDecoder::caption`], writing into `slot`: a caption `C` has is borrowed, and
    /// other text overwrites the slot's own string (or a kept one) instead of a new one per row.
    /// An owned string the slot no longer needs is kept for a later row.
    #[inline(always)]
    pub fn caption_into<C: crate::caption::StaticCaptions>(
        &self,
        index: usize,
        slot: &mut Option<crate::Caption>,
    ) -> Result<(), ColumnarError> {
        self.present_or_clear(index, slot, |d, r, slot| {
            d.caption_into_column::<C>(index, r, slot)
        })
    }

    #[inline(never)]
    fn caption_into_column<C: crate::caption::StaticCaptions>(
        &self,
        index: usize,
        r: &'a Reader<'a>,
        slot: &mut Option<crate::Caption>,
    ) -> Result<(), ColumnarError> {
        use std::borrow::Cow;
        let Reader::Str(a) = r else {
            *slot = self.string_in(index, r)?.map(Cow::Owned);
            return Ok(());
        };
        let strings = &self.dec.spares.strings;
        match a.at(self.row).map(|text| (text, C::static_caption(text))) {
            None => {
                if let Some(Cow::Owned(s)) = slot.take() {
                    strings.put(s);
                }
            }
            Some((_, Some(caption))) => {
                if let Some(Cow::Owned(s)) = slot.replace(Cow::Borrowed(caption)) {
                    strings.put(s);
                }
            }
            Some((text, None)) => match slot {
                Some(Cow::Owned(s)) => {
                    s.clear();
                    s.push_str(text);
                }
                _ => *slot = Some(Cow::Owned(spare_string(text, strings))),
            },
        }
        Ok(())
    }

    /// A string attribute read as `T` by `from`, without an owned copy of the text when the
    /// column holds strings (string-keyed enums).
    #[inline]
    pub fn string_with<T>(
        &self,
        index: usize,
        from: impl FnOnce(&str) -> T,
    ) -> Result<Option<T>, ColumnarError> {
        match self.column(index) {
            None => Ok(None),
            Some(Reader::Str(a)) => Ok(a.at(self.row).map(from)),
            Some(r) => Ok(self.string_in(index, r)?.as_deref().map(from)),
        }
    }

    fn string_in(&self, index: usize, r: &'a Reader<'a>) -> Result<Option<String>, ColumnarError> {
        match r {
            Reader::Str(a) => Ok(a.at(self.row).map(String::from)),
            Reader::Int(a) => Ok(a
                .at(self.row)
                .map_err(|m| self.invalid(index, m))?
                .map(|v| v.to_string())),
            Reader::Null => Ok(None),
            other => Err(self.mismatch(index, other.array())),
        }
    }

    /// A `datetime_t` attribute, as RFC 3339 text with milliseconds.
    #[inline]
    pub fn datetime(&self, index: usize) -> Result<Option<String>, ColumnarError> {
        let mut out = None;
        self.datetime_into(index, &mut out)?;
        Ok(out)
    }

    /// A `json_t` attribute. JSON text is parsed; text that is not JSON is kept as a string.
    #[inline]
    pub fn json(&self, index: usize) -> Result<Option<Value>, ColumnarError> {
        match self.column(index) {
            None => Ok(None),
            Some(r) => self.json_in(index, r),
        }
    }

    fn json_in(&self, _index: usize, r: &'a Reader<'a>) -> Result<Option<Value>, ColumnarError> {
        Ok(match r {
            Reader::Str(a) => a
                .at(self.row)
                .map(|s| serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_string()))),
            other => reader_json(other, self.row),
        })
    }

    /// A free-form object (`unmapped`): a Map column, JSON text, or a struct.
    #[inline]
    pub fn map(&self, index: usize) -> Result<Option<Map<String, Value>>, ColumnarError> {
        match self.column(index) {
            None => Ok(None),
            Some(r) => self.map_in(index, r),
        }
    }

    fn map_in(
        &self,
        index: usize,
        r: &'a Reader<'a>,
    ) -> Result<Option<Map<String, Value>>, ColumnarError> {
        match r {
            Reader::Str(a) => match a.at(self.row) {
                None => Ok(None),
                Some(s) => match serde_json::from_str(s) {
                    Ok(Value::Object(m)) => Ok(Some(m)),
                    _ => Err(self.invalid(index, "the text is not a JSON object".into())),
                },
            },
            other => match reader_json(other, self.row) {
                None => Ok(None),
                Some(Value::Object(m)) => Ok(Some(m)),
                Some(_) => Err(self.mismatch(index, other.array())),
            },
        }
    }

    /// Like [`RowDecoder::map`], writing into `slot`. When the row of a Map column has the keys
    /// already in the map, in the same order (a source's `unmapped` usually keeps its shape),
    /// the values are overwritten in place and their strings reused.
    #[inline(always)]
    pub fn map_into(
        &self,
        index: usize,
        slot: &mut Option<Map<String, Value>>,
    ) -> Result<(), ColumnarError> {
        self.present_or_clear(index, slot, |d, r, slot| d.map_into_column(index, r, slot))
    }

    #[inline(never)]
    fn map_into_column(
        &self,
        index: usize,
        r: &'a Reader<'a>,
        slot: &mut Option<Map<String, Value>>,
    ) -> Result<(), ColumnarError> {
        if let Reader::Map(m) = r
            && let (Some(keys), Some(values)) = (
                m.keys().as_string_opt::<i32>(),
                m.values().as_string_opt::<i32>(),
            )
            && let (Some(&start), Some(&end)) = (
                m.value_offsets().get(self.row),
                m.value_offsets().get(self.row + 1),
            )
            && let (Ok(start), Ok(end)) = (usize::try_from(start), usize::try_from(end))
            && start <= end
            && end <= keys.len().min(values.len())
        {
            if m.is_null(self.row) {
                clear_into(slot, &self.dec.spares.maps);
                return Ok(());
            }
            // A null key is left out (the generic path below does that); the rest is in place.
            if keys.null_count() == 0 || (start..end).all(|i| keys.is_valid(i)) {
                let out =
                    slot.get_or_insert_with(|| self.dec.spares.maps.take().unwrap_or_default());
                // The leading entries whose keys are the row's keep their keys and strings.
                let mut same = 0;
                for ((k, v), i) in out.iter_mut().zip(start..end) {
                    if k != keys.value(i) {
                        break;
                    }
                    set_map_value(v, values, i);
                    same += 1;
                }
                if same < out.len() {
                    let mut kept = 0;
                    out.retain(|_, _| {
                        kept += 1;
                        kept <= same
                    });
                }
                // Inserted in order as a fresh map would be (a repeated key keeps its first
                // place and takes the last value).
                for i in start + same..end {
                    let mut v = Value::Null;
                    set_map_value(&mut v, values, i);
                    out.insert(keys.value(i).to_owned(), v);
                }
                return Ok(());
            }
        }
        *slot = self.map_in(index, r)?;
        Ok(())
    }

    /// An object attribute: a struct column, or JSON text (beyond the recursion depth).
    #[inline]
    pub fn object<T: Columnar + DeserializeOwned>(
        &self,
        index: usize,
    ) -> Result<Option<T>, ColumnarError> {
        match self.column(index) {
            None => Ok(None),
            Some(r) => self.object_from(index, r, self.row),
        }
    }

    fn object_from<T: Columnar + DeserializeOwned>(
        &self,
        index: usize,
        r: &'a Reader<'a>,
        row: usize,
    ) -> Result<Option<T>, ColumnarError> {
        match r {
            Reader::Struct(dec) => {
                if dec.array.is_null(row) {
                    Ok(None)
                } else {
                    T::decode(&RowDecoder { dec, row }).map(Some)
                }
            }
            Reader::Str(a) => match a.at(row) {
                None => Ok(None),
                Some(s) => serde_json::from_str(s)
                    .map(Some)
                    .map_err(|e| self.invalid(index, format!("bad JSON text: {e}"))),
            },
            Reader::Null => Ok(None),
            other => Err(self.mismatch(index, other.array())),
        }
    }

    #[inline]
    fn list(
        &self,
        index: usize,
    ) -> Result<Option<(&'a ListReader<'a>, usize, usize)>, ColumnarError> {
        let Some(r) = self.column(index) else {
            return Ok(None);
        };
        match r {
            Reader::List(l) => {
                if l.array.is_null(self.row) {
                    return Ok(None);
                }
                let (start, end) = l.offsets.get(self.row).copied().unwrap_or((0, 0));
                Ok(Some((l, start, end)))
            }
            Reader::Null => Ok(None),
            other => Err(self.mismatch(index, other.array())),
        }
    }

    /// A list of integers (also integer enums).
    pub fn int_list(&self, index: usize) -> Result<Option<Vec<i64>>, ColumnarError> {
        let Some((l, start, end)) = self.list(index)? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(end - start);
        for i in start..end {
            let v = match &l.values {
                Reader::Int(a) => a.at(i).map_err(|m| self.invalid(index, m))?,
                Reader::Ts(a, unit) => ts_ms_at(*a, *unit, i),
                other => return Err(self.mismatch(index, other.array())),
            };
            out.push(v.unwrap_or_default());
        }
        Ok(Some(out))
    }

    /// A list of floats. A null element (which this crate never writes) reads as NaN, as a
    /// `null` element of a float array in JSON does.
    pub fn float_list(&self, index: usize) -> Result<Option<Vec<f64>>, ColumnarError> {
        let Some((l, start, end)) = self.list(index)? else {
            return Ok(None);
        };
        match &l.values {
            Reader::Float(a) => Ok(Some(
                (start..end)
                    .map(|i| float_at(*a, i).unwrap_or(f64::NAN))
                    .collect(),
            )),
            other => Err(self.mismatch(index, other.array())),
        }
    }

    /// A list of booleans.
    pub fn bool_list(&self, index: usize) -> Result<Option<Vec<bool>>, ColumnarError> {
        let Some((l, start, end)) = self.list(index)? else {
            return Ok(None);
        };
        match &l.values {
            Reader::Bool(a) => Ok(Some(
                (start..end).map(|i| a.as_boolean().value(i)).collect(),
            )),
            other => Err(self.mismatch(index, other.array())),
        }
    }

    /// A list of strings (also date-times, as RFC 3339 text).
    pub fn string_list(&self, index: usize) -> Result<Option<Vec<String>>, ColumnarError> {
        let Some((l, start, end)) = self.list(index)? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(end - start);
        for i in start..end {
            out.push(match &l.values {
                Reader::Str(a) => a.at(i).unwrap_or_default().to_string(),
                Reader::Ts(a, unit) => match ts_ms_at(*a, *unit, i) {
                    Some(ms) => crate::time::format_rfc3339_ms(ms)
                        .ok_or_else(|| self.invalid(index, out_of_range(ms)))?,
                    None => String::new(),
                },
                Reader::Int(a) => a
                    .at(i)
                    .map_err(|m| self.invalid(index, m))?
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                other => return Err(self.mismatch(index, other.array())),
            });
        }
        Ok(Some(out))
    }

    /// A list of `json_t` values.
    pub fn json_list(&self, index: usize) -> Result<Option<Vec<Value>>, ColumnarError> {
        let Some((l, start, end)) = self.list(index)? else {
            return Ok(None);
        };
        Ok(Some(
            (start..end)
                .map(|i| match &l.values {
                    Reader::Str(a) => a
                        .at(i)
                        .map(|s| {
                            serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_string()))
                        })
                        .unwrap_or(Value::Null),
                    other => reader_json(other, i).unwrap_or(Value::Null),
                })
                .collect(),
        ))
    }

    /// A list of free-form objects.
    pub fn map_list(&self, index: usize) -> Result<Option<Vec<Map<String, Value>>>, ColumnarError> {
        let Some((l, start, end)) = self.list(index)? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(end - start);
        for i in start..end {
            let v = match &l.values {
                Reader::Str(a) => a.at(i).and_then(|s| serde_json::from_str(s).ok()),
                other => reader_json(other, i),
            };
            match v {
                Some(Value::Object(m)) => out.push(m),
                _ => out.push(Map::new()),
            }
        }
        Ok(Some(out))
    }

    /// A list of objects.
    pub fn object_list<T: Columnar + DeserializeOwned>(
        &self,
        index: usize,
    ) -> Result<Option<Vec<T>>, ColumnarError> {
        let Some((l, start, end)) = self.list(index)? else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(end - start);
        for i in start..end {
            if let Some(v) = self.object_from(index, &l.values, i)? {
                out.push(v);
            }
        }
        Ok(Some(out))
    }

    /// The in-place decoders' common shape: most attributes of a wide class are absent, and that
    /// case stays inline at the call site (the slot is cleared, written only when it holds a
    /// value); a present column goes to the decoder's out-of-line `present` path.
    #[inline(always)]
    fn present_or_clear<T>(
        &self,
        index: usize,
        slot: &mut Option<T>,
        present: impl FnOnce(&Self, &'a Reader<'a>, &mut Option<T>) -> Result<(), ColumnarError>,
    ) -> Result<(), ColumnarError> {
        match self.column(index) {
            None => {
                if slot.is_some() {
                    *slot = None;
                }
                Ok(())
            }
            Some(r) => present(self, r, slot),
        }
    }

    /// Like [`RowDecoder::string`], writing into `slot` and reusing its string.
    #[inline(always)]
    pub fn string_into(
        &self,
        index: usize,
        slot: &mut Option<String>,
    ) -> Result<(), ColumnarError> {
        match self.column(index) {
            None => {
                if slot.is_some() {
                    self.keep_string(slot);
                }
                Ok(())
            }
            Some(r) => self.string_into_column(index, r, slot),
        }
    }

    /// Empties a string slot whose attribute has no column in this batch, keeping the string
    /// for a later row or batch.
    #[cold]
    #[inline(never)]
    fn keep_string(&self, slot: &mut Option<String>) {
        clear_into(slot, &self.dec.spares.strings);
    }

    #[inline(never)]
    fn string_into_column(
        &self,
        index: usize,
        r: &'a Reader<'a>,
        slot: &mut Option<String>,
    ) -> Result<(), ColumnarError> {
        match r {
            Reader::Str(a) => match a.at(self.row) {
                Some(s) => set_str(slot, s, &self.dec.spares.strings),
                None => clear_into(slot, &self.dec.spares.strings),
            },
            r => *slot = self.string_in(index, r)?,
        }
        Ok(())
    }

    /// A required string attribute, written into `value` (its capacity reused); null or missing
    /// is an error.
    pub fn required_string_into(
        &self,
        index: usize,
        value: &mut String,
    ) -> Result<(), ColumnarError> {
        if let Some(Reader::Str(a)) = self.column(index)
            && let Some(s) = a.at(self.row)
        {
            value.clear();
            value.push_str(s);
            return Ok(());
        }
        *value = self.required(index, self.string(index)?)?;
        Ok(())
    }

    /// Like [`RowDecoder::datetime`], writing into `slot` and reusing its string.
    #[inline(always)]
    pub fn datetime_into(
        &self,
        index: usize,
        slot: &mut Option<String>,
    ) -> Result<(), ColumnarError> {
        self.present_or_clear(index, slot, |d, r, slot| {
            d.datetime_into_column(index, r, slot)
        })
    }

    #[inline(never)]
    fn datetime_into_column(
        &self,
        index: usize,
        r: &'a Reader<'a>,
        slot: &mut Option<String>,
    ) -> Result<(), ColumnarError> {
        let ms = match r {
            Reader::Null => None,
            Reader::Ts(a, unit) => ts_ms_at(*a, *unit, self.row),
            Reader::Int(a) => a.at(self.row).map_err(|m| self.invalid(index, m))?,
            Reader::Str(a) => {
                match a.at(self.row) {
                    Some(s) => set_str(slot, s, &self.dec.spares.strings),
                    None => clear_into(slot, &self.dec.spares.strings),
                }
                return Ok(());
            }
            other => return Err(self.mismatch(index, other.array())),
        };
        match ms {
            Some(ms) => {
                let s =
                    slot.get_or_insert_with(|| self.dec.spares.strings.take().unwrap_or_default());
                s.clear();
                if !crate::time::write_rfc3339_ms(s, ms) {
                    return Err(self.invalid(index, out_of_range(ms)));
                }
            }
            None => clear_into(slot, &self.dec.spares.strings),
        }
        Ok(())
    }

    /// Like [`RowDecoder::object`], decoding into the object already in `slot` when there is
    /// one ([`Columnar::decode_into`]).
    #[inline(always)]
    pub fn object_into<T: Columnar + DeserializeOwned + Default + Send + 'static>(
        &self,
        index: usize,
        slot: &mut Option<T>,
    ) -> Result<(), ColumnarError> {
        self.present_or_clear(index, slot, |d, r, slot| {
            d.object_into_column::<T, T>(index, r, slot)
        })
    }

    /// [`RowDecoder::object_into`] for a boxed object: the box is kept and its object
    /// overwritten.
    #[inline(always)]
    pub fn boxed_object_into<T: Columnar + DeserializeOwned + Default + Send + 'static>(
        &self,
        index: usize,
        slot: &mut Option<Box<T>>,
    ) -> Result<(), ColumnarError> {
        self.present_or_clear(index, slot, |d, r, slot| {
            d.object_into_column::<T, Box<T>>(index, r, slot)
        })
    }

    #[inline(never)]
    fn object_into_column<T, S>(
        &self,
        index: usize,
        r: &'a Reader<'a>,
        slot: &mut Option<S>,
    ) -> Result<(), ColumnarError>
    where
        T: Columnar + DeserializeOwned + Default + Send + 'static,
        S: ObjectSlot<T>,
    {
        match r {
            Reader::Struct(dec) if !dec.array.is_null(self.row) => {
                S::get_or_default(slot, &dec.spares.objects)
                    .decode_into(&RowDecoder { dec, row: self.row })?;
            }
            Reader::Struct(dec) => clear_into(slot, &dec.spares.objects),
            Reader::Null => *slot = None,
            r => *slot = self.object_from(index, r, self.row)?.map(S::wrap),
        }
        Ok(())
    }

    /// A required object attribute, decoded into `value`; null or missing is an error.
    pub fn required_object_into<T: Columnar + DeserializeOwned>(
        &self,
        index: usize,
        value: &mut T,
    ) -> Result<(), ColumnarError> {
        if let Some(Reader::Struct(dec)) = self.column(index)
            && !dec.array.is_null(self.row)
        {
            return value.decode_into(&RowDecoder { dec, row: self.row });
        }
        *value = self.required(index, self.object::<T>(index)?)?;
        Ok(())
    }

    /// Like [`RowDecoder::object_list`], decoding into the objects already in the list.
    #[inline(always)]
    pub fn object_list_into<T: Columnar + DeserializeOwned + Default + Send + 'static>(
        &self,
        index: usize,
        slot: &mut Option<Vec<T>>,
    ) -> Result<(), ColumnarError> {
        self.present_or_clear(index, slot, |d, _, slot| {
            d.object_list_into_column(index, slot)
        })
    }

    #[inline(never)]
    fn object_list_into_column<T: Columnar + DeserializeOwned + Default + Send + 'static>(
        &self,
        index: usize,
        slot: &mut Option<Vec<T>>,
    ) -> Result<(), ColumnarError> {
        // The objects a row no longer has are kept by the elements' decoder for a later row.
        let spares = match self.column(index) {
            Some(Reader::List(l)) => match &l.values {
                Reader::Struct(dec) => Some(&dec.spares.objects),
                _ => None,
            },
            _ => None,
        };
        let Some((l, start, end)) = self.list(index)? else {
            if let (Some(spares), Some(old)) = (spares, slot.as_mut()) {
                spares.put_all(old.drain(..));
            }
            *slot = None;
            return Ok(());
        };
        let out = slot.get_or_insert_with(Vec::new);
        let mut n = 0;
        for i in start..end {
            match &l.values {
                Reader::Struct(dec) => {
                    if dec.array.is_null(i) {
                        continue;
                    }
                    let row = RowDecoder { dec, row: i };
                    if let Some(v) = out.get_mut(n) {
                        v.decode_into(&row)?;
                    } else {
                        let mut v = dec.spares.objects.take::<T>().unwrap_or_default();
                        v.decode_into(&row)?;
                        out.push(v);
                    }
                    n += 1;
                }
                other => {
                    if let Some(v) = self.object_from(index, other, i)? {
                        if let Some(old) = out.get_mut(n) {
                            *old = v;
                        } else {
                            out.push(v);
                        }
                        n += 1;
                    }
                }
            }
        }
        match spares {
            Some(spares) if n < out.len() => spares.put_all(out.drain(n..)),
            _ => out.truncate(n),
        }
        Ok(())
    }

    /// Like [`RowDecoder::string_list`], writing into the strings already in the list.
    #[inline(always)]
    pub fn string_list_into(
        &self,
        index: usize,
        slot: &mut Option<Vec<String>>,
    ) -> Result<(), ColumnarError> {
        self.present_or_clear(index, slot, |d, _, slot| {
            d.string_list_into_column(index, slot)
        })
    }

    #[inline(never)]
    fn string_list_into_column(
        &self,
        index: usize,
        slot: &mut Option<Vec<String>>,
    ) -> Result<(), ColumnarError> {
        let strings = &self.dec.spares.strings;
        let Some((l, start, end)) = self.list(index)? else {
            if let Some(old) = slot.as_mut() {
                strings.put_all(old.drain(..));
            }
            *slot = None;
            return Ok(());
        };
        let Reader::Str(a) = &l.values else {
            *slot = self.string_list(index)?;
            return Ok(());
        };
        let out = slot.get_or_insert_with(Vec::new);
        if out.len() > end - start {
            strings.put_all(out.drain(end - start..));
        }
        let reused = out.len();
        for (k, s) in out.iter_mut().enumerate() {
            s.clear();
            s.push_str(a.at(start + k).unwrap_or_default());
        }
        for i in start + reused..end {
            out.push(spare_string(a.at(i).unwrap_or_default(), strings));
        }
        Ok(())
    }

    /// Like [`RowDecoder::unknown`], writing into `slot` (nothing to do when the batch has no
    /// extra column and `slot` is empty, the common case).
    #[inline(always)]
    pub fn unknown_into(&self, slot: &mut Map<String, Value>) -> Result<(), ColumnarError> {
        if self.dec.extras.is_empty() {
            if !slot.is_empty() {
                slot.clear();
            }
            return Ok(());
        }
        *slot = self.unknown()?;
        Ok(())
    }

    /// The columns the class or object does not define, as JSON (nulls left out).
    pub fn unknown(&self) -> Result<Map<String, Value>, ColumnarError> {
        let mut out = Map::new();
        for (name, array) in &self.dec.extras {
            if let Some(v) = array_json(*array, self.row) {
                out.insert((*name).to_string(), v);
            }
        }
        Ok(out)
    }
}

impl<'a> Reader<'a> {
    /// Gives the spares of the struct columns in this reader back to `tree`.
    fn keep_spares(self, tree: &mut SpareTree) {
        match self {
            Reader::Struct(dec) => dec.keep_spares(tree),
            Reader::List(list) => list.values.keep_spares(tree),
            _ => {}
        }
    }

    fn array(&self) -> &'a dyn Array {
        match self {
            Reader::Int(a) => a.array(),
            Reader::Str(a) => a.array(),
            Reader::Float(a) | Reader::Bool(a) | Reader::Other(a) => *a,
            Reader::Ts(a, _) => *a,
            Reader::Struct(s) => s.array,
            Reader::List(l) => l.array,
            Reader::Map(m) => *m,
            Reader::Null => &*EMPTY_NULLS,
        }
    }
}

/// An integer column, downcast once per batch for the common widths.
#[derive(Clone, Copy)]
enum IntCol<'a> {
    I32(&'a Int32Array),
    I64(&'a Int64Array),
    Other(&'a dyn Array),
}

impl<'a> IntCol<'a> {
    #[inline]
    fn at(self, row: usize) -> Result<Option<i64>, String> {
        match self {
            IntCol::I32(a) => Ok(a.is_valid(row).then(|| i64::from(a.value(row)))),
            IntCol::I64(a) => Ok(a.is_valid(row).then(|| a.value(row))),
            IntCol::Other(a) => int_at(a, row),
        }
    }

    fn array(self) -> &'a dyn Array {
        match self {
            IntCol::I32(a) => a,
            IntCol::I64(a) => a,
            IntCol::Other(a) => a,
        }
    }
}

/// A string column, downcast once per batch for `Utf8` and `Utf8View`.
#[derive(Clone, Copy)]
enum StrCol<'a> {
    Utf8(&'a StringArray),
    View(&'a StringViewArray),
    Other(&'a dyn Array),
}

impl<'a> StrCol<'a> {
    #[inline]
    fn at(self, row: usize) -> Option<&'a str> {
        match self {
            StrCol::Utf8(a) => a.is_valid(row).then(|| a.value(row)),
            StrCol::View(a) => a.is_valid(row).then(|| a.value(row)),
            StrCol::Other(a) => str_at(a, row),
        }
    }

    fn array(self) -> &'a dyn Array {
        match self {
            StrCol::Utf8(a) => a,
            StrCol::View(a) => a,
            StrCol::Other(a) => a,
        }
    }
}

static EMPTY_NULLS: std::sync::LazyLock<arrow_array::NullArray> =
    std::sync::LazyLock::new(|| arrow_array::NullArray::new(0));

fn reader_json(r: &Reader<'_>, row: usize) -> Option<Value> {
    match r {
        Reader::Null => None,
        other => array_json(other.array(), row),
    }
}

fn int_at(a: &dyn Array, row: usize) -> Result<Option<i64>, String> {
    if a.is_null(row) {
        return Ok(None);
    }
    Ok(Some(match a.data_type() {
        DataType::Int8 => i64::from(a.as_primitive::<Int8Type>().value(row)),
        DataType::Int16 => i64::from(a.as_primitive::<Int16Type>().value(row)),
        DataType::Int32 => i64::from(a.as_primitive::<Int32Type>().value(row)),
        DataType::Int64 => a.as_primitive::<Int64Type>().value(row),
        DataType::UInt8 => i64::from(a.as_primitive::<UInt8Type>().value(row)),
        DataType::UInt16 => i64::from(a.as_primitive::<UInt16Type>().value(row)),
        DataType::UInt32 => i64::from(a.as_primitive::<UInt32Type>().value(row)),
        DataType::UInt64 => {
            let v = a.as_primitive::<UInt64Type>().value(row);
            i64::try_from(v).map_err(|_| format!("{v} does not fit a 64-bit integer"))?
        }
        other => return Err(format!("{other} is not an integer column")),
    }))
}

fn float_at(a: &dyn Array, row: usize) -> Option<f64> {
    if a.is_null(row) {
        return None;
    }
    match a.data_type() {
        DataType::Float32 => Some(f64::from(a.as_primitive::<Float32Type>().value(row))),
        DataType::Float64 => Some(a.as_primitive::<Float64Type>().value(row)),
        _ => None,
    }
}

fn ts_ms_at(a: &dyn Array, unit: TimeUnit, row: usize) -> Option<i64> {
    if a.is_null(row) {
        return None;
    }
    Some(match unit {
        TimeUnit::Second => a
            .as_primitive::<TimestampSecondType>()
            .value(row)
            .saturating_mul(1000),
        TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().value(row),
        TimeUnit::Microsecond => a
            .as_primitive::<TimestampMicrosecondType>()
            .value(row)
            .div_euclid(1000),
        TimeUnit::Nanosecond => a
            .as_primitive::<TimestampNanosecondType>()
            .value(row)
            .div_euclid(1_000_000),
    })
}

fn str_at(a: &dyn Array, row: usize) -> Option<&str> {
    if a.is_null(row) {
        return None;
    }
    match a.data_type() {
        DataType::Utf8 => Some(a.as_string::<i32>().value(row)),
        DataType::LargeUtf8 => Some(a.as_string::<i64>().value(row)),
        DataType::Utf8View => Some(a.as_string_view().value(row)),
        _ => None,
    }
}

/// Any Arrow value as JSON (for columns a class does not define); `None` for null.
pub(crate) fn array_json(a: &dyn Array, row: usize) -> Option<Value> {
    if row >= a.len() || a.is_null(row) {
        return None;
    }
    Some(match a.data_type() {
        DataType::Boolean => Value::Bool(a.as_boolean().value(row)),
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32 => Value::from(int_at(a, row).ok()??),
        DataType::UInt64 => Value::from(a.as_primitive::<UInt64Type>().value(row)),
        DataType::Float32 | DataType::Float64 => float_at(a, row)
            .and_then(Number::from_f64)
            .map_or(Value::Null, Value::Number),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            Value::String(str_at(a, row)?.to_string())
        }
        DataType::Timestamp(unit, _) => Value::from(ts_ms_at(a, *unit, row)?),
        DataType::Struct(fields) => {
            let s = a.as_struct();
            let mut m = Map::new();
            for (i, f) in fields.iter().enumerate() {
                if let Some(v) = array_json(s.column(i).as_ref(), row) {
                    m.insert(f.name().clone(), v);
                }
            }
            Value::Object(m)
        }
        DataType::List(_) => list_json(a.as_list::<i32>(), row),
        DataType::LargeList(_) => list_json(a.as_list::<i64>(), row),
        DataType::Map(_, _) => {
            let m = a.as_map();
            let entries = m.value(row);
            let keys = entries.column(0);
            let values = entries.column(1);
            let mut out = Map::new();
            for i in 0..entries.len() {
                let key = match array_json(keys.as_ref(), i) {
                    Some(Value::String(s)) => s,
                    Some(other) => other.to_string(),
                    None => continue,
                };
                out.insert(key, array_json(values.as_ref(), i).unwrap_or(Value::Null));
            }
            Value::Object(out)
        }
        _ => Value::String(format!("{a:?}")),
    })
}

fn list_json<O: arrow_array::OffsetSizeTrait>(l: &GenericListArray<O>, row: usize) -> Value {
    let values: ArrayRef = l.value(row);
    Value::Array(
        (0..values.len())
            .map(|i| array_json(values.as_ref(), i).unwrap_or(Value::Null))
            .collect(),
    )
}

/// The message of a timestamp without an RFC 3339 form.
fn out_of_range(ms: i64) -> String {
    format!("timestamp {ms} ms is outside years 0000 to 9999 (no RFC 3339 form)")
}
