//! The transform function built in code: the configuration from the environment, changed
//! where your deployment needs it, then served by the Lambda runtime. The
//! `seclake-lambda-transform` binary is the same without the changes.
//!
//! Build: `cargo lambda build --release --arm64 --example transform_function`; deploy with
//! `examples/transform-template.yaml` (point `CodeUri` at `target/lambda/transform_function/`).

use std::sync::Arc;

use securitylake_lambda::lambda_runtime::{self, LambdaEvent, service_fn};
use securitylake_lambda::{MapperChoice, Transform, TransformConfig};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    securitylake_lambda::init_logging();
    let from_env = Transform::from_env().await?;
    // Your changes: here every object is read as Linux logs, in batches of 32 MiB.
    let mut config: TransformConfig = from_env.config().clone();
    config.mapper = MapperChoice::Fixed(securitylake_lambda::config::LineFormat::Linux);
    config.batch_bytes = 32 * 1024 * 1024;
    let transform = Arc::new(from_env.with_config(config));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| {
        let transform = transform.clone();
        async move { transform.handle(event).await }
    }))
    .await
}
