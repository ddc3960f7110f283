//! The simulated model: what stands behind the HTTP API. It knows the models Google serves
//! (`catalogue`), checks a request against a model's rules and the media it carries (`media`),
//! and answers as the real model shapes its answers (`generate`), with images that are a
//! function of the request: drawn (`render`) at the real sizes (`sizes`), edited as the
//! instruction says (`edit`), or the user's own files (`canned`). Nothing here knows HTTP,
//! scenarios or the journal; the routes call in and turn its answers into Google's wire format.

pub mod canned;
pub mod catalogue;
pub mod edit;
pub mod generate;
pub mod media;
pub mod render;
pub mod sizes;
