//! [`Feed`] for the crate's sources: an SQS queue, the HTTPS spool and a local lake directory.

use std::collections::HashMap;
#[cfg(feature = "https")]
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use futures::TryStreamExt;
use securitylake_core::store::local_store;
use tokio::time::Instant;

use crate::error::{Error, ErrorKind, Result};
use crate::feed::{Feed, Notice, NoticeContent, Receipt, Settle};
#[cfg(feature = "https")]
use crate::https::Spool;
use crate::notification::ObjectRef;
#[cfg(feature = "sqs")]
use crate::sqs::{SqsSource, receive, receive_count, sdk_error};
use crate::subscriber::{LOCAL_BUCKET, LocalSource};

/// SQS takes whole seconds; a delay is rounded up (a nack of 200 ms waits 1 s).
#[cfg(feature = "sqs")]
fn seconds(d: Duration) -> i32 {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    i32::try_from(secs).unwrap_or(i32::MAX).min(43_200)
}

/// Receives long-polled batches; ack deletes the message, nack and extend change its
/// visibility. Messages received more than
/// [`max_receive_count`](SqsSource::max_receive_count) times are poison.
#[async_trait::async_trait]
#[cfg(feature = "sqs")]
impl Feed for SqsSource {
    async fn receive(&self, _max: usize) -> Result<Vec<Notice>> {
        let messages = receive(self, self.wait_time).await?;
        Ok(messages
            .into_iter()
            .filter_map(|m| {
                let receipt = Receipt::new(m.receipt_handle()?);
                let body = m.body().unwrap_or("").as_bytes().to_vec();
                Some(
                    Notice::new(receipt, NoticeContent::Body(body))
                        .with_receive_count(receive_count(&m)),
                )
            })
            .collect())
    }

    async fn settle(&self, receipt: &Receipt, settle: Settle) -> Result<()> {
        let (client, url) = self.parts()?;
        let visibility = match settle {
            Settle::Ack => {
                return client
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(receipt.as_str())
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| sdk_error("DeleteMessage", e));
            }
            Settle::Nack { retry_after } => retry_after,
            Settle::Extend { visibility } => visibility,
        };
        client
            .change_message_visibility()
            .queue_url(url)
            .receipt_handle(receipt.as_str())
            .visibility_timeout(seconds(visibility))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_error("ChangeMessageVisibility", e))
    }

    fn visibility_timeout(&self) -> Duration {
        self.visibility_timeout
    }

    fn max_receive_count(&self) -> Option<u32> {
        Some(self.max_receive_count)
    }
}

fn leases_poisoned() -> Error {
    Error::new(ErrorKind::Io, "lease table lock poisoned")
}

/// Hands out spooled notification bodies (written by an [`HttpsSource`](crate::HttpsSource)),
/// oldest first; ack removes the entry, nack and extend lease it for a while.
#[async_trait::async_trait]
#[cfg(feature = "https")]
impl Feed for Spool {
    async fn receive(&self, max: usize) -> Result<Vec<Notice>> {
        let pending = self.pending()?;
        let now = Instant::now();
        let mut chosen = Vec::new();
        {
            let mut leases = self.leases.lock().map_err(|_| leases_poisoned())?;
            leases.retain(|path, _| pending.binary_search(path).is_ok());
            for path in pending {
                if chosen.len() >= max {
                    break;
                }
                let lease = leases.entry(path.clone()).or_insert((now, 0));
                if lease.0 <= now {
                    lease.0 = now + self.visibility;
                    lease.1 += 1;
                    chosen.push((path, lease.1));
                }
            }
        }
        if chosen.is_empty() {
            // Nothing visible: wait for the endpoint to spool a request, or for the rescan
            // interval (leases lapse), then let the caller receive again.
            let _ = tokio::time::timeout(self.rescan, self.wake.notified()).await;
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(chosen.len());
        for (path, count) in chosen {
            match tokio::fs::read(&path).await {
                Ok(body) => out.push(
                    Notice::new(
                        Receipt::new(path.to_string_lossy()),
                        NoticeContent::Body(body),
                    )
                    .with_receive_count(count),
                ),
                // Removed since listed (acknowledged by another consumer).
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
            }
        }
        Ok(out)
    }

    async fn settle(&self, receipt: &Receipt, settle: Settle) -> Result<()> {
        let path = PathBuf::from(receipt.as_str());
        let until = match settle {
            Settle::Ack => {
                let removed = tokio::task::spawn_blocking({
                    let path = path.clone();
                    let dir = self.dir().to_owned();
                    move || {
                        // The entry must be one of this spool's.
                        if path.parent() != Some(dir.as_path()) {
                            return Err(Error::new(
                                ErrorKind::NotFound,
                                format!("{} is not a spool entry", path.display()),
                            ));
                        }
                        match std::fs::remove_file(&path) {
                            Ok(()) => crate::checkpoint::sync_dir(&path),
                            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                            Err(e) => Err(Error::io(format!("removing {}", path.display()), e)),
                        }
                    }
                })
                .await
                .map_err(|e| Error::new(ErrorKind::Io, format!("spool removal task: {e}")))?;
                self.leases
                    .lock()
                    .map_err(|_| leases_poisoned())?
                    .remove(&path);
                return removed;
            }
            Settle::Nack { retry_after } => Instant::now() + retry_after,
            Settle::Extend { visibility } => Instant::now() + visibility,
        };
        if let Some(lease) = self
            .leases
            .lock()
            .map_err(|_| leases_poisoned())?
            .get_mut(&path)
        {
            lease.0 = until;
        }
        Ok(())
    }

    fn visibility_timeout(&self) -> Duration {
        self.visibility
    }
}

/// What a [`LocalSource`] feed remembers: acknowledged objects by (size, modification time),
/// and leases of the ones handed out.
#[derive(Debug, Default)]
pub(crate) struct LocalState {
    acked: HashMap<String, (u64, Option<SystemTime>)>,
    leases: HashMap<String, Lease>,
    last_scan: Option<Instant>,
}

#[derive(Debug)]
struct Lease {
    until: Instant,
    receives: u32,
    version: (u64, Option<SystemTime>),
}

/// Lists the lake directory (at most once per [`interval`](LocalSource::interval)) and hands
/// out each new or changed `.parquet` object as a notice; ack remembers it (in memory), nack
/// and extend lease it for a while.
#[async_trait::async_trait]
impl Feed for LocalSource {
    async fn receive(&self, max: usize) -> Result<Vec<Notice>> {
        let wait = {
            let state = self.state.lock().map_err(|_| leases_poisoned())?;
            state
                .last_scan
                .map(|t| (t + self.interval).saturating_duration_since(Instant::now()))
        };
        if let Some(wait) = wait {
            tokio::time::sleep(wait).await;
        }
        let listed = list_local(self).await?;
        let now = Instant::now();
        let mut state = self.state.lock().map_err(|_| leases_poisoned())?;
        state.last_scan = Some(now);
        let mut out = Vec::new();
        for (key, version) in listed {
            if out.len() >= max {
                break;
            }
            if state.acked.get(&key) == Some(&version) {
                continue;
            }
            let lease = state.leases.entry(key.clone()).or_insert(Lease {
                until: now,
                receives: 0,
                version,
            });
            if lease.version != version {
                // Rewritten since handed out: a new object.
                *lease = Lease {
                    until: now,
                    receives: 0,
                    version,
                };
            }
            if lease.until <= now {
                lease.until = now + self.visibility;
                lease.receives += 1;
                out.push(
                    Notice::new(
                        Receipt::new(key.clone()),
                        NoticeContent::Objects(vec![ObjectRef::new(LOCAL_BUCKET, key)]),
                    )
                    .with_receive_count(lease.receives),
                );
            }
        }
        Ok(out)
    }

    async fn settle(&self, receipt: &Receipt, settle: Settle) -> Result<()> {
        let mut state = self.state.lock().map_err(|_| leases_poisoned())?;
        let key = receipt.as_str();
        match settle {
            Settle::Ack => {
                let Some(lease) = state.leases.remove(key) else {
                    return Err(Error::new(
                        ErrorKind::NotFound,
                        format!("{key} is not handed out"),
                    ));
                };
                state.acked.insert(key.to_owned(), lease.version);
            }
            Settle::Nack { retry_after: d } | Settle::Extend { visibility: d } => {
                if let Some(lease) = state.leases.get_mut(key) {
                    lease.until = Instant::now() + d;
                }
            }
        }
        Ok(())
    }

    fn visibility_timeout(&self) -> Duration {
        self.visibility
    }
}

/// The `.parquet` objects under the source's prefix, with their size and modification time.
async fn list_local(local: &LocalSource) -> Result<Vec<(String, (u64, Option<SystemTime>))>> {
    let lake = local_store(local.root())?;
    let prefix = local.prefix_str();
    let dir = match prefix.rfind('/') {
        Some(end) => &prefix[..end],
        None => "",
    };
    let dir = (!dir.is_empty()).then(|| securitylake_core::object_store::path::Path::from(dir));
    let listed: Vec<_> = match lake.list(dir.as_ref()).try_collect().await {
        Ok(listed) => listed,
        Err(securitylake_core::object_store::Error::NotFound { .. }) => Vec::new(),
        Err(e) => return Err(securitylake_core::Error::from(e).into()),
    };
    let mut out: Vec<_> = listed
        .into_iter()
        .map(|m| {
            (
                m.location.to_string(),
                (m.size, Some(SystemTime::from(m.last_modified))),
            )
        })
        .filter(|(k, _)| k.starts_with(prefix) && k.ends_with(".parquet"))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The shared state of a local feed (clones of a [`LocalSource`] share it).
pub(crate) type SharedLocalState = Arc<Mutex<LocalState>>;
