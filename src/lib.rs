//! # securitylake
//!
//! The facade crate of the Rust SDK for Amazon Security Lake. It holds no logic of its own: it
//! re-exports the crates of the workspace behind cargo features, so an application can depend on
//! one crate and switch on what it uses.
//!
//! | feature | re-export | what it is |
//! |---|---|---|
//! | `compiler` | `securitylake::compiler` | the OCSF schema compiler (`ocsf-compiler`) |
//!
//! The data flow the crates implement, one direction only:
//!
//! ```text
//! raw log -> ocsf-mappers -> typed event (ocsf-model) -> RecordBatch -> Parquet
//!   -> securitylake-source -> object store -> notification -> securitylake-subscriber -> typed event
//! ```

#[cfg(feature = "compiler")]
#[doc(inline)]
pub use ocsf_compiler as compiler;
