//! A detecting subscriber: flags credential stuffing (many failed logons
//! from one address) and port scans (connections to many ports refused for
//! one address) over sliding time windows.
//!
//! The built-in lines of a bastion host are mapped, written as two custom
//! sources of a local lake (Authentication and Network Activity: one class
//! per source), and a subscriber over the whole lake feeds every object to
//! the detectors by its OCSF class.
//!
//! ```text
//! cargo run --example detections            # a temporary lake
//! cargo run --example detections -- DIR     # keep the lake in DIR
//! ```

mod common;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex};

use securitylake::lake::layout::EventDay;
use securitylake::lake::object_store::ObjectStore;
use securitylake::lake::store::local_store;
use securitylake::mappers::LinuxMapper;
use securitylake::model::v1_1_0::Event;
use securitylake::model::v1_1_0::enums::StatusId;
use securitylake::model::v1_1_0::events::{
    Authentication, AuthenticationActivityId, NetworkActivity, NetworkActivityActivityId,
};
use securitylake::source::Writer;
use securitylake::subscriber::{Handler, HandlerError, LakeObject, LocalSource, Subscriber};

use common::BoxError;

/// One finding: a burst of events of one kind from one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// The rule that fired.
    pub rule: &'static str,
    /// The address the events came from.
    pub source_ip: String,
    /// The time of the first event of the burst (epoch ms).
    pub first_ms: i64,
    /// The time of the last event of the burst (epoch ms).
    pub last_ms: i64,
    /// Events in the burst.
    pub events: u64,
    /// The distinct values seen (user names, or destination ports).
    pub values: BTreeSet<String>,
}

#[derive(Debug, Default)]
struct KeyState {
    /// (time, value) of the events inside the window, sorted by time.
    recent: VecDeque<(i64, String)>,
    /// The alert this address is in, while its burst goes on.
    open: Option<usize>,
}

/// Counts events per address over a sliding window and raises one alert per
/// burst: when the window holds `threshold` events (or distinct values),
/// and then extends that alert while events keep coming within a window of
/// its last one.
///
/// Events are expected roughly in time order (a lake object's rows are
/// sorted by time); a late event is placed at its time in the window.
#[derive(Debug)]
pub struct SlidingWindow {
    rule: &'static str,
    window_ms: i64,
    threshold: usize,
    distinct: bool,
    keys: HashMap<String, KeyState>,
    alerts: Vec<Alert>,
}

impl SlidingWindow {
    /// A rule that fires at `threshold` events within `window_ms`.
    pub fn count(rule: &'static str, window_ms: i64, threshold: usize) -> Self {
        Self {
            rule,
            window_ms,
            threshold,
            distinct: false,
            keys: HashMap::new(),
            alerts: Vec::new(),
        }
    }

    /// A rule that fires at `threshold` distinct values within `window_ms`.
    pub fn distinct(rule: &'static str, window_ms: i64, threshold: usize) -> Self {
        Self {
            distinct: true,
            ..Self::count(rule, window_ms, threshold)
        }
    }

    /// Adds one event of `key` at `time` carrying `value`.
    pub fn observe(&mut self, key: &str, time: i64, value: &str) {
        let state = self.keys.entry(key.to_owned()).or_default();
        let at = state.recent.partition_point(|(t, _)| *t <= time);
        state.recent.insert(at, (time, value.to_owned()));
        let newest = state.recent.back().map_or(time, |(t, _)| *t);
        while state
            .recent
            .front()
            .is_some_and(|(t, _)| *t < newest - self.window_ms)
        {
            state.recent.pop_front();
        }

        if let Some(i) = state.open
            && let Some(alert) = self.alerts.get_mut(i)
            && time <= alert.last_ms + self.window_ms
        {
            alert.events += 1;
            alert.first_ms = alert.first_ms.min(time);
            alert.last_ms = alert.last_ms.max(time);
            alert.values.insert(value.to_owned());
            return;
        }
        state.open = None;
        let measure = if self.distinct {
            state
                .recent
                .iter()
                .map(|(_, v)| v.as_str())
                .collect::<BTreeSet<_>>()
                .len()
        } else {
            state.recent.len()
        };
        if measure >= self.threshold {
            let (first, last) = match (state.recent.front(), state.recent.back()) {
                (Some(f), Some(l)) => (f.0, l.0),
                _ => (time, time),
            };
            self.alerts.push(Alert {
                rule: self.rule,
                source_ip: key.to_owned(),
                first_ms: first,
                last_ms: last,
                events: state.recent.len() as u64,
                values: state.recent.iter().map(|(_, v)| v.clone()).collect(),
            });
            state.open = Some(self.alerts.len() - 1);
        }
    }

    /// The alerts raised so far.
    pub fn alerts(&self) -> &[Alert] {
        &self.alerts
    }
}

/// The two rules of this example.
#[derive(Debug)]
pub struct Detectors {
    /// Failed logons per source address.
    pub credential_stuffing: SlidingWindow,
    /// Refused connections per source address, by distinct destination port.
    pub port_scan: SlidingWindow,
}

impl Default for Detectors {
    fn default() -> Self {
        Self {
            // 20 failed logons within 5 minutes from one address.
            credential_stuffing: SlidingWindow::count("credential stuffing", 5 * 60_000, 20),
            // 15 distinct ports refused within 1 minute for one address.
            port_scan: SlidingWindow::distinct("port scan", 60_000, 15),
        }
    }
}

impl Detectors {
    /// Feeds one Authentication event.
    pub fn authentication(&mut self, event: &Authentication) {
        if event.activity_id != AuthenticationActivityId::Logon
            || event.status_id != Some(StatusId::Failure)
        {
            return;
        }
        let Some(ip) = event.src_endpoint.as_ref().and_then(|e| e.ip.as_deref()) else {
            return;
        };
        let user = event
            .user
            .as_ref()
            .and_then(|u| u.name.as_deref())
            .unwrap_or("unknown");
        self.credential_stuffing.observe(ip, event.time, user);
    }

    /// Feeds one Network Activity event.
    pub fn network(&mut self, event: &NetworkActivity) {
        if event.activity_id != NetworkActivityActivityId::Refuse {
            return;
        }
        let Some(ip) = event.src_endpoint.as_ref().and_then(|e| e.ip.as_deref()) else {
            return;
        };
        let port = event
            .dst_endpoint
            .as_ref()
            .and_then(|e| e.port)
            .map_or_else(|| "?".to_owned(), |p| p.to_string());
        self.port_scan.observe(ip, event.time, &port);
    }

    /// Every alert, in time order.
    pub fn alerts(&self) -> Vec<Alert> {
        let mut all: Vec<Alert> = self
            .credential_stuffing
            .alerts()
            .iter()
            .chain(self.port_scan.alerts())
            .cloned()
            .collect();
        all.sort_by_key(|a| (a.first_ms, a.source_ip.clone()));
        all
    }
}

/// The subscriber's handler: reads each object as the typed events of its
/// class and feeds the detectors.
#[derive(Debug, Clone, Default)]
struct Detect {
    detectors: Arc<Mutex<Detectors>>,
}

#[securitylake::subscriber::async_trait]
impl Handler for Detect {
    async fn handle(&self, object: &LakeObject) -> Result<(), HandlerError> {
        match object.info().class_uid {
            Some(Authentication::CLASS_UID) => {
                let mut batches = object.typed::<Authentication>()?;
                while let Some(batch) = batches.try_next().await? {
                    let mut d = self.lock()?;
                    batch.iter().for_each(|e| d.authentication(e));
                }
            }
            Some(NetworkActivity::CLASS_UID) => {
                let mut batches = object.typed::<NetworkActivity>()?;
                while let Some(batch) = batches.try_next().await? {
                    let mut d = self.lock()?;
                    batch.iter().for_each(|e| d.network(e));
                }
            }
            // Other classes have no rule here: handled, nothing to do.
            _ => {}
        }
        Ok(())
    }
}

impl Detect {
    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Detectors>, HandlerError> {
        self.detectors
            .lock()
            .map_err(|_| HandlerError::permanent("detector state poisoned"))
    }
}

/// Maps the built-in lines, writes the two sources under `work/lake` and
/// runs the detecting subscriber over it once. Returns the alerts.
pub async fn run(work: &Path) -> Result<Vec<Alert>, BoxError> {
    let mut mapper = LinuxMapper::new(common::builtin_config());
    let mut logons = Vec::new();
    let mut network = Vec::new();
    for line in common::builtin_lines(7) {
        for event in mapper.map_line(&line) {
            match event {
                Event::Authentication(e) => logons.push(*e),
                Event::NetworkActivity(e) => network.push(*e),
                _ => {}
            }
        }
    }

    let lake = work.join("lake");
    let store: Arc<dyn ObjectStore> = local_store(&lake)?;
    let auth_config = common::local_writer(
        store.clone(),
        common::local_location("bastion-auth")?,
        work.join("spool-auth"),
    )
    .build()?;
    let mut auth_writer = Writer::<Authentication>::open(auth_config).await?;
    auth_writer.write_batch(&logons).await?;
    auth_writer.close().await?;
    let net_config = common::local_writer(
        store,
        common::local_location("bastion-firewall")?,
        work.join("spool-firewall"),
    )
    .build()?;
    let mut net_writer = Writer::<NetworkActivity>::open(net_config).await?;
    net_writer.write_batch(&network).await?;
    net_writer.close().await?;

    let handler = Detect::default();
    let subscriber = Subscriber::builder()
        .source(LocalSource::new(&lake))
        .handler(handler.clone())
        .build()
        .await?;
    subscriber.run_once().await?;
    let alerts = handler.lock().map_err(|e| e.message().to_owned())?.alerts();
    Ok(alerts)
}

/// `HH:MM:SS` of an epoch-millisecond time (UTC), with the day.
fn clock(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let day = EventDay::from_epoch_millis(ms)
        .map(|d| d.to_string())
        .unwrap_or_else(|_| "?".into());
    let s = secs.rem_euclid(86_400);
    format!("{day} {:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// Runs the example (see the module documentation).
#[tokio::main(flavor = "current_thread")]
pub async fn main() -> Result<(), BoxError> {
    let kept = std::env::args_os().nth(1).map(std::path::PathBuf::from);
    let temp = tempfile::tempdir()?;
    let work = kept.unwrap_or_else(|| temp.path().to_path_buf());
    let alerts = run(&work).await?;
    if alerts.is_empty() {
        println!("no alerts");
    }
    for a in &alerts {
        let what = if a.rule == "port scan" {
            "ports"
        } else {
            "users"
        };
        let mut values: Vec<&str> = a.values.iter().map(String::as_str).collect();
        if values.len() > 6 {
            values.truncate(6);
            values.push("...");
        }
        println!(
            "ALERT {:<20} from {:<15} {} .. {}: {} events, {} distinct {what} ({})",
            a.rule,
            a.source_ip,
            clock(a.first_ms),
            clock(a.last_ms),
            a.events,
            a.values.len(),
            values.join(", ")
        );
    }
    Ok(())
}
