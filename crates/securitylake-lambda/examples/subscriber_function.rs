//! A Security Lake subscriber as an AWS Lambda function: for every new lake object, count its
//! events per OCSF class and log one JSON line (CloudWatch Logs keeps it). Replace `handle`
//! with your own work; the function acknowledges an object only when it returns `Ok`.
//!
//! Build: `cargo lambda build --release --arm64 --example subscriber_function`; deploy with
//! `examples/subscriber-template.yaml` (see the crate README, "Deploy on AWS Lambda").
//! Environment: `SECLAKE_SUBSCRIBER_ROLE_ARN` / `SECLAKE_EXTERNAL_ID` (the subscriber role
//! Security Lake made), `SECLAKE_DEAD_LETTER_BUCKET` (permanent failures).

use std::collections::BTreeMap;

use securitylake_lambda::subscriber::{SubscriberFunction, run};
use securitylake_subscriber::{Handler, HandlerError, LakeObject, async_trait};

/// Counts events per class.
struct CountClasses;

#[async_trait]
impl Handler for CountClasses {
    async fn handle(&self, object: &LakeObject) -> Result<(), HandlerError> {
        let mut classes: BTreeMap<i32, u64> = BTreeMap::new();
        let mut events = object.events()?;
        while let Some(batch) = events.try_next().await? {
            for event in &batch {
                *classes.entry(event.class_uid()).or_default() += 1;
            }
        }
        let info = object.info();
        let line = serde_json::json!({
            "handled": info.object.key,
            "bucket": info.object.bucket,
            "classes": classes,
        });
        println!("{line}");
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), securitylake_lambda::lambda_runtime::Error> {
    securitylake_lambda::init_logging();
    let function = SubscriberFunction::from_env(CountClasses).await?;
    run(function).await
}
