//! `seclake-lambda-transform`: the transform function's `bootstrap`, configured from
//! environment variables (see `securitylake_lambda::TransformConfig`). Build it with
//! `cargo lambda build --release --arm64 --bin seclake-lambda-transform`.

fn main() -> Result<(), securitylake_lambda::lambda_runtime::Error> {
    // Before the runtime's threads allocate: freed large buffers go back to the system, which
    // keeps a warm function's RSS within its memory setting (ADR 0314).
    securitylake_alloc::fix_mmap_threshold(securitylake_alloc::DEFAULT_MMAP_THRESHOLD);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(securitylake_lambda::transform::run_from_env())
}
