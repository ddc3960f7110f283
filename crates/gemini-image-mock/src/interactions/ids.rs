//! Interaction ids as Google makes them: `v1_` and the URL-safe base64 (no padding) of a small
//! protobuf whose field 1 is the conversation's root id and field 2 the interaction's own id
//! (a real id: `v1_ChY5YnM3YXZleUNycUNrZFVQMTRmb09BEhY5YnM3YXZleUNycUNrZFVQMTRmb09B`, both
//! fields the same 22 characters for a first turn).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use gemini_image_types::Base64Bytes;
use xxhash_rust::xxh3::xxh3_64;

use crate::model::generate::response_id;

/// Makes own ids: 22 URL-safe characters, different for every call of one server and, through
/// the start time, from one run to the next.
#[derive(Debug)]
pub struct IdMaker {
    seed: u64,
    counter: AtomicU64,
}

impl Default for IdMaker {
    fn default() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Self {
            seed: nanos,
            counter: AtomicU64::new(0),
        }
    }
}

impl IdMaker {
    /// A fresh own id (22 characters, as Google's).
    pub fn own_id(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        response_id(xxh3_64(
            &[self.seed.to_le_bytes(), n.to_le_bytes()].concat(),
        ))
    }
}

/// The public id of the interaction `own` in the conversation that began with `root`.
pub fn encode(root: &str, own: &str) -> String {
    let mut message = Vec::with_capacity(root.len() + own.len() + 6);
    for (tag, field) in [(0x0a_u8, root), (0x12, own)] {
        message.push(tag);
        push_varint(&mut message, field.len() as u64);
        message.extend_from_slice(field.as_bytes());
    }
    let text = Base64Bytes::from(message).encode();
    let url_safe: String = text
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            other => other,
        })
        .collect();
    format!("v1_{url_safe}")
}

fn push_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_googles_protobuf_in_url_safe_base64() {
        let own = "9bs7aveyCrqCkdUP14foOA";
        assert_eq!(
            encode(own, own),
            "v1_ChY5YnM3YXZleUNycUNrZFVQMTRmb09BEhY5YnM3YXZleUNycUNrZFVQMTRmb09B"
        );
        let maker = IdMaker::default();
        let (a, b) = (maker.own_id(), maker.own_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 22);
    }
}
