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

/// Reads a `float_t` array whose `null` elements are NaN. JSON has no NaN or infinities:
/// `serde_json` writes them as `null` (in an event's JSON and in the JSON text of the columnar
/// format), and an array holding one reads back as NaN instead of failing the whole value.
pub fn float_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<f64>>, D::Error> {
    let list = Option::<Vec<FloatOrNull>>::deserialize(d)?;
    Ok(list.map(|list| list.into_iter().map(|FloatOrNull(v)| v).collect()))
}

/// An element of a `float_t` array: a number, or `null` read as NaN.
struct FloatOrNull(f64);

impl<'de> Deserialize<'de> for FloatOrNull {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN)))
    }
}

#[cfg(all(test, feature = "v1_1_0"))]
mod tests {
    use crate::v1_1_0::objects::Location;

    #[test]
    fn a_float_array_reads_json_null_as_nan() {
        let mut location = Location::new();
        location.coordinates = Some(vec![f64::NAN, -0.0, f64::INFINITY, 5e-324, f64::MAX]);
        let json = serde_json::to_string(&location).expect("serializes");
        assert_eq!(
            json,
            r#"{"coordinates":[null,-0.0,null,5e-324,1.7976931348623157e+308]}"#
        );
        let back: Location = serde_json::from_str(&json).expect("reads back");
        let bits: Vec<u64> = back
            .coordinates
            .expect("coordinates")
            .iter()
            .map(|v| v.to_bits())
            .collect();
        let nan = f64::NAN.to_bits();
        let want = [nan, (-0.0f64).to_bits(), nan, 1, f64::MAX.to_bits()];
        assert_eq!(bits, want, "null is NaN, other values exact");
        // Absent and `null` arrays are absent; other types are still refused.
        for (json, want) in [("{}", None), (r#"{"coordinates":null}"#, None)] {
            let back: Location = serde_json::from_str(json).expect("reads");
            assert_eq!(back.coordinates, want, "{json}");
        }
        for bad in [r#"{"coordinates":["1"]}"#, r#"{"coordinates":1.5}"#] {
            assert!(serde_json::from_str::<Location>(bad).is_err(), "{bad}");
        }
    }
}
