//! The simulated model: what stands behind the HTTP API. It knows the models Google serves
//! (`catalogue`), checks a request against a model's rules and the media it carries (`media`),
//! and answers as the real model shapes its answers (`generate`), with images that are a
//! function of the request (`pictures` chooses): drawn (`render`, with `texture` for the weight
//! `weight` sets) at the real sizes (`sizes`) and encoded fast (drawn JPEGs by `jpeg`, the
//! rest by `encode`, on every core through `parallel`), edited as the instruction says
//! (`edit`), or the user's own files (`canned`). Nothing here knows HTTP, scenarios or the
//! journal; the routes call in and turn its answers into Google's wire format.

pub mod canned;
pub mod catalogue;
pub mod edit;
pub mod encode;
pub mod generate;
pub mod jpeg;
pub mod media;
pub mod parallel;
pub mod pictures;
pub mod render;
pub mod sizes;
pub mod texture;
pub mod weight;
