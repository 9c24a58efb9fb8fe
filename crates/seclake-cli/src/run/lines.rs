//! Where an input's lines, entries or messages come from in `seclake run`: each kind of
//! input opened (resumed after its committed checkpoint where it can be) as one [`Lines`].

use std::time::Duration;

use securitylake_source::input::journald::JournaldInput;
use securitylake_source::input::objects::{ObjectLinesInput, ObjectPosition};
use securitylake_source::input::relp::{RelpMessage, RelpReceiver};
use securitylake_source::input::syslog::SyslogReceiver;
use securitylake_source::input::{FileInput, FollowInput, Input, LineInput, Position, StdinInput};

use super::config::{InputConfig, Kind, Lake, Objects};
use super::json_file::{self, JsonFile};
use super::state::Checkpoint;
use super::target::Target;
use crate::common::AwsArgs;
use crate::error::{Error, Result};

/// How often a followed file is looked at at its end.
const FOLLOW_POLL: Duration = Duration::from_millis(100);

/// Where an input's lines come from.
pub enum Lines {
    /// A file, a followed file or stdin: lines with positions.
    Line(Box<Input>),
    /// A syslog receiver: messages without positions.
    Syslog(Box<SyslogReceiver>),
    /// A file of OCSF JSON arrays: elements with positions.
    Json(Box<JsonFile>),
    /// A RELP receiver: messages to acknowledge once durable.
    Relp(Box<RelpReceiver>),
    /// The journal: entries with their cursors.
    Journal(Box<JournaldInput>),
    /// Objects under a prefix: lines with their object positions.
    Objects(Box<ObjectLinesInput>),
}

/// What [`Lines::next`] read.
pub enum Item {
    /// A line (in the caller's line buffer) and its place, if it has one.
    Line(Option<Checkpoint>),
    /// A journal entry (in the caller's entry buffer) and its cursor.
    Entry(Checkpoint),
    /// A RELP message.
    Relp(RelpMessage),
}

impl Lines {
    /// The next line, entry or message: `Ok(None)` at the end.
    pub async fn next(&mut self, line: &mut String, entry: &mut Vec<u8>) -> Result<Option<Item>> {
        let placed = |p: Option<Position>| p.map(|p| Item::Line(Some(Checkpoint::Line(p))));
        match self {
            Lines::Line(input) => Ok(placed(input.next_line(line).await?)),
            Lines::Syslog(receiver) => Ok(receiver.recv().await.map(|message| {
                line.clear();
                line.push_str(&message.text);
                Item::Line(None)
            })),
            Lines::Json(file) => Ok(placed(file.next(line).await?)),
            Lines::Relp(receiver) => Ok(receiver.recv().await.map(Item::Relp)),
            Lines::Journal(journal) => Ok(journal
                .next_entry(entry)
                .await?
                .map(|cursor| Item::Entry(Checkpoint::Journal { cursor }))),
            Lines::Objects(objects) => Ok(objects
                .next_line(line)
                .await?
                .map(|p| Item::Line(Some(Checkpoint::Object(p))))),
        }
    }
}

/// Opens the input, resumed after `committed` where it can be.
pub async fn open(
    config: &InputConfig,
    lake: &Lake,
    committed: Option<Checkpoint>,
) -> Result<Lines> {
    let path = || {
        config
            .path
            .clone()
            .ok_or_else(|| Error::input(format!("input {:?} has no path", config.name)))
    };
    // A checkpoint of another kind of input: the input was given another kind under the
    // same name.
    let mismatch = |checkpoint: &Checkpoint| {
        Error::input(format!(
            "input {:?}: its state holds {} but it is {} input: move {} away to start it over",
            config.name,
            checkpoint.what(),
            config.kind.a(),
            lake.state_dir.join("inputs").join(&config.name).display()
        ))
    };
    let mut cursor = None;
    let mut object = None;
    let mut position = None;
    match committed {
        None => {}
        Some(Checkpoint::Journal { cursor: c }) if config.kind == Kind::Journald => {
            cursor = Some(c);
        }
        Some(Checkpoint::Object(p)) if config.kind == Kind::Objects => object = Some(p),
        Some(Checkpoint::Line(p)) if !matches!(config.kind, Kind::Journald | Kind::Objects) => {
            position = Some(p);
        }
        Some(other) => return Err(mismatch(&other)),
    }
    let committed = position;
    Ok(match config.kind {
        Kind::OcsfJson if json_file::holds_arrays(&path()?).await? => {
            Lines::Json(Box::new(JsonFile::open(&path()?, committed).await?))
        }
        Kind::File | Kind::OcsfJson => Lines::Line(Box::new(Input::File(
            FileInput::open_at(path()?, committed).await?,
        ))),
        Kind::Follow => Lines::Line(Box::new(Input::Follow(
            FollowInput::new(path()?)
                .poll_interval(FOLLOW_POLL)
                .resume_from(committed),
        ))),
        Kind::Stdin => Lines::Line(Box::new(Input::Stdin(StdinInput::stdin()))),
        Kind::Syslog => {
            let listen = config.listen.ok_or_else(|| {
                Error::input(format!("input {:?} has no listen address", config.name))
            })?;
            let mut builder = SyslogReceiver::builder();
            if listen.udp {
                builder = builder.udp(listen.addr);
            }
            if listen.tcp {
                builder = builder.tcp(listen.addr);
            }
            let receiver = builder.bind().await.map_err(|e| {
                Error::input(format!(
                    "input {:?}: field `listen`: cannot listen on {}: {e}",
                    config.name, listen.addr
                ))
            })?;
            Lines::Syslog(Box::new(receiver))
        }
        Kind::Relp => {
            let listen = config.relp.as_ref().ok_or_else(|| {
                Error::input(format!("input {:?} has no listen address", config.name))
            })?;
            let mut builder = RelpReceiver::builder().max_message_bytes(listen.max_message_bytes);
            builder = match &listen.tls {
                None => builder.tcp(listen.addr),
                Some((cert, key)) => builder.tls(listen.addr, cert, key),
            };
            let receiver = builder.bind().await.map_err(|e| {
                Error::input(format!(
                    "input {:?}: field `listen`: cannot listen on {}: {e}",
                    config.name, listen.addr
                ))
            })?;
            Lines::Relp(Box::new(receiver))
        }
        Kind::Journald => {
            let journal = config.journal.as_ref().ok_or_else(|| {
                Error::input(format!("input {:?} has no journalctl", config.name))
            })?;
            let mut builder = JournaldInput::builder()
                .command(&journal.command)
                .after_cursor(cursor);
            for arg in &journal.args {
                builder = builder.arg(arg);
            }
            Lines::Journal(Box::new(builder.spawn()?))
        }
        Kind::Objects => Lines::Objects(Box::new(open_objects(config, lake, object).await?)),
    })
}

/// The objects of an objects input, resumed after `committed`. An S3 source is reached as
/// the lake's S3 target is (its region, endpoint and profile; the SDK's chains otherwise),
/// without the lake's writer role.
async fn open_objects(
    config: &InputConfig,
    lake: &Lake,
    committed: Option<ObjectPosition>,
) -> Result<ObjectLinesInput> {
    use securitylake_core::object_store::path::Path as Key;
    let objects = config
        .objects
        .as_ref()
        .ok_or_else(|| Error::input(format!("input {:?} has no objects", config.name)))?;
    let (store, prefix) = match objects {
        Objects::Dir(dir) => (crate::common::local_store(dir)?, None),
        Objects::S3 { bucket, prefix } => {
            let aws = match &lake.target {
                Target::S3(s3) => s3.aws.clone(),
                Target::Local(_) => AwsArgs {
                    region: Some(lake.region.clone()),
                    endpoint_url: None,
                    profile: None,
                },
            };
            let store = crate::common::s3_store(&aws.load().await?, bucket)?;
            let prefix = prefix.trim_matches('/');
            (store, (!prefix.is_empty()).then(|| Key::from(prefix)))
        }
    };
    Ok(ObjectLinesInput::new(store, prefix).resume_from(committed))
}
