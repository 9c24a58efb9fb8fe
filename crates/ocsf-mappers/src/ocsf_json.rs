//! OCSF events as JSON from any producer, decoded into the typed `Event` enum of a target
//! version, each checked first: an event that is not valid for its own OCSF version is
//! *rejected* with the validator's reasons (for a dead-letter), never dropped.
//!
//! Per event: it must be a JSON object; its version is `metadata.version` (or the decoder's
//! default); that version must be compiled into `ocsf-model` (its feature on: 1.0.0-rc.2,
//! 1.1.0, 1.3.0, 1.8.0); the validator must find no error against that version's schema; it is
//! converted to the target version with the generated conversions (what the target cannot hold
//! goes to `unmapped` and is counted in [`OcsfJson::conversions`]); then it is decoded into the
//! target's `Event` (a class the version does not define becomes `Event::Unrecognized`).
//!
//! Input shapes: JSON lines ([`OcsfJson::decode_line`]: an object, or an array of events, per
//! line; a line that is not JSON is rejected alone) and whole documents
//! ([`OcsfJson::decode_reader`]: concatenated values and arrays, pretty-printed or not).
//!
//! ```
//! use ocsf_mappers::ocsf_json::OcsfJson;
//! use ocsf_mappers::{LinuxMapper, SourceConfig, V1_1_0};
//! use ocsf_model::v1_1_0::Event;
//!
//! // An event some producer wrote as JSON (here: our own Linux mapper's).
//! let mut mapper = LinuxMapper::new(SourceConfig::linux().with_reference_ms(1_718_000_000_000));
//! let logon = mapper.map_line("Jun 10 09:00:01 bastion sshd[811]: Failed password for root from 203.0.113.9 port 4022 ssh2");
//! let line = serde_json::to_string(&logon[0])?;
//!
//! let mut decoder = OcsfJson::<V1_1_0>::new();
//! let mut out = Vec::new();
//! decoder.decode_line(&line, &mut out);
//! decoder.decode_line(r#"{"class_uid": 3002, "metadata": {"version": "1.1.0"}}"#, &mut out);
//! decoder.decode_line("not json", &mut out);
//! assert!(matches!(&out[0], Ok(Event::Authentication(_))));
//! let rejected = out[1].as_ref().expect_err("required attributes missing");
//! assert!(rejected.reasons.iter().any(|r| r.contains("activity_id")), "{:?}", rejected.reasons);
//! assert!(out[2].as_ref().expect_err("not json").reasons[0].starts_with("not JSON"));
//! assert_eq!((decoder.stats().events, decoder.stats().rejected), (1, 2));
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::collections::VecDeque;
use std::io::Read;
use std::marker::PhantomData;

use ocsf_model::convert::{ConversionReport, convert_value};
use ocsf_model::validate::{ValidateOptions, validate_value_with};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, ErrorKind, Format};
use crate::render::{Target, V1_1_0};

/// An event the decoder refused, with why (for a dead-letter record).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Rejected {
    /// The event's position in the input: 0 for the first event (elements of an array count
    /// one each; a line or value that is not JSON counts one).
    pub index: u64,
    /// Why: the validator's errors, or the one reason it could not be read.
    pub reasons: Vec<String>,
    /// The event as given (a line that is not JSON: as a JSON string).
    pub raw: Value,
}

/// The decoder's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OcsfJsonStats {
    /// Events decoded.
    pub events: u64,
    /// Events rejected.
    pub rejected: u64,
    /// Events decoded after a conversion from another OCSF version.
    pub converted: u64,
}

/// Decodes OCSF JSON into events of target `T` (OCSF 1.1.0 by default). See the
/// [module documentation](self).
#[derive(Debug)]
pub struct OcsfJson<T: Target = V1_1_0> {
    default_version: Option<String>,
    options: ValidateOptions,
    conversions: ConversionReport,
    stats: OcsfJsonStats,
    next_index: u64,
    target: PhantomData<fn() -> T>,
}

impl<T: Target> Default for OcsfJson<T>
where
    T::Event: DeserializeOwned,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Target> OcsfJson<T>
where
    T::Event: DeserializeOwned,
{
    /// A decoder with the validator's default options and no default version.
    pub fn new() -> Self {
        Self {
            default_version: None,
            options: ValidateOptions::new(),
            conversions: ConversionReport::default(),
            stats: OcsfJsonStats::default(),
            next_index: 0,
            target: PhantomData,
        }
    }

    /// The OCSF version of events without `metadata.version`: it is set in their `metadata`
    /// before they are checked (without a default they are rejected).
    pub fn with_default_version(mut self, version: impl Into<String>) -> Self {
        self.default_version = Some(version.into());
        self
    }

    /// The validator's options.
    pub fn with_validate_options(mut self, options: ValidateOptions) -> Self {
        self.options = options;
        self
    }

    /// The counters.
    pub fn stats(&self) -> OcsfJsonStats {
        self.stats
    }

    /// What the conversions to the target version could not carry over, per attribute.
    pub fn conversions(&self) -> &ConversionReport {
        &self.conversions
    }

    /// Decodes one line of JSON lines input (an event, or an array of events) into `out`.
    pub fn decode_line(&mut self, line: &str, out: &mut Vec<Result<T::Event, Rejected>>) {
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Array(events)) => {
                out.extend(events.into_iter().map(|event| self.decode_value(event)));
            }
            Ok(event) => out.push(self.decode_value(event)),
            Err(e) => out.push(self.reject(
                vec![format!("not JSON: {e}")],
                Value::String(line.to_owned()),
            )),
        }
    }

    /// Decodes the events of a whole document read from `reader`: JSON values one after the
    /// other (JSON lines, concatenated or pretty-printed), each an event or an array of events.
    ///
    /// The iterator yields each event or its rejection; it ends with an [`Error`] (kind
    /// [`ErrorKind::InvalidJson`], with the line and column) at the first place the document
    /// is not JSON, as nothing after it can be framed, or with [`ErrorKind::Io`] when reading
    /// fails. An array is held in memory whole: send large inputs as JSON lines.
    ///
    /// ```
    /// use ocsf_mappers::ocsf_json::OcsfJson;
    ///
    /// let doc = br#"[{"class_uid": 1, "metadata": {"version": "1.1.0"}},
    ///                {"class_uid": 2, "metadata": {"version": "1.1.0"}}] {"oops""#;
    /// let mut decoder = OcsfJson::<ocsf_mappers::V1_1_0>::new();
    /// let items: Vec<_> = decoder.decode_reader(&doc[..]).collect();
    /// assert_eq!(items.len(), 3);
    /// assert!(items[0].as_ref().is_ok_and(|r| r.is_err())); // rejected: not a valid event
    /// assert!(items[2].is_err()); // the document stops being JSON
    /// ```
    pub fn decode_reader<R: Read>(&mut self, reader: R) -> DecodeReader<'_, T, R> {
        DecodeReader {
            decoder: self,
            values: serde_json::Deserializer::from_reader(reader).into_iter(),
            pending: VecDeque::new(),
            done: false,
        }
    }

    /// Decodes one event given as a JSON value.
    pub fn decode_value(&mut self, event: Value) -> Result<T::Event, Rejected> {
        if !event.is_object() {
            return self.reject(vec!["not a JSON object (an OCSF event)".to_owned()], event);
        }
        let mut event = event;
        let version = match event.pointer("/metadata/version").and_then(Value::as_str) {
            Some(version) => version.to_owned(),
            None => match &self.default_version {
                Some(version) => {
                    // The user says which version the producer wrote: the event states it.
                    if let Some(metadata) = event.get_mut("metadata").and_then(Value::as_object_mut)
                    {
                        metadata.insert("version".to_owned(), Value::String(version.clone()));
                    }
                    version.clone()
                }
                None => {
                    return self.reject(
                        vec![
                            "no metadata.version, and the decoder has no default version"
                                .to_owned(),
                        ],
                        event,
                    );
                }
            },
        };
        let Some(schema) = ocsf_model::schema::by_version(&version) else {
            let compiled: Vec<&str> = ocsf_model::schema::compiled()
                .iter()
                .map(|s| s.version)
                .collect();
            return self.reject(
                vec![format!(
                    "OCSF version {version} is not compiled in (this build reads {}; enable ocsf-model's feature for it)",
                    compiled.join(", ")
                )],
                event,
            );
        };
        let report = validate_value_with(&event, schema, &self.options);
        if !report.is_valid() {
            let reasons = report.errors().map(ToString::to_string).collect();
            return self.reject(reasons, event);
        }
        let converted = if version == T::VERSION {
            event
        } else {
            match convert_value(event.clone(), &version, T::VERSION, &mut self.conversions) {
                Ok(converted) => {
                    self.stats.converted += 1;
                    converted
                }
                Err(e) => {
                    return self.reject(
                        vec![format!(
                            "cannot convert OCSF {version} to {}: {e}",
                            T::VERSION
                        )],
                        event,
                    );
                }
            }
        };
        match serde_json::from_value::<T::Event>(converted.clone()) {
            Ok(decoded) => {
                self.stats.events += 1;
                self.next_index += 1;
                Ok(decoded)
            }
            Err(e) => self.reject(
                vec![format!("does not decode as OCSF {}: {e}", T::VERSION)],
                converted,
            ),
        }
    }

    fn reject(&mut self, reasons: Vec<String>, raw: Value) -> Result<T::Event, Rejected> {
        let index = self.next_index;
        self.next_index += 1;
        self.stats.rejected += 1;
        Err(Rejected {
            index,
            reasons,
            raw,
        })
    }
}

/// The events of a document ([`OcsfJson::decode_reader`]).
pub struct DecodeReader<'d, T: Target, R: Read> {
    decoder: &'d mut OcsfJson<T>,
    values: serde_json::StreamDeserializer<'static, serde_json::de::IoRead<R>, Value>,
    pending: VecDeque<Value>,
    done: bool,
}

impl<T: Target, R: Read> std::fmt::Debug for DecodeReader<'_, T, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodeReader")
            .field("pending", &self.pending.len())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<T: Target, R: Read> Iterator for DecodeReader<'_, T, R>
where
    T::Event: DeserializeOwned,
{
    type Item = Result<Result<T::Event, Rejected>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(Ok(self.decoder.decode_value(event)));
            }
            if self.done {
                return None;
            }
            match self.values.next()? {
                Ok(Value::Array(events)) => self.pending.extend(events),
                Ok(event) => self.pending.push_back(event),
                Err(e) => {
                    self.done = true;
                    let error = if e.is_io() {
                        Error::io(Format::OcsfJson, 0, std::io::Error::other(e))
                    } else {
                        Error::new(
                            Format::OcsfJson,
                            ErrorKind::InvalidJson,
                            format!("not JSON at line {} column {}: {e}", e.line(), e.column()),
                        )
                    };
                    return Some(Err(error));
                }
            }
        }
    }
}
