//! Deserialization helpers used by generated code.

use serde::{Deserialize, Deserializer};

/// Reads `class_uid` and insists it is the class's own: a typed class never silently accepts
/// another class's event.
pub fn expect_class_uid<'de, D: Deserializer<'de>, const UID: i32>(d: D) -> Result<i32, D::Error> {
    let v = i32::deserialize(d)?;
    if v == UID {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format_args!(
            "class_uid {v} does not belong to this class (expected {UID})"
        )))
    }
}
