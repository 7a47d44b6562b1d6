//! The engine's own rayon pool: `max(1, available_parallelism)` threads, built once.
//! Work never calls back into JavaScript from these threads.

use std::sync::OnceLock;

use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::error::{Code, EngineError, Result};

static POOL: OnceLock<std::result::Result<ThreadPool, String>> = OnceLock::new();

fn pool() -> Result<&'static ThreadPool> {
  let built = POOL.get_or_init(|| {
    let n = std::thread::available_parallelism()
      .map_or(1, |n| n.get())
      .max(1);
    ThreadPoolBuilder::new()
      .num_threads(n)
      .thread_name(|i| format!("pamiq-engine-{i}"))
      .build()
      .map_err(|e| e.to_string())
  });
  built.as_ref().map_err(|e| {
    EngineError::new(
      Code::Io,
      format!("cannot start the engine's thread pool: {e}"),
    )
  })
}

/// Runs `f` inside the engine's pool, so that its `par_iter`s use the pool's threads.
pub fn install<R: Send>(f: impl FnOnce() -> R + Send) -> Result<R> {
  Ok(pool()?.install(f))
}
