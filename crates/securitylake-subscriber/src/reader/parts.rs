//! Which rows an [`ObjectReader`] reads: some row groups ([`ObjectReader::with_row_groups`]),
//! and the parts one object is split into to be read on several cores
//! ([`ObjectReader::split_row_groups`], [`ObjectReader::split_rows`]; ADR 0311).

use super::ObjectReader;
use super::plan::Window;
use crate::error::{Error, Result};

impl ObjectReader {
    /// Restricts every read of this reader ([`Self::batches`], [`Self::typed`],
    /// [`Self::typed_batches`], [`Self::dynamic`]) to the given row groups, read in the object's
    /// order whatever the order given, in place of what an earlier call or split selected.
    /// What was detected about the object ([`Self::info`]) stays the whole object's. Fails with [`ErrorKind::Config`](crate::ErrorKind::Config) when
    /// the object has no such row group.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt").block_on(async {
    /// # use std::sync::Arc;
    /// # use futures::TryStreamExt;
    /// # use ocsf_model::columnar::ColumnarOptions;
    /// # use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
    /// # use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
    /// # use securitylake_core::object_store::{ObjectStoreExt, path::Path};
    /// # use securitylake_core::store::local_store;
    /// # use securitylake_parquet::write_parquet;
    /// use securitylake_subscriber::{ObjectRef, reader::ObjectReader};
    ///
    /// # let dir = tempfile::tempdir().expect("tempdir");
    /// # let lake = local_store(dir.path())?;
    /// # let event = Authentication::new(AuthenticationActivityId::Logon,
    /// #     Metadata::new(Product::default(), "1.1.0".into()), SeverityId::Low, 1_000, User::default());
    /// # let key = "ext/app/region=us-east-1/accountId=external/eventDay=19700101/x.zstd.parquet";
    /// # lake.put(&Path::from(key), write_parquet(&[event], &ColumnarOptions::default())?.into()).await?;
    /// let reader = ObjectReader::open(lake, &ObjectRef::new("local", key)).await?;
    /// let first = reader.clone().with_row_groups([0])?;
    /// let rows: Vec<Vec<Authentication>> = first.typed()?.try_collect().await?;
    /// assert_eq!(rows.concat().len(), 1);
    /// assert!(reader.with_row_groups([1]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(()) }).expect("example");
    /// ```
    pub fn with_row_groups(mut self, row_groups: impl IntoIterator<Item = usize>) -> Result<Self> {
        let count = self.info.row_groups;
        let mut selected: Vec<usize> = row_groups.into_iter().collect();
        if let Some(missing) = selected.iter().find(|&&rg| rg >= count) {
            return Err(Error::config(format!(
                "object {} has {count} row groups, no row group {missing}",
                self.info.object.key
            )));
        }
        selected.sort_unstable();
        selected.dedup();
        self.selection = Some(selected.into_iter().map(Window::whole).collect());
        Ok(self)
    }

    /// This reader's row groups (or the ranges of rows a [`Self::split_rows`] gave it) in at
    /// most `parts` readers of consecutive row groups with about as many rows each, in the
    /// object's order, never cutting a row group: to read one object on several cores, each part
    /// on a task of its own, each decoding into events of its own. Every row of this reader is
    /// read by exactly one part; an object of one row group (or none) is one part.
    ///
    /// Decoding stays on the task that read the pages, where they are in the cache (ADR 0219);
    /// rows are in order within a part, and the parts follow one another in the object. More
    /// parts than tasks running at once balance the cores: a task that is done takes the next
    /// part (ADR 0311 measured a part per row group steadier than a part per core).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt").block_on(async {
    /// # use ocsf_model::columnar::ColumnarOptions;
    /// # use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
    /// # use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
    /// # use securitylake_core::object_store::{ObjectStoreExt, path::Path};
    /// # use securitylake_core::store::local_store;
    /// # use securitylake_parquet::write_parquet;
    /// use securitylake_subscriber::{ObjectRef, reader::ObjectReader};
    ///
    /// # let dir = tempfile::tempdir().expect("tempdir");
    /// # let lake = local_store(dir.path())?;
    /// # let event = Authentication::new(AuthenticationActivityId::Logon,
    /// #     Metadata::new(Product::default(), "1.1.0".into()), SeverityId::Low, 1_000, User::default());
    /// # let key = "ext/app/region=us-east-1/accountId=external/eventDay=19700101/x.zstd.parquet";
    /// # lake.put(&Path::from(key), write_parquet(&[event], &ColumnarOptions::default())?.into()).await?;
    /// let reader = ObjectReader::open(lake, &ObjectRef::new("local", key)).await?;
    /// let mut tasks = Vec::new();
    /// for part in reader.split_row_groups(2) {
    ///     tasks.push(tokio::spawn(async move {
    ///         let mut batches = part.typed_batches::<Authentication>()?;
    ///         let (mut events, mut rows) = (Vec::new(), 0);
    ///         while batches.next_into(&mut events).await? {
    ///             rows += events.len();
    ///         }
    ///         Ok::<_, securitylake_subscriber::Error>(rows)
    ///     }));
    /// }
    /// let mut rows = 0;
    /// for task in tasks {
    ///     rows += task.await??;
    /// }
    /// assert_eq!(rows, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(()) }).expect("example");
    /// ```
    pub fn split_row_groups(&self, parts: usize) -> Vec<ObjectReader> {
        let selected = self.units();
        if selected.len() <= 1 {
            return vec![self.clone()];
        }
        let total: u64 = selected.iter().map(|u| self.unit_rows(u)).sum();
        let parts = parts.clamp(1, selected.len()) as u64;
        let mut out = Vec::new();
        let mut current = Vec::new();
        let mut done = 0u64;
        let count = selected.len();
        for (i, unit) in selected.into_iter().enumerate() {
            done += self.unit_rows(&unit);
            current.push(unit);
            let cut = (out.len() as u64 + 1) * total.div_ceil(parts);
            let left = count - i - 1;
            if (done >= cut && left > 0) || left == 0 {
                out.push(self.with_units(std::mem::take(&mut current)));
            }
        }
        out
    }

    /// This reader's rows in at most `parts` readers of about as many rows each, consecutive
    /// in the object: [`Self::split_row_groups`] for objects of fewer row groups than cores,
    /// cutting row groups where a part ends. A part that ends or starts inside a row group
    /// reads that row group's pages of its rows (located with the offset index of the columns
    /// read, when the object has one; otherwise the rows before are decoded and skipped) and
    /// its dictionary pages, so a cut costs a page or two per column. Every row of this reader
    /// is read by exactly one part, in the object's order within a part; a reader of no row
    /// (or `parts` of 0 or 1) is one part.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt").block_on(async {
    /// # use futures::TryStreamExt;
    /// # use ocsf_model::columnar::ColumnarOptions;
    /// # use ocsf_model::v1_1_0::events::{Authentication, AuthenticationActivityId, SeverityId};
    /// # use ocsf_model::v1_1_0::objects::{Metadata, Product, User};
    /// # use securitylake_core::object_store::{ObjectStoreExt, path::Path};
    /// # use securitylake_core::store::local_store;
    /// # use securitylake_parquet::write_parquet;
    /// use securitylake_subscriber::{ObjectRef, reader::ObjectReader};
    ///
    /// # let dir = tempfile::tempdir().expect("tempdir");
    /// # let lake = local_store(dir.path())?;
    /// # let event = |time| Authentication::new(AuthenticationActivityId::Logon,
    /// #     Metadata::new(Product::default(), "1.1.0".into()), SeverityId::Low, time, User::default());
    /// # let events: Vec<Authentication> = (0..5).map(event).collect();
    /// # let key = "ext/app/region=us-east-1/accountId=external/eventDay=19700101/x.zstd.parquet";
    /// # lake.put(&Path::from(key), write_parquet(&events, &ColumnarOptions::default())?.into()).await?;
    /// let reader = ObjectReader::open(lake, &ObjectRef::new("local", key)).await?;
    /// assert_eq!(reader.info().row_groups, 1);
    /// let mut rows = Vec::new();
    /// for part in reader.split_rows(2) {
    ///     let batches: Vec<Vec<Authentication>> = part.typed()?.try_collect().await?;
    ///     rows.push(batches.concat().len());
    /// }
    /// assert_eq!(rows, [3, 2]);
    /// # Ok::<(), Box<dyn std::error::Error>>(()) }).expect("example");
    /// ```
    pub fn split_rows(&self, parts: usize) -> Vec<ObjectReader> {
        let units = self.units();
        let total: u64 = units.iter().map(|u| self.unit_rows(u)).sum();
        let parts = (parts as u64).clamp(1, total.max(1));
        if parts == 1 {
            return vec![self.clone()];
        }
        let per_part = total.div_ceil(parts);
        let mut out = Vec::new();
        let mut current = Vec::new();
        let mut done = 0u64;
        for unit in units {
            let group_rows = self.group_rows(unit.row_group);
            let range = unit.range(group_rows);
            let mut start = range.start;
            if range.is_empty() {
                current.push(unit);
                continue;
            }
            while start < range.end {
                let cut = (out.len() as u64 + 1) * per_part;
                let take = usize::try_from(cut - done)
                    .unwrap_or(usize::MAX)
                    .min(range.end - start);
                let rows = start..start + take;
                current.push(Window {
                    row_group: unit.row_group,
                    rows: (rows.len() != group_rows).then_some(rows),
                });
                start += take;
                done += take as u64;
                if done == cut && done < total {
                    out.push(self.with_units(std::mem::take(&mut current)));
                }
            }
        }
        if !current.is_empty() || out.is_empty() {
            out.push(self.with_units(current));
        }
        out
    }

    /// This reader with `units` as its selection.
    fn with_units(&self, units: Vec<Window>) -> ObjectReader {
        let mut part = self.clone();
        part.selection = Some(units);
        part
    }

    /// The rows of row group `rg`.
    fn group_rows(&self, rg: usize) -> usize {
        usize::try_from(self.metadata.metadata().row_group(rg).num_rows()).unwrap_or(0)
    }

    /// The rows `unit` reads.
    fn unit_rows(&self, unit: &Window) -> u64 {
        unit.range(self.group_rows(unit.row_group)).len() as u64
    }

    /// The units this reader reads: row groups or ranges of their rows, in the object's order.
    pub(super) fn units(&self) -> Vec<Window> {
        match &self.selection {
            Some(selected) => selected.clone(),
            None => (0..self.info.row_groups).map(Window::whole).collect(),
        }
    }
}
