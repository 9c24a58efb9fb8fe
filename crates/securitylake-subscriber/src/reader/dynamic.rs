//! Rows of any class as [`DynamicEvent`]s: Arrow batches written as JSON objects.

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_data::ArrayData;
use arrow_schema::{DataType, FieldRef, Schema};
use ocsf_model::DynamicEvent;

use crate::error::{Error, Result};

/// The type with UTC timestamps spelled `+00:00` (the JSON writer only
/// knows offset time zones), recursively.
fn offset_utc(dt: &DataType) -> DataType {
    let field =
        |f: &FieldRef| Arc::new(f.as_ref().clone().with_data_type(offset_utc(f.data_type())));
    match dt {
        DataType::Timestamp(unit, Some(tz))
            if tz.eq_ignore_ascii_case("utc") || tz.as_ref() == "Z" =>
        {
            DataType::Timestamp(*unit, Some("+00:00".into()))
        }
        DataType::Struct(fields) => DataType::Struct(fields.iter().map(field).collect()),
        DataType::List(f) => DataType::List(field(f)),
        DataType::LargeList(f) => DataType::LargeList(field(f)),
        DataType::FixedSizeList(f, n) => DataType::FixedSizeList(field(f), *n),
        DataType::Map(f, sorted) => DataType::Map(field(f), *sorted),
        other => other.clone(),
    }
}

fn retype(data: ArrayData) -> Result<ArrayData> {
    let dt = offset_utc(data.data_type());
    if &dt == data.data_type() {
        return Ok(data);
    }
    let children = data
        .child_data()
        .iter()
        .cloned()
        .map(retype)
        .collect::<Result<Vec<_>>>()?;
    Ok(data
        .into_builder()
        .data_type(dt)
        .child_data(children)
        .build()?)
}

fn json_ready(batch: &RecordBatch) -> Result<RecordBatch> {
    let schema = batch.schema();
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns = Vec::with_capacity(batch.num_columns());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        let data = retype(column.to_data())?;
        fields.push(
            field
                .as_ref()
                .clone()
                .with_data_type(data.data_type().clone()),
        );
        columns.push(arrow_array::make_array(data));
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

/// Converts a batch into JSON objects, leaving nulls out. Timestamps become
/// RFC 3339 strings.
pub fn batch_to_dynamic(batch: &RecordBatch) -> Result<Vec<DynamicEvent>> {
    let batch = json_ready(batch)?;
    let batch = &batch;
    let mut writer = arrow_json::WriterBuilder::new()
        .with_explicit_nulls(false)
        .build::<_, arrow_json::writer::JsonArray>(Vec::new());
    writer.write(batch)?;
    writer.finish()?;
    let bytes = writer.into_inner();
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<serde_json::Map<String, serde_json::Value>> = serde_json::from_slice(&bytes)
        .map_err(|e| Error::invalid_object(format!("arrow JSON output: {e}")).with_source(e))?;
    Ok(rows.into_iter().map(DynamicEvent).collect())
}
