//! `seclake-lambda-transform`: the transform function's `bootstrap`, configured from
//! environment variables (see `securitylake_lambda::TransformConfig`). Build it with
//! `cargo lambda build --release --arm64 --bin seclake-lambda-transform`.

#[tokio::main]
async fn main() -> Result<(), securitylake_lambda::lambda_runtime::Error> {
    securitylake_lambda::transform::run_from_env().await
}
