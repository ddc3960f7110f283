//! The Interactions API (`/{version}/interactions`) over the same simulated model as
//! `generateContent`: a turn is read into a `GenerateContentRequest` (`turn`), answered by
//! `model::generate`, and its answer written back as steps (`steps`). Stored turns live in
//! `store` (bounded in bytes, kept for a retention period on the mock's clock, chained by
//! `previous_interaction_id`) under ids made by `ids`; `view` writes an interaction as a reply
//! or a `GET` shows it, `events` as a stream. The routes are in `routes/interactions.rs`.
//!
//! Wire facts: the project's reference notes (`interactions-api.md`). Decisions on what the
//! notes leave unconfirmed are written where they are made, and listed in `ARCHITECTURE.md`.

pub mod events;
pub mod ids;
pub mod steps;
pub mod store;
pub mod turn;
pub mod view;
