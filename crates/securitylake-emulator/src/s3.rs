//! The in-process S3: `s3s-fs` over the data directory, served by `s3s`, with
//! a hook that reports every object created through it.

use std::path::Path;

use http::{HeaderMap, Method, Request, Response, Uri};
use hyper::body::Incoming;
use s3s::dto::{
    AbortMultipartUploadInput, AbortMultipartUploadOutput, Bucket, CompleteMultipartUploadInput,
    CompleteMultipartUploadOutput, CopyObjectInput, CopyObjectOutput, CopySource,
    CreateBucketInput, CreateBucketOutput, CreateMultipartUploadInput, CreateMultipartUploadOutput,
    DeleteBucketInput, DeleteBucketOutput, DeleteObjectInput, DeleteObjectOutput,
    DeleteObjectsInput, DeleteObjectsOutput, GetBucketLocationInput, GetBucketLocationOutput,
    GetObjectInput, GetObjectOutput, HeadBucketInput, HeadBucketOutput, HeadObjectInput,
    HeadObjectOutput, ListBucketsInput, ListBucketsOutput, ListObjectsInput, ListObjectsOutput,
    ListObjectsV2Input, ListObjectsV2Output, ListPartsInput, ListPartsOutput, PutObjectInput,
    PutObjectOutput, Timestamp, UploadPartCopyInput, UploadPartCopyOutput, UploadPartInput,
    UploadPartOutput,
};
use s3s::service::{S3Service, S3ServiceBuilder};
use s3s::{Body, HttpError, S3, S3Request, S3Response, S3Result, s3_error};
use s3s_fs::FileSystem;

use crate::auth::DynamicAuth;
use crate::encoding::{parse_form, percent_decode};
use crate::state::{ObjectCreated, Shared};

/// The directory (inside the data directory) that holds the lake bucket.
///
/// `s3s-fs` 0.14 keeps per-object metadata in files named
/// `.bucket-<base64 bucket>.object-<base64 key>[.upload-<id>].metadata.json`
/// directly under its root, so bucket and key lengths add up against the
/// file system's 255-byte name limit. Real lake bucket names (up to 63
/// characters) plus real lake keys (about 120 to 160) exceed it, and
/// `s3s-fs` then fails half-way (the object written, its metadata not). The
/// lake bucket is therefore stored under this short internal name, which no
/// client can use (`_` is not allowed in bucket names), and keys that would
/// still not fit are refused up front with `KeyTooLongError`.
pub(crate) const LAKE_BUCKET_DIR: &str = "_lake";
/// The longest file name the metadata files may have.
const NAME_MAX: usize = 255;

/// `s3s-fs` behind a bucket alias and a key-length guard; every other
/// behaviour is `s3s-fs`'s own.
pub(crate) struct LakeFs {
    inner: FileSystem,
    root: std::path::PathBuf,
    lake_bucket: String,
}

impl LakeFs {
    fn new(root: &Path, lake_bucket: &str) -> std::io::Result<Self> {
        let inner = FileSystem::new(root).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
        Ok(Self {
            inner,
            root: root.to_path_buf(),
            lake_bucket: lake_bucket.to_owned(),
        })
    }

    fn to_internal(&self, bucket: &mut String) {
        if *bucket == self.lake_bucket {
            LAKE_BUCKET_DIR.clone_into(bucket);
        }
    }

    fn to_external(&self, bucket: &mut Option<String>) {
        if bucket.as_deref() == Some(LAKE_BUCKET_DIR) {
            *bucket = Some(self.lake_bucket.clone());
        }
    }

    fn copy_source_to_internal(&self, source: &mut CopySource) {
        if let CopySource::Bucket { bucket, .. } = source
            && **bucket == *self.lake_bucket
        {
            *bucket = LAKE_BUCKET_DIR.into();
        }
    }
}

/// Refuses keys whose `s3s-fs` metadata file name would exceed [`NAME_MAX`].
fn check_key_fits(internal_bucket: &str, key: &str, multipart: bool) -> S3Result<()> {
    let encoded = |n: usize| (n * 4).div_ceil(3);
    let upload = if multipart { ".upload-".len() + 36 } else { 0 };
    let name_len = ".bucket-".len()
        + encoded(internal_bucket.len())
        + ".object-".len()
        + encoded(key.len())
        + upload
        + ".metadata.json".len();
    if name_len > NAME_MAX {
        let limit = if multipart {
            "multipart uploads"
        } else {
            "objects"
        };
        return Err(s3_error!(
            KeyTooLongError,
            "the emulator's s3s-fs store cannot hold {limit} with a {} byte key in this bucket",
            key.len()
        ));
    }
    Ok(())
}

#[async_trait::async_trait]
impl S3 for LakeFs {
    async fn create_bucket(
        &self,
        mut req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        self.to_internal(&mut req.input.bucket);
        self.inner.create_bucket(req).await
    }

    async fn delete_bucket(
        &self,
        mut req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.to_internal(&mut req.input.bucket);
        self.inner.delete_bucket(req).await
    }

    async fn head_bucket(
        &self,
        mut req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.to_internal(&mut req.input.bucket);
        self.inner.head_bucket(req).await
    }

    async fn get_bucket_location(
        &self,
        mut req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.to_internal(&mut req.input.bucket);
        self.inner.get_bucket_location(req).await
    }

    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        // s3s-fs skips directories that are not valid bucket names, such as
        // the lake bucket's internal directory: add it back.
        let mut response = self.inner.list_buckets(req).await?;
        if let Ok(meta) = tokio::fs::metadata(self.root.join(LAKE_BUCKET_DIR)).await
            && meta.is_dir()
        {
            let created = meta.created().or_else(|_| meta.modified()).ok();
            let buckets = response.output.buckets.get_or_insert_with(Vec::new);
            buckets.push(Bucket {
                creation_date: created.map(Timestamp::from),
                name: Some(self.lake_bucket.clone()),
                bucket_region: None,
            });
            buckets.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Ok(response)
    }

    async fn put_object(
        &self,
        mut req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        self.to_internal(&mut req.input.bucket);
        check_key_fits(&req.input.bucket, &req.input.key, false)?;
        self.inner.put_object(req).await
    }

    async fn copy_object(
        &self,
        mut req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        self.to_internal(&mut req.input.bucket);
        self.copy_source_to_internal(&mut req.input.copy_source);
        check_key_fits(&req.input.bucket, &req.input.key, false)?;
        self.inner.copy_object(req).await
    }

    async fn get_object(
        &self,
        mut req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        self.to_internal(&mut req.input.bucket);
        self.inner.get_object(req).await
    }

    async fn head_object(
        &self,
        mut req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        self.to_internal(&mut req.input.bucket);
        self.inner.head_object(req).await
    }

    async fn delete_object(
        &self,
        mut req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        self.to_internal(&mut req.input.bucket);
        self.inner.delete_object(req).await
    }

    async fn delete_objects(
        &self,
        mut req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        self.to_internal(&mut req.input.bucket);
        self.inner.delete_objects(req).await
    }

    async fn list_objects(
        &self,
        mut req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        self.to_internal(&mut req.input.bucket);
        let mut response = self.inner.list_objects(req).await?;
        self.to_external(&mut response.output.name);
        Ok(response)
    }

    async fn list_objects_v2(
        &self,
        mut req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.to_internal(&mut req.input.bucket);
        let mut response = self.inner.list_objects_v2(req).await?;
        self.to_external(&mut response.output.name);
        Ok(response)
    }

    async fn create_multipart_upload(
        &self,
        mut req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        self.to_internal(&mut req.input.bucket);
        check_key_fits(&req.input.bucket, &req.input.key, true)?;
        let mut response = self.inner.create_multipart_upload(req).await?;
        self.to_external(&mut response.output.bucket);
        Ok(response)
    }

    async fn upload_part(
        &self,
        mut req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        self.to_internal(&mut req.input.bucket);
        self.inner.upload_part(req).await
    }

    async fn upload_part_copy(
        &self,
        mut req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        self.to_internal(&mut req.input.bucket);
        self.copy_source_to_internal(&mut req.input.copy_source);
        self.inner.upload_part_copy(req).await
    }

    async fn list_parts(
        &self,
        mut req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        self.to_internal(&mut req.input.bucket);
        let mut response = self.inner.list_parts(req).await?;
        self.to_external(&mut response.output.bucket);
        Ok(response)
    }

    async fn complete_multipart_upload(
        &self,
        mut req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        self.to_internal(&mut req.input.bucket);
        let mut response = self.inner.complete_multipart_upload(req).await?;
        self.to_external(&mut response.output.bucket);
        Ok(response)
    }

    async fn abort_multipart_upload(
        &self,
        mut req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.to_internal(&mut req.input.bucket);
        self.inner.abort_multipart_upload(req).await
    }
}

/// The S3 service plus a second view of the same directory used to read the
/// size and ETag of created objects.
pub(crate) struct S3Backend {
    service: S3Service,
    lookup: LakeFs,
}

impl std::fmt::Debug for S3Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Backend").finish_non_exhaustive()
    }
}

impl S3Backend {
    pub fn new(root: &Path, lake_bucket: &str, auth: DynamicAuth) -> std::io::Result<Self> {
        let fs = LakeFs::new(root, lake_bucket)?;
        let lookup = LakeFs::new(root, lake_bucket)?;
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(auth);
        Ok(Self {
            service: builder.build(),
            lookup,
        })
    }

    /// Serves one S3 request and reports a created object.
    pub async fn handle(
        &self,
        shared: &Shared,
        request: Request<Incoming>,
    ) -> Result<Response<Body>, HttpError> {
        let write = object_write(request.method(), request.uri(), request.headers());
        let response = self.service.call(request.map(Body::from)).await?;
        if let Some(created) = write
            && response.status().is_success()
        {
            tracing::debug!(bucket = %created.bucket, key = %created.key, reason = created.reason, "object created");
            // The receiver only goes away at shutdown.
            let _ = shared.events.send(created);
        }
        Ok(response)
    }

    /// The size and ETag (without quotes) of an object.
    pub async fn head(&self, bucket: &str, key: &str) -> Option<(u64, String)> {
        let input = HeadObjectInput::builder()
            .bucket(bucket.to_owned())
            .key(key.to_owned())
            .build()
            .ok()?;
        let request = S3Request {
            input,
            method: Method::HEAD,
            uri: Uri::from_static("/"),
            headers: HeaderMap::new(),
            extensions: http::Extensions::new(),
            credentials: None,
            region: None,
            service: None,
            trailing_headers: None,
        };
        let output = self.lookup.head_object(request).await.ok()?.output;
        let size = u64::try_from(output.content_length.unwrap_or(0)).unwrap_or(0);
        let etag = output.e_tag.map(|e| e.into_value()).unwrap_or_default();
        Some((size, etag))
    }
}

/// Recognises the requests that create an object: `PutObject`, `CopyObject`
/// (a `PUT` on an object key without sub-resource) and
/// `CompleteMultipartUpload` (`POST ?uploadId=` without `partNumber`).
fn object_write(method: &Method, uri: &Uri, headers: &HeaderMap) -> Option<ObjectCreated> {
    let path = uri.path().strip_prefix('/')?;
    let (bucket, key) = path.split_once('/')?;
    if bucket.is_empty() || key.is_empty() {
        return None;
    }
    let query: Vec<String> = uri
        .query()
        .and_then(parse_form)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let reason = if method == Method::PUT && query.iter().all(|k| k == "x-id") {
        if headers.contains_key("x-amz-copy-source") {
            "CopyObject"
        } else {
            "PutObject"
        }
    } else if method == Method::POST
        && query.iter().any(|k| k == "uploadId")
        && !query.iter().any(|k| k == "partNumber")
    {
        "CompleteMultipartUpload"
    } else {
        return None;
    };
    Some(ObjectCreated {
        bucket: percent_decode(bucket, false)?,
        key: percent_decode(key, false)?,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(method: Method, uri: &str, copy: bool) -> Option<(String, String, &'static str)> {
        let mut headers = HeaderMap::new();
        if copy {
            headers.insert("x-amz-copy-source", http::HeaderValue::from_static("b/k"));
        }
        let uri: Uri = uri.parse().ok()?;
        object_write(&method, &uri, &headers).map(|c| (c.bucket, c.key, c.reason))
    }

    #[test]
    fn object_writes_are_recognised() {
        assert_eq!(
            write(
                Method::PUT,
                "/b/ext/a/region%3Dx/f.parquet?x-id=PutObject",
                false
            ),
            Some(("b".into(), "ext/a/region=x/f.parquet".into(), "PutObject"))
        );
        assert_eq!(
            write(Method::PUT, "/b/k", true),
            Some(("b".into(), "k".into(), "CopyObject"))
        );
        assert_eq!(
            write(
                Method::POST,
                "/b/k?uploadId=abc&x-id=CompleteMultipartUpload",
                false
            ),
            Some(("b".into(), "k".into(), "CompleteMultipartUpload"))
        );
        assert_eq!(
            write(Method::PUT, "/b/k?partNumber=1&uploadId=abc", false),
            None
        );
        assert_eq!(write(Method::PUT, "/b/k?tagging", false), None);
        assert_eq!(write(Method::POST, "/b/k?uploads", false), None);
        assert_eq!(write(Method::PUT, "/b", false), None);
        assert_eq!(write(Method::PUT, "/b/", false), None);
        assert_eq!(write(Method::GET, "/b/k", false), None);
    }

    #[test]
    fn long_keys_are_refused_before_writing() {
        let key = "k".repeat(160);
        assert!(check_key_fits(LAKE_BUCKET_DIR, &key, false).is_ok());
        assert!(check_key_fits(LAKE_BUCKET_DIR, &key, true).is_err());
        assert!(check_key_fits(LAKE_BUCKET_DIR, &"k".repeat(170), false).is_err());
        let real_bucket = "aws-security-data-lake-us-east-1-emu123456789012";
        assert!(check_key_fits(real_bucket, &"k".repeat(120), false).is_ok());
        assert!(check_key_fits(real_bucket, &"k".repeat(125), false).is_err());
        assert!(check_key_fits(LAKE_BUCKET_DIR, &"k".repeat(130), true).is_ok());
    }
}
