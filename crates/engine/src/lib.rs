//! The state engine of pamiq-core (see docs/engine.md): atomic, verified, parallel state snapshots
//! and the MessagePack item codec of numbers and tensor lists. Pure Rust, no N-API: the binding crate
//! at the repository root wraps it. No function here panics on bad input; everything fallible returns
//! [`Result`].

pub mod commit;
pub mod error;
pub mod fsutil;
pub mod hash;
pub mod list;
pub mod lock;
pub mod manifest;
pub mod numbers;
pub mod pool;
pub mod read;
pub mod remove;
pub mod scan;
pub mod snapshot;
pub mod writer;

pub use commit::{commit_state, CommitRequest, CommitResult};
pub use error::{Code, EngineError, Result};
pub use hash::{xxh3_hex, Digest};
pub use list::{scan_list, ListScan};
pub use manifest::{parse_manifest, Library, Manifest, ManifestFile};
pub use numbers::encode_numbers;
pub use read::{read_state, verify_state, Fault, Problem, ReadResult, VerifyReport};
pub use remove::{remove_leftovers, remove_states, RemoveOutcome};
pub use scan::{scan_states, ScanResult, StateEntry};
pub use snapshot::{snapshot_clone, snapshot_copy, SnapshotDigest, SnapshotEntry, SnapshotListing};
pub use writer::Writer;
