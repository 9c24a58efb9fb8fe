//! The handler trait that receives each object.

use ocsf_model::{DynamicEvent, OcsfEvent};
use std::fmt;

use crate::error::{BoxError, Error, Result};
use crate::reader::{BatchStream, EventStream, ObjectInfo, ObjectReader};

/// One object handed to a [`Handler`]: read it as Arrow batches, typed events
/// or dynamic events, as many times as needed.
#[derive(Debug, Clone)]
pub struct LakeObject {
    reader: ObjectReader,
}

impl LakeObject {
    /// Wraps an opened reader.
    pub fn new(reader: ObjectReader) -> Self {
        Self { reader }
    }

    /// What was detected about the object (source, OCSF version, class).
    pub fn info(&self) -> &ObjectInfo {
        self.reader.info()
    }

    /// The underlying reader.
    pub fn reader(&self) -> &ObjectReader {
        &self.reader
    }

    /// The rows as Arrow batches, streamed one row group at a time.
    pub fn batches(&self) -> Result<BatchStream> {
        self.reader.batches()
    }

    /// The rows as typed events of class `E` (fails if the object holds
    /// another class or version).
    pub fn typed<E: OcsfEvent>(&self) -> Result<EventStream<E>> {
        self.reader.typed::<E>()
    }

    /// The rows as [`DynamicEvent`]s.
    pub fn dynamic(&self) -> Result<EventStream<DynamicEvent>> {
        self.reader.dynamic()
    }

    /// The rows as OCSF 1.1.0 [`Event`](ocsf_model::v1_1_0::Event)s, whatever their class: for
    /// an object of a class not known in advance, or of several. Each run of rows of one
    /// `class_uid` is decoded by that class's typed decoder; rows of a class OCSF 1.1.0 does not
    /// define become [`Event::Unrecognized`](ocsf_model::v1_1_0::Event::Unrecognized) with every
    /// attribute (timestamps as RFC 3339 text, as [`Self::dynamic`] reads them). Fails first
    /// when the object holds another OCSF version. Reading one known class with
    /// [`Self::typed`] is faster (each event here also passes through its JSON).
    ///
    /// ```no_run
    /// # async fn run(object: &securitylake_subscriber::LakeObject)
    /// # -> Result<(), securitylake_subscriber::Error> {
    /// use futures::TryStreamExt;
    /// use ocsf_model::v1_1_0::Event;
    ///
    /// let mut batches = object.events()?;
    /// while let Some(events) = batches.try_next().await? {
    ///     for event in &events {
    ///         if let Event::Authentication(logon) = event {
    ///             println!("{:?}", logon.user.as_ref().and_then(|u| u.name.as_deref()));
    ///         }
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn events(&self) -> Result<EventStream<ocsf_model::v1_1_0::Event>> {
        crate::events::events(&self.reader)
    }
}

/// Why a handler failed: retryable failures are retried with backoff (and
/// the notification is left unacknowledged once the attempts are used up);
/// permanent ones go to the dead-letter sink and are acknowledged.
///
/// ```
/// use securitylake_subscriber::HandlerError;
///
/// assert!(HandlerError::retryable("database down").is_retryable());
/// assert!(!HandlerError::permanent("bad row").is_retryable());
/// ```
#[derive(Debug)]
pub struct HandlerError {
    retryable: bool,
    message: String,
    source: Option<BoxError>,
}

impl HandlerError {
    /// A failure that may go away when the object is handled again.
    pub fn retryable(message: impl Into<String>) -> Self {
        Self {
            retryable: true,
            message: message.into(),
            source: None,
        }
    }

    /// A failure that handling the object again cannot fix.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            retryable: false,
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the underlying error.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Whether the failure is retryable.
    pub fn is_retryable(&self) -> bool {
        self.retryable
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.retryable {
            "retryable"
        } else {
            "permanent"
        };
        write!(f, "{kind} handler error: {}", self.message)
    }
}

impl std::error::Error for HandlerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e.as_ref() as &(dyn std::error::Error + 'static))
    }
}

impl From<Error> for HandlerError {
    fn from(err: Error) -> Self {
        Self {
            retryable: err.is_retryable(),
            message: err.to_string(),
            source: Some(Box::new(err)),
        }
    }
}

/// Receives each object once it passed the filters and the deduplication.
/// The notification is acknowledged only after `handle` returned `Ok` (or a
/// permanent error, after the dead letter was written).
///
/// ```
/// use futures::TryStreamExt;
/// use securitylake_subscriber::{Handler, HandlerError, LakeObject};
///
/// struct CountRows;
///
/// #[securitylake_subscriber::async_trait]
/// impl Handler for CountRows {
///     async fn handle(&self, object: &LakeObject) -> Result<(), HandlerError> {
///         let mut batches = object.batches()?;
///         while let Some(batch) = batches.try_next().await? {
///             println!("{} rows", batch.num_rows());
///         }
///         Ok(())
///     }
/// }
/// ```
#[async_trait::async_trait]
pub trait Handler: Send + Sync + 'static {
    /// Handles one whole object.
    async fn handle(&self, object: &LakeObject) -> std::result::Result<(), HandlerError>;
}
