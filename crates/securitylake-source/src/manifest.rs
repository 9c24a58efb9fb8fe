//! What a flush made durable in the lake.

use securitylake_core::layout::PartitionKey;

/// One object written to the lake.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ManifestEntry {
    /// The object key inside the bucket:
    /// `<source prefix>region=<r>/accountId=<a>/eventDay=<YYYYMMDD>/<32 hex>.zstd.parquet`.
    pub key: String,
    /// The partition the object belongs to.
    pub partition: PartitionKey,
    /// The number of events (rows) in the object.
    pub rows: u64,
    /// The object's size in bytes.
    pub bytes: u64,
    /// The earliest event time in the object, epoch milliseconds UTC.
    pub min_time: i64,
    /// The latest event time in the object, epoch milliseconds UTC.
    pub max_time: i64,
    /// The entity tag the store returned, or `None` when the object was
    /// already present (a replay after a crash: same content, same key).
    pub etag: Option<String>,
}

/// The objects written since the previous manifest was taken.
///
/// Returned by [`Writer::flush`](crate::writer::Writer::flush) and
/// [`Writer::close`](crate::writer::Writer::close). Every listed object is
/// complete in the store, and its events have left the spool.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The objects, in the order they were written.
    pub objects: Vec<ManifestEntry>,
}

impl Manifest {
    /// Whether no object was written.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// The number of objects.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// The total number of rows.
    pub fn rows(&self) -> u64 {
        self.objects.iter().map(|o| o.rows).sum()
    }

    /// The total number of bytes.
    pub fn bytes(&self) -> u64 {
        self.objects.iter().map(|o| o.bytes).sum()
    }

    /// The distinct partitions written, sorted: what
    /// `securitylake_control::GluePartitioner::make_queryable` needs.
    pub fn partitions(&self) -> Vec<PartitionKey> {
        let mut out: Vec<PartitionKey> = self.objects.iter().map(|o| o.partition.clone()).collect();
        out.sort();
        out.dedup();
        out
    }

    /// Iterates over the objects.
    pub fn iter(&self) -> std::slice::Iter<'_, ManifestEntry> {
        self.objects.iter()
    }

    /// Appends the objects of `other`.
    pub fn extend(&mut self, other: Manifest) {
        self.objects.extend(other.objects);
    }
}

impl<'a> IntoIterator for &'a Manifest {
    type Item = &'a ManifestEntry;
    type IntoIter = std::slice::Iter<'a, ManifestEntry>;

    fn into_iter(self) -> Self::IntoIter {
        self.objects.iter()
    }
}
