//! Batch mode's job engine, one job a module: `job` (a batch's state, counts and results, and
//! the Operation it is shown as), `store` (the jobs, bounded in bytes and in unfinished
//! batches), `engine` (a task per batch feeding a shared worker pool, at the configured
//! `pace`), `lines` (the requests, inline or a JSONL file's lines), `answer` (one line through
//! the model path of `generateContent`), `disk` (records in `--data-dir`), `ids`.

pub mod answer;
pub mod disk;
pub mod engine;
pub mod ids;
pub mod job;
pub mod lines;
pub mod pace;
pub mod store;
