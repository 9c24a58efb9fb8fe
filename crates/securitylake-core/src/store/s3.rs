//! [`S3Store`]: objects in an S3 bucket through `aws-sdk-s3`.

use std::ops::Range;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm as SdkChecksumAlgorithm, ChecksumMode, ChecksumType,
    CompletedMultipartUpload, CompletedPart,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use sha2::Digest as _;
use tracing::Instrument;

use super::{
    ObjectMeta, ObjectStore, PutOptions, PutResult, RetryPolicy, validate_key, validate_prefix,
    validate_range,
};
use crate::error::{Error, ErrorKind, Result};

/// The smallest part S3 accepts in a multipart upload, except the last: 5 MiB.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// The largest part S3 accepts: 5 GiB.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// The most parts one multipart upload may have.
pub const MAX_PARTS: u64 = 10_000;

/// The integrity check sent with every upload (and every part).
///
/// The checksum is computed by this crate before the first attempt and sent
/// as a header, so retries resend the same value and the S3 server rejects
/// corrupted bodies (`BadDigest`, mapped to
/// [`ErrorKind::Integrity`], which is retried). Whole-object gets ask S3 to
/// return the stored checksum (`x-amz-checksum-mode: ENABLED`) and the SDK
/// validates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ChecksumAlgorithm {
    /// CRC32 (`x-amz-checksum-crc32`), the SDK's default algorithm.
    #[default]
    Crc32,
    /// SHA-256 (`x-amz-checksum-sha256`).
    Sha256,
    /// `Content-MD5` only (for S3-compatible servers without flexible checksums).
    ContentMd5,
}

/// How [`PutOptions::if_none_match`] is implemented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ConditionalPutMode {
    /// Send `If-None-Match: *` on `PutObject` and `CompleteMultipartUpload`;
    /// the server answers 412 when the key exists, mapped to
    /// [`ErrorKind::AlreadyExists`]. Atomic. Amazon S3 and `s3s-fs` support it.
    #[default]
    IfNoneMatch,
    /// `HeadObject` first, then an unconditional put if the key is absent, for
    /// servers that ignore `If-None-Match`. **Not atomic**: two writers racing
    /// on the same key can both succeed (the last one wins).
    HeadThenPut,
}

/// Builder of an [`S3Store`].
#[derive(Debug, Clone)]
pub struct S3StoreBuilder {
    client: Option<aws_sdk_s3::Client>,
    bucket: Option<String>,
    prefix: String,
    multipart_threshold: u64,
    part_size: u64,
    checksum: ChecksumAlgorithm,
    conditional_put: ConditionalPutMode,
    retry: RetryPolicy,
}

impl S3StoreBuilder {
    /// Sets the S3 client (required); see
    /// [`AwsConfig::s3_client`](crate::aws::AwsConfig::s3_client).
    pub fn client(mut self, client: aws_sdk_s3::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// Sets the bucket (required).
    pub fn bucket(mut self, bucket: impl Into<String>) -> Self {
        self.bucket = Some(bucket.into());
        self
    }

    /// Sets a key prefix under which all keys live (default: none). A `/` is
    /// appended if missing.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Objects strictly larger than this many bytes are uploaded in parts
    /// (default [`S3Store::DEFAULT_MULTIPART_THRESHOLD`]).
    pub fn multipart_threshold(mut self, bytes: u64) -> Self {
        self.multipart_threshold = bytes;
        self
    }

    /// The size of each part but the last (default
    /// [`S3Store::DEFAULT_PART_SIZE`]); must be between [`MIN_PART_SIZE`] and
    /// [`MAX_PART_SIZE`]. Raised automatically when an object would need more
    /// than [`MAX_PARTS`] parts.
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.part_size = bytes;
        self
    }

    /// Sets the upload checksum (default [`ChecksumAlgorithm::Crc32`]).
    pub fn checksum(mut self, checksum: ChecksumAlgorithm) -> Self {
        self.checksum = checksum;
        self
    }

    /// Sets how conditional puts are made (default
    /// [`ConditionalPutMode::IfNoneMatch`]).
    pub fn conditional_put(mut self, mode: ConditionalPutMode) -> Self {
        self.conditional_put = mode;
        self
    }

    /// Sets the retry policy applied on top of the SDK's own retries
    /// (default [`RetryPolicy::new`]).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Validates the settings and builds the store.
    pub fn build(self) -> Result<S3Store> {
        let client = self
            .client
            .ok_or_else(|| Error::config("S3Store needs a client (S3StoreBuilder::client)"))?;
        let bucket = self
            .bucket
            .ok_or_else(|| Error::config("S3Store needs a bucket (S3StoreBuilder::bucket)"))?;
        if bucket.is_empty() || bucket.contains('/') {
            return Err(Error::config(format!(
                "bucket name {bucket:?} is empty or contains '/'"
            )));
        }
        let mut prefix = self.prefix;
        if !prefix.is_empty() && !prefix.ends_with('/') {
            prefix.push('/');
        }
        validate_prefix(&prefix)
            .map_err(|e| Error::config(format!("invalid S3Store prefix: {}", e.message())))?;
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&self.part_size) {
            return Err(Error::config(format!(
                "part size {} must be between {MIN_PART_SIZE} and {MAX_PART_SIZE} bytes",
                self.part_size
            )));
        }
        if self.multipart_threshold == 0 {
            return Err(Error::config("multipart threshold must be at least 1 byte"));
        }
        Ok(S3Store {
            client,
            bucket,
            prefix,
            multipart_threshold: self.multipart_threshold,
            part_size: self.part_size,
            checksum: self.checksum,
            conditional_put: self.conditional_put,
            retry: self.retry,
        })
    }
}

/// An [`ObjectStore`] on an S3 bucket.
///
/// * Objects larger than the multipart threshold are uploaded in parts of at
///   least 5 MiB (sequentially); a failed upload is aborted so no parts are
///   left behind to be billed.
/// * Every upload carries a checksum ([`ChecksumAlgorithm`]).
/// * Conditional puts follow [`ConditionalPutMode`].
/// * Every request is retried by the SDK's retry strategy (as configured on
///   the client), and each operation again by a [`RetryPolicy`] with
///   exponential backoff and jitter, for errors whose
///   [`Error::is_retryable`] is true. A conditional put whose first attempt
///   succeeded but whose response was lost reports
///   [`ErrorKind::AlreadyExists`] on retry: with deterministic object names
///   ([`ObjectName::from_content`](crate::layout::ObjectName::from_content))
///   callers can treat that as success.
/// * Range reads send `Range: bytes=<start>-<end-1>`.
///
/// ```no_run
/// # async fn example() -> securitylake_core::Result<()> {
/// use securitylake_core::aws::AwsConfig;
/// use securitylake_core::store::S3Store;
///
/// let aws = AwsConfig::builder().region("us-east-1").load().await?;
/// let store = S3Store::builder()
///     .client(aws.s3_client())
///     .bucket("aws-security-data-lake-us-east-1-abc")
///     .build()?;
/// # let _ = store;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct S3Store {
    client: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
    multipart_threshold: u64,
    part_size: u64,
    checksum: ChecksumAlgorithm,
    conditional_put: ConditionalPutMode,
    retry: RetryPolicy,
}

/// One part's checksum headers, computed once and reused by every attempt.
#[derive(Debug, Clone, Default)]
struct PartChecksums {
    crc32: Option<String>,
    sha256: Option<String>,
    content_md5: Option<String>,
}

impl PartChecksums {
    fn compute(algorithm: ChecksumAlgorithm, data: &[u8]) -> Self {
        match algorithm {
            ChecksumAlgorithm::Crc32 => Self {
                crc32: Some(BASE64.encode(crc32fast::hash(data).to_be_bytes())),
                ..Self::default()
            },
            ChecksumAlgorithm::Sha256 => Self {
                sha256: Some(BASE64.encode(sha2::Sha256::digest(data))),
                ..Self::default()
            },
            ChecksumAlgorithm::ContentMd5 => Self {
                content_md5: Some(BASE64.encode(<md5::Md5 as md5::Digest>::digest(data))),
                ..Self::default()
            },
        }
    }
}

/// Strips the quotes S3 puts around entity tags.
fn unquote(etag: &str) -> String {
    etag.trim_matches('"').to_owned()
}

/// A [`Bytes`]-friendly hex MD5 (the ETag S3 computes for single-part uploads).
fn hex_md5(data: &[u8]) -> String {
    <md5::Md5 as md5::Digest>::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Classifies an SDK error into this crate's [`Error`].
pub(crate) fn map_sdk_error<E>(context: String, err: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let retry_after = err
        .raw_response()
        .and_then(|r| r.headers().get("retry-after"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let code = err.code().map(str::to_owned);
    if let Some(kind) = credentials_error_kind(&err) {
        let message = if kind == ErrorKind::Config {
            format!(
                "{context}: no AWS credentials were found ({}); {MISSING_CREDENTIALS_HINT}",
                error_chain(&err)
            )
        } else {
            format!("{context}: could not obtain credentials")
        };
        return Error::new(kind, message).with_source(err);
    }
    let kind = sdk_error_kind(&err);
    let detail = match (&err, err.message()) {
        (_, Some(message)) => message.to_owned(),
        (SdkError::ConstructionFailure(_), None) => "the request could not be built".to_owned(),
        (SdkError::TimeoutError(_), None) => "the request timed out".to_owned(),
        (SdkError::DispatchFailure(_), None) => "the request could not be sent".to_owned(),
        (SdkError::ResponseError(_), None) => "the response could not be read".to_owned(),
        (_, None) => "the service returned an error".to_owned(),
    };
    let mut out = Error::new(kind, format!("{context}: {detail}")).with_source(err);
    if let Some(code) = code {
        out = out.with_code(code);
    }
    if let Some(status) = status {
        out = out.with_status(status);
    }
    if let Some(delay) = retry_after {
        out = out.with_retry_after(delay);
    }
    out
}

/// What to configure when no credentials were found.
pub(crate) const MISSING_CREDENTIALS_HINT: &str = "configure credentials with \
AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile (AWS_PROFILE and ~/.aws/credentials, \
or SSO), web identity (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN), an ECS task or EC2 \
instance role, or AwsConfigBuilder::static_credentials; writers then assume the source's \
provider role with AwsConfig::assume_role";

/// The messages of an error and its sources, joined with `: `.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut current = err.source();
    while let Some(e) = current {
        let text = e.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

/// The kind of an SDK error (credentials failures aside).
fn sdk_error_kind<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> ErrorKind {
    match err {
        SdkError::ConstructionFailure(_) => ErrorKind::Config,
        SdkError::DispatchFailure(failure) if failure.is_user() => ErrorKind::Config,
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            ErrorKind::Transient
        }
        SdkError::ServiceError(_) => {
            classify_service_error(err.raw_response().map(|r| r.status().as_u16()), err.code())
        }
        _ => ErrorKind::Service,
    }
}

/// The kind of a failure to obtain credentials, if that is what `err` is
/// (the SDK reports it as a dispatch failure with the credentials error in the
/// source chain).
pub(crate) fn credentials_error_kind(err: &(dyn std::error::Error + 'static)) -> Option<ErrorKind> {
    use aws_credential_types::provider::error::CredentialsError;
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(creds) = e.downcast_ref::<CredentialsError>() {
            return Some(match creds {
                CredentialsError::CredentialsNotLoaded(_)
                | CredentialsError::InvalidConfiguration(_) => ErrorKind::Config,
                CredentialsError::ProviderError(_) => {
                    sts_error_kind(e).unwrap_or(ErrorKind::AccessDenied)
                }
                _ => ErrorKind::Transient,
            });
        }
        current = e.source();
    }
    None
}

/// The kind of the STS `AssumeRole` error below a credentials error, if any.
fn sts_error_kind(err: &(dyn std::error::Error + 'static)) -> Option<ErrorKind> {
    type StsError = SdkError<aws_sdk_sts::operation::assume_role::AssumeRoleError, HttpResponse>;
    let mut current = err.source();
    while let Some(e) = current {
        if let Some(sts) = e.downcast_ref::<StsError>() {
            return Some(sdk_error_kind(sts));
        }
        current = e.source();
    }
    None
}

/// The error kind of an S3 service error, by error code first, then status.
pub(crate) fn classify_service_error(status: Option<u16>, code: Option<&str>) -> ErrorKind {
    let by_code = code.and_then(|code| {
        Some(match code {
            "NoSuchKey" | "NotFound" | "NoSuchBucket" | "NoSuchUpload" | "NoSuchVersion" => {
                ErrorKind::NotFound
            }
            "AccessDenied"
            | "InvalidAccessKeyId"
            | "SignatureDoesNotMatch"
            | "ExpiredToken"
            | "InvalidToken"
            | "AllAccessDisabled"
            | "AccountProblem"
            | "InvalidSecurity"
            | "ExpiredTokenException"
            | "InvalidClientTokenId"
            | "UnrecognizedClientException"
            | "AccessDeniedException" => ErrorKind::AccessDenied,
            "SlowDown"
            | "Throttling"
            | "ThrottlingException"
            | "RequestLimitExceeded"
            | "TooManyRequestsException"
            | "RequestThrottled"
            | "ProvisionedThroughputExceededException" => ErrorKind::Throttled,
            "OperationAborted" | "ConditionalRequestConflict" | "ConflictException" => {
                ErrorKind::Conflict
            }
            "InternalError" | "ServiceUnavailable" | "RequestTimeout" | "InternalFailure" => {
                ErrorKind::Transient
            }
            "BadDigest" | "InvalidDigest" | "XAmzContentSHA256Mismatch" => ErrorKind::Integrity,
            "InvalidRange" | "InvalidArgument" | "InvalidRequest" | "EntityTooSmall"
            | "EntityTooLarge" | "KeyTooLongError" | "InvalidPart" | "InvalidPartOrder"
            | "InvalidBucketName" | "InvalidObjectName" => ErrorKind::InvalidInput,
            _ => return None,
        })
    });
    by_code.unwrap_or(match status {
        Some(401 | 403) => ErrorKind::AccessDenied,
        Some(404) => ErrorKind::NotFound,
        Some(409) => ErrorKind::Conflict,
        Some(416) => ErrorKind::InvalidInput,
        Some(429) => ErrorKind::Throttled,
        Some(500..=599) => ErrorKind::Transient,
        _ => ErrorKind::Service,
    })
}

/// Whether a put failed because the key already exists (HTTP 412).
fn is_precondition_failed(err: &Error) -> bool {
    err.status() == Some(412) || err.code() == Some("PreconditionFailed")
}

/// Turns a failed conditional write into [`ErrorKind::AlreadyExists`].
fn conditional_error(key: &str, err: Error) -> Error {
    if is_precondition_failed(&err) {
        Error::new(
            ErrorKind::AlreadyExists,
            format!("an object already exists at {key:?}"),
        )
        .with_source(err)
    } else {
        err
    }
}

impl S3Store {
    /// The default multipart threshold: 16 MiB.
    pub const DEFAULT_MULTIPART_THRESHOLD: u64 = 16 * 1024 * 1024;
    /// The default part size: 8 MiB.
    pub const DEFAULT_PART_SIZE: u64 = 8 * 1024 * 1024;

    /// A builder with the defaults.
    pub fn builder() -> S3StoreBuilder {
        S3StoreBuilder {
            client: None,
            bucket: None,
            prefix: String::new(),
            multipart_threshold: Self::DEFAULT_MULTIPART_THRESHOLD,
            part_size: Self::DEFAULT_PART_SIZE,
            checksum: ChecksumAlgorithm::default(),
            conditional_put: ConditionalPutMode::default(),
            retry: RetryPolicy::new(),
        }
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The key prefix (empty or ending in `/`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The S3 key of a store key.
    fn full_key(&self, key: &str) -> Result<String> {
        validate_key(key)?;
        Ok(format!("{}{key}", self.prefix))
    }

    /// The part size for an object of `len` bytes (never more than 10,000 parts).
    fn effective_part_size(&self, len: u64) -> u64 {
        self.part_size.max(len.div_ceil(MAX_PARTS))
    }

    async fn put_single(
        &self,
        key: &str,
        full_key: &str,
        bytes: &Bytes,
        options: &PutOptions,
    ) -> Result<PutResult> {
        let checksums = PartChecksums::compute(self.checksum, bytes);
        let conditional =
            options.if_none_match && self.conditional_put == ConditionalPutMode::IfNoneMatch;
        let out = self
            .retry
            .run("PutObject", |_| {
                let request = self
                    .client
                    .put_object()
                    .bucket(&self.bucket)
                    .key(full_key)
                    .body(ByteStream::from(bytes.clone()))
                    .set_content_type(options.content_type.clone())
                    .set_checksum_crc32(checksums.crc32.clone())
                    .set_checksum_sha256(checksums.sha256.clone())
                    .set_content_md5(checksums.content_md5.clone())
                    .set_if_none_match(conditional.then(|| "*".to_owned()));
                async move {
                    request.send().await.map_err(|e| {
                        conditional_error(key, map_sdk_error(format!("PutObject {full_key:?}"), e))
                    })
                }
            })
            .await?;
        let etag = out.e_tag().map(unquote).unwrap_or_else(|| hex_md5(bytes));
        Ok(PutResult::new(etag, out.version_id().map(str::to_owned)))
    }

    async fn put_multipart(
        &self,
        key: &str,
        full_key: &str,
        bytes: &Bytes,
        options: &PutOptions,
    ) -> Result<PutResult> {
        let sdk_algorithm = match self.checksum {
            ChecksumAlgorithm::Crc32 => Some(SdkChecksumAlgorithm::Crc32),
            ChecksumAlgorithm::Sha256 => Some(SdkChecksumAlgorithm::Sha256),
            ChecksumAlgorithm::ContentMd5 => None,
        };
        let created = self
            .retry
            .run("CreateMultipartUpload", |_| {
                let request = self
                    .client
                    .create_multipart_upload()
                    .bucket(&self.bucket)
                    .key(full_key)
                    .set_content_type(options.content_type.clone())
                    .set_checksum_algorithm(sdk_algorithm.clone())
                    .set_checksum_type(sdk_algorithm.as_ref().map(|_| ChecksumType::Composite));
                async move {
                    request.send().await.map_err(|e| {
                        map_sdk_error(format!("CreateMultipartUpload {full_key:?}"), e)
                    })
                }
            })
            .await?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Service,
                    "CreateMultipartUpload returned no upload id",
                )
            })?
            .to_owned();
        tracing::debug!(%upload_id, "multipart upload created");
        match self
            .upload_parts(key, full_key, bytes, options, &upload_id)
            .await
        {
            Ok(result) => Ok(result),
            Err(err) => {
                let aborted = self
                    .client
                    .abort_multipart_upload()
                    .bucket(&self.bucket)
                    .key(full_key)
                    .upload_id(&upload_id)
                    .send()
                    .await;
                match aborted {
                    Ok(_) => tracing::debug!(%upload_id, "multipart upload aborted"),
                    Err(abort_err) => tracing::warn!(
                        %upload_id,
                        error = %map_sdk_error(format!("AbortMultipartUpload {full_key:?}"), abort_err),
                        "could not abort the multipart upload; a bucket lifecycle rule should clean it up"
                    ),
                }
                Err(err)
            }
        }
    }

    async fn upload_parts(
        &self,
        key: &str,
        full_key: &str,
        bytes: &Bytes,
        options: &PutOptions,
        upload_id: &str,
    ) -> Result<PutResult> {
        let len = bytes.len() as u64;
        let part_size = self.effective_part_size(len);
        let mut completed = Vec::new();
        let mut start = 0u64;
        let mut number = 1i32;
        while start < len {
            let end = (start + part_size).min(len);
            let (Ok(lo), Ok(hi)) = (usize::try_from(start), usize::try_from(end)) else {
                return Err(Error::invalid_input("object too large for this platform"));
            };
            let part = bytes.slice(lo..hi);
            let checksums = PartChecksums::compute(self.checksum, &part);
            let span = tracing::debug_span!("upload_part", part = number, size = part.len());
            let uploaded = self
                .retry
                .run("UploadPart", |_| {
                    let request = self
                        .client
                        .upload_part()
                        .bucket(&self.bucket)
                        .key(full_key)
                        .upload_id(upload_id)
                        .part_number(number)
                        .body(ByteStream::from(part.clone()))
                        .set_checksum_crc32(checksums.crc32.clone())
                        .set_checksum_sha256(checksums.sha256.clone())
                        .set_content_md5(checksums.content_md5.clone());
                    async move {
                        request.send().await.map_err(|e| {
                            map_sdk_error(format!("UploadPart {number} of {full_key:?}"), e)
                        })
                    }
                })
                .instrument(span)
                .await?;
            completed.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(uploaded.e_tag().map(str::to_owned))
                    .set_checksum_crc32(checksums.crc32)
                    .set_checksum_sha256(checksums.sha256)
                    .build(),
            );
            start = end;
            number += 1;
        }
        let parts = completed.len();
        let conditional =
            options.if_none_match && self.conditional_put == ConditionalPutMode::IfNoneMatch;
        let upload = CompletedMultipartUpload::builder()
            .set_parts(Some(completed))
            .build();
        let out = self
            .retry
            .run("CompleteMultipartUpload", |attempt| {
                let request = self
                    .client
                    .complete_multipart_upload()
                    .bucket(&self.bucket)
                    .key(full_key)
                    .upload_id(upload_id)
                    .multipart_upload(upload.clone())
                    .set_if_none_match(conditional.then(|| "*".to_owned()));
                async move {
                    match request.send().await {
                        Ok(out) => Ok(Ok(out)),
                        Err(e) => {
                            let err =
                                map_sdk_error(format!("CompleteMultipartUpload {full_key:?}"), e);
                            // A retried completion of an upload that the lost
                            // first attempt already completed finds no upload:
                            // S3 says NoSuchUpload, s3s-fs AccessDenied (it
                            // cannot check the owner of a finished upload).
                            // The object's size decides below.
                            if attempt > 1
                                && matches!(err.code(), Some("NoSuchUpload" | "AccessDenied"))
                            {
                                Ok(Err(err))
                            } else {
                                Err(conditional_error(key, err))
                            }
                        }
                    }
                }
            })
            .await?;
        match out {
            Ok(out) => {
                let etag = out.e_tag().map(unquote).ok_or_else(|| {
                    Error::new(
                        ErrorKind::Service,
                        "CompleteMultipartUpload returned no ETag",
                    )
                })?;
                tracing::debug!(parts, %etag, "multipart upload completed");
                Ok(PutResult::new(etag, out.version_id().map(str::to_owned)))
            }
            Err(completion) => {
                let meta = match self.head(key).await {
                    Ok(meta) => meta,
                    Err(err) if err.kind() == ErrorKind::NotFound => return Err(completion),
                    Err(err) => return Err(err),
                };
                if meta.size != len {
                    return Err(Error::new(
                        ErrorKind::Service,
                        format!(
                            "multipart upload of {full_key:?} vanished and the stored object has another size"
                        ),
                    ));
                }
                Ok(PutResult::new(meta.etag.unwrap_or_default(), None))
            }
        }
    }

    async fn put_inner(&self, key: &str, bytes: &Bytes, options: &PutOptions) -> Result<PutResult> {
        let full_key = self.full_key(key)?;
        if options.if_none_match && self.conditional_put == ConditionalPutMode::HeadThenPut {
            match self.head(key).await {
                Ok(_) => {
                    return Err(Error::new(
                        ErrorKind::AlreadyExists,
                        format!("an object already exists at {key:?}"),
                    ));
                }
                Err(err) if err.kind() == ErrorKind::NotFound => {}
                Err(err) => return Err(err),
            }
        }
        if bytes.len() as u64 > self.multipart_threshold {
            self.put_multipart(key, &full_key, bytes, options).await
        } else {
            self.put_single(key, &full_key, bytes, options).await
        }
    }

    async fn get_inner(&self, key: &str, range: Option<&Range<u64>>) -> Result<Bytes> {
        let full_key = self.full_key(key)?;
        let header = range.map(|r| format!("bytes={}-{}", r.start, r.end - 1));
        let full_key = full_key.as_str();
        self.retry
            .run("GetObject", |_| {
                let request = self
                    .client
                    .get_object()
                    .bucket(&self.bucket)
                    .key(full_key)
                    .set_range(header.clone())
                    .set_checksum_mode(range.is_none().then_some(ChecksumMode::Enabled));
                async move {
                    let out = request
                        .send()
                        .await
                        .map_err(|e| map_sdk_error(format!("GetObject {full_key:?}"), e))?;
                    let body = out.body.collect().await.map_err(|e| {
                        Error::new(
                            ErrorKind::Transient,
                            format!("reading the body of {full_key:?}"),
                        )
                        .with_source(e)
                    })?;
                    Ok(body.into_bytes())
                }
            })
            .await
    }
}

#[async_trait]
impl ObjectStore for S3Store {
    async fn put(&self, key: &str, bytes: Bytes, options: PutOptions) -> Result<PutResult> {
        let span = tracing::info_span!(
            "object_put",
            backend = "s3",
            bucket = %self.bucket,
            key,
            size = bytes.len(),
            multipart = bytes.len() as u64 > self.multipart_threshold,
            if_none_match = options.if_none_match
        );
        async {
            let result = self.put_inner(key, &bytes, &options).await;
            match &result {
                Ok(put) => tracing::debug!(etag = %put.etag, "object stored"),
                Err(err) => tracing::debug!(error = %err, "object not stored"),
            }
            result
        }
        .instrument(span)
        .await
    }

    async fn get(&self, key: &str) -> Result<Bytes> {
        let span = tracing::info_span!("object_get", backend = "s3", bucket = %self.bucket, key);
        async {
            let bytes = self.get_inner(key, None).await?;
            tracing::debug!(size = bytes.len(), "object read");
            Ok(bytes)
        }
        .instrument(span)
        .await
    }

    async fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes> {
        let span = tracing::info_span!(
            "object_get",
            backend = "s3",
            bucket = %self.bucket,
            key,
            start = range.start,
            end = range.end
        );
        async {
            validate_range(&range)?;
            self.get_inner(key, Some(&range)).await
        }
        .instrument(span)
        .await
    }

    async fn head(&self, key: &str) -> Result<ObjectMeta> {
        let full_key = self.full_key(key)?;
        let full_key = full_key.as_str();
        let out = self
            .retry
            .run("HeadObject", |_| {
                let request = self.client.head_object().bucket(&self.bucket).key(full_key);
                async move {
                    request
                        .send()
                        .await
                        .map_err(|e| map_sdk_error(format!("HeadObject {full_key:?}"), e))
                }
            })
            .await?;
        let size = out
            .content_length()
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| {
                Error::new(ErrorKind::Service, "HeadObject returned no content length")
            })?;
        let last_modified = out
            .last_modified()
            .and_then(|t| SystemTime::try_from(*t).ok());
        Ok(ObjectMeta::new(
            key,
            size,
            out.e_tag().map(unquote),
            last_modified,
        ))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        validate_prefix(prefix)?;
        let full_prefix = format!("{}{prefix}", self.prefix);
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page =
                self.retry
                    .run("ListObjectsV2", |_| {
                        let request = self
                            .client
                            .list_objects_v2()
                            .bucket(&self.bucket)
                            .prefix(&full_prefix)
                            .set_continuation_token(token.clone());
                        let full_prefix = &full_prefix;
                        async move {
                            request.send().await.map_err(|e| {
                                map_sdk_error(format!("ListObjectsV2 {full_prefix:?}"), e)
                            })
                        }
                    })
                    .await?;
            for object in page.contents() {
                let Some(full) = object.key() else { continue };
                let Some(key) = full.strip_prefix(self.prefix.as_str()) else {
                    continue;
                };
                if validate_key(key).is_err() {
                    tracing::warn!(
                        key = full,
                        "skipping a listed key that this store cannot address"
                    );
                    continue;
                }
                let size = object
                    .size()
                    .and_then(|n| u64::try_from(n).ok())
                    .unwrap_or(0);
                let last_modified = object
                    .last_modified()
                    .and_then(|t| SystemTime::try_from(*t).ok());
                out.push(ObjectMeta::new(
                    key,
                    size,
                    object.e_tag().map(unquote),
                    last_modified,
                ));
            }
            match (page.is_truncated(), page.next_continuation_token()) {
                (Some(true), Some(next)) => token = Some(next.to_owned()),
                _ => break,
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let full_key = self.full_key(key)?;
        let full_key = full_key.as_str();
        let result = self
            .retry
            .run("DeleteObject", |_| {
                let request = self
                    .client
                    .delete_object()
                    .bucket(&self.bucket)
                    .key(full_key);
                async move {
                    request
                        .send()
                        .await
                        .map_err(|e| map_sdk_error(format!("DeleteObject {full_key:?}"), e))
                }
            })
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if err.kind() == ErrorKind::NotFound && err.code() != Some("NoSuchBucket") => {
                Ok(())
            }
            Err(err) => Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_errors_are_classified() {
        let cases = [
            (Some(404), Some("NoSuchKey"), ErrorKind::NotFound),
            (Some(404), None, ErrorKind::NotFound),
            (Some(403), Some("AccessDenied"), ErrorKind::AccessDenied),
            (Some(400), Some("ExpiredToken"), ErrorKind::AccessDenied),
            (Some(503), Some("SlowDown"), ErrorKind::Throttled),
            (Some(429), None, ErrorKind::Throttled),
            (Some(409), Some("OperationAborted"), ErrorKind::Conflict),
            (Some(400), Some("RequestTimeout"), ErrorKind::Transient),
            (Some(502), None, ErrorKind::Transient),
            (Some(400), Some("BadDigest"), ErrorKind::Integrity),
            (Some(416), Some("InvalidRange"), ErrorKind::InvalidInput),
            (Some(400), Some("EntityTooSmall"), ErrorKind::InvalidInput),
            (Some(412), Some("PreconditionFailed"), ErrorKind::Service),
            (Some(400), Some("SomethingNew"), ErrorKind::Service),
            (None, None, ErrorKind::Service),
        ];
        for (status, code, kind) in cases {
            assert_eq!(
                classify_service_error(status, code),
                kind,
                "{status:?} {code:?}"
            );
        }
    }

    #[test]
    fn precondition_failures_become_already_exists() {
        let err = Error::new(ErrorKind::Service, "x").with_status(412);
        assert_eq!(conditional_error("k", err).kind(), ErrorKind::AlreadyExists);
        let err = Error::new(ErrorKind::Service, "x").with_code("PreconditionFailed");
        assert_eq!(conditional_error("k", err).kind(), ErrorKind::AlreadyExists);
        let err = Error::new(ErrorKind::Transient, "x").with_status(503);
        assert_eq!(conditional_error("k", err).kind(), ErrorKind::Transient);
    }

    #[test]
    fn checksums_are_s3_encoded() {
        // CRC32("hello") = 0x3610a686; SHA-256 and MD5 of "hello", base64.
        assert_eq!(
            PartChecksums::compute(ChecksumAlgorithm::Crc32, b"hello")
                .crc32
                .as_deref(),
            Some("NhCmhg==")
        );
        assert_eq!(
            PartChecksums::compute(ChecksumAlgorithm::Sha256, b"hello")
                .sha256
                .as_deref(),
            Some("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=")
        );
        assert_eq!(
            PartChecksums::compute(ChecksumAlgorithm::ContentMd5, b"hello")
                .content_md5
                .as_deref(),
            Some("XUFAKrxLKna5cZ2REBfFkg==")
        );
        assert_eq!(unquote("\"abc-2\""), "abc-2");
        assert_eq!(hex_md5(b"hello"), "5d41402abc4b2a76b9719d911017c592");
    }

    fn client() -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    #[test]
    fn builder_validates() {
        assert_eq!(
            S3Store::builder()
                .bucket("b")
                .build()
                .err()
                .map(|e| e.kind()),
            Some(ErrorKind::Config)
        );
        assert_eq!(
            S3Store::builder()
                .client(client())
                .build()
                .err()
                .map(|e| e.kind()),
            Some(ErrorKind::Config)
        );
        let small = S3Store::builder()
            .client(client())
            .bucket("b")
            .part_size(MIN_PART_SIZE - 1)
            .build();
        assert_eq!(small.err().map(|e| e.kind()), Some(ErrorKind::Config));
        let zero = S3Store::builder()
            .client(client())
            .bucket("b")
            .multipart_threshold(0)
            .build();
        assert_eq!(zero.err().map(|e| e.kind()), Some(ErrorKind::Config));
        let bad_prefix = S3Store::builder()
            .client(client())
            .bucket("b")
            .prefix("a//b")
            .build();
        assert_eq!(bad_prefix.err().map(|e| e.kind()), Some(ErrorKind::Config));
        let store = S3Store::builder()
            .client(client())
            .bucket("b")
            .prefix("lake")
            .build();
        assert_eq!(store.as_ref().map(|s| s.prefix()).ok(), Some("lake/"));
        assert_eq!(store.as_ref().map(|s| s.bucket()).ok(), Some("b"));
        let full = store.as_ref().ok().and_then(|s| s.full_key("ext/x").ok());
        assert_eq!(full.as_deref(), Some("lake/ext/x"));
    }

    #[test]
    fn part_size_grows_to_stay_within_10000_parts() {
        let Ok(store) = S3Store::builder()
            .client(client())
            .bucket("b")
            .part_size(MIN_PART_SIZE)
            .build()
        else {
            panic!("valid builder");
        };
        assert_eq!(store.effective_part_size(1024), MIN_PART_SIZE);
        let huge = MIN_PART_SIZE * MAX_PARTS * 2;
        assert_eq!(store.effective_part_size(huge), MIN_PART_SIZE * 2);
        assert!(huge.div_ceil(store.effective_part_size(huge)) <= MAX_PARTS);
    }
}
