//! Events with sequence numbers for the end-to-end tests (register, then
//! write with securitylake-source's writer).

#![allow(dead_code, missing_docs)]

use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
use ocsf_model::v1_1_0::objects::{Metadata, Product, User};

/// 2024-02-29T00:00:00Z
pub const LEAP_DAY: i64 = 1_709_164_800_000;
pub const DAY: i64 = 86_400_000;

/// An authentication event whose `message` carries a sequence number
/// (`seq-<n>`), padded to about `pad` extra bytes.
pub fn event(time: i64, seq: u64, pad: usize) -> Authentication {
    let mut product = Product::default();
    product.name = Some("partner-app".into());
    product.vendor_name = Some("Partner".into());
    let mut event = Authentication::new(
        AuthenticationActivityId::Logon,
        Metadata::new(product, "1.1.0".into()),
        SeverityId::Low,
        time,
        User::default(),
    );
    let mut message = format!("seq-{seq}");
    if pad > 0 {
        message.push(' ');
        // Varied text so that it does not compress to nothing.
        let mut x = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        while message.len() < pad {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            message.push(char::from(b'a' + (x % 26) as u8));
        }
    }
    event.message = Some(message);
    event
}

/// The sequence number in an event's message.
pub fn seq_of(event: &Authentication) -> Option<u64> {
    let message = event.message.as_deref()?;
    let first = message.split(' ').next()?;
    first.strip_prefix("seq-")?.parse().ok()
}

/// The keys under `prefix`, sorted.
pub async fn list_keys(
    store: &dyn securitylake_core::object_store::ObjectStore,
    prefix: &str,
) -> Result<Vec<String>, Box<dyn std::error::Error + Send + Sync>> {
    use futures::TryStreamExt;
    let prefix = prefix.trim_end_matches('/');
    let mut keys: Vec<String> = store
        .list(Some(&securitylake_core::object_store::path::Path::from(
            prefix,
        )))
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await?;
    keys.sort();
    Ok(keys)
}

/// A whole object.
pub async fn get_bytes(
    store: &dyn securitylake_core::object_store::ObjectStore,
    key: &str,
) -> Result<bytes::Bytes, Box<dyn std::error::Error + Send + Sync>> {
    use securitylake_core::object_store::ObjectStoreExt;
    let path = securitylake_core::object_store::path::Path::from(key);
    Ok(store.get(&path).await?.bytes().await?)
}
