//! Scenarios queued for the next matching requests (`POST /__mock/scenarios`,
//! `MockServer::enqueue`).

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::Scenario;

/// Scenarios to apply to the next `times` requests that match.
///
/// ```
/// use gemini_image_mock::{QueuedScenario, Scenario};
/// use std::time::Duration;
///
/// let queued = QueuedScenario::new(Scenario::RateLimit(Duration::from_secs(2)))
///     .times(3)
///     .for_model("gemini-3.1-flash-image")
///     .for_test_id("checkout-flow");
/// assert_eq!(queued.times, 3);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedScenario {
    /// What to apply, several at once if needed (`"rate_limit=3s"`, `"slow=1s,stream_error"`).
    #[serde(with = "as_list")]
    pub scenario: Vec<Scenario>,
    /// How many matching requests get it.
    #[serde(default = "one")]
    pub times: u32,
    /// Only requests to this model (with or without `models/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Only requests carrying this `x-mock-test-id` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_id: Option<String>,
}

fn one() -> u32 {
    1
}

mod as_list {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Scenario;
    use crate::scenarios::parse_list;

    pub fn serialize<S: Serializer>(list: &[Scenario], s: S) -> Result<S::Ok, S::Error> {
        let names: Vec<String> = list.iter().map(Scenario::to_string).collect();
        s.serialize_str(&names.join(","))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Scenario>, D::Error> {
        let text = String::deserialize(d)?;
        let list = parse_list(&text).map_err(serde::de::Error::custom)?;
        if list.is_empty() {
            return Err(serde::de::Error::custom("no scenario named"));
        }
        Ok(list)
    }
}

impl QueuedScenario {
    /// `scenario` once, for any request.
    pub fn new(scenario: Scenario) -> Self {
        Self {
            scenario: vec![scenario],
            times: 1,
            model: None,
            test_id: None,
        }
    }

    /// For the next `times` matching requests.
    #[must_use]
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    /// Only for requests to `model`.
    #[must_use]
    pub fn for_model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into().trim_start_matches("models/").to_string());
        self
    }

    /// Only for requests with the header `x-mock-test-id: test_id`.
    #[must_use]
    pub fn for_test_id(mut self, test_id: impl Into<String>) -> Self {
        self.test_id = Some(test_id.into());
        self
    }

    /// Adds another scenario to apply together with the first.
    #[must_use]
    pub fn and(mut self, scenario: Scenario) -> Self {
        self.scenario.push(scenario);
        self
    }

    fn matches(&self, model: &str, test_id: Option<&str>) -> bool {
        let model = model.trim_start_matches("models/");
        self.model
            .as_deref()
            .is_none_or(|m| m.trim_start_matches("models/") == model)
            && self.test_id.as_deref().is_none_or(|t| Some(t) == test_id)
    }
}

impl From<Scenario> for QueuedScenario {
    fn from(scenario: Scenario) -> Self {
        Self::new(scenario)
    }
}

/// First in, first out: a request takes from the oldest entry that matches it.
#[derive(Default)]
pub struct ScenarioQueue {
    entries: Mutex<VecDeque<QueuedScenario>>,
}

impl ScenarioQueue {
    /// Adds an entry at the back (an entry for zero requests is dropped).
    pub fn push(&self, entry: QueuedScenario) {
        if entry.times == 0 {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            entries.push_back(entry);
        }
    }

    /// The scenarios for a request to `model` with `test_id`, used up by one. Entries of
    /// upload scenarios are left for upload chunks ([`ScenarioQueue::take_for_upload`]).
    pub fn take(&self, model: &str, test_id: Option<&str>) -> Vec<Scenario> {
        self.take_where(model, test_id, false)
    }

    /// The scenarios for an upload chunk with `test_id`: the oldest entry of upload scenarios
    /// (`upload_cut`, `upload_status_missing`) without a model.
    pub fn take_for_upload(&self, test_id: Option<&str>) -> Vec<Scenario> {
        self.take_where("", test_id, true)
    }

    fn take_where(&self, model: &str, test_id: Option<&str>, uploads: bool) -> Vec<Scenario> {
        let Ok(mut entries) = self.entries.lock() else {
            return Vec::new();
        };
        let Some(index) = entries.iter().position(|e| {
            e.matches(model, test_id) && e.scenario.iter().any(Scenario::is_for_uploads) == uploads
        }) else {
            return Vec::new();
        };
        let entry = &mut entries[index];
        entry.times -= 1;
        let scenario = entry.scenario.clone();
        if entry.times == 0 {
            entries.remove(index);
        }
        scenario
    }

    /// What is queued now.
    pub fn list(&self) -> Vec<QueuedScenario> {
        self.entries
            .lock()
            .map(|e| e.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Removes the entry at `index` (0 is the oldest) if it is still `scenario` (its names as
    /// listed, `rate_limit=3s,slow=1s`): a queue that moved on since it was shown is left as
    /// it is. Whether an entry was removed.
    pub fn remove(&self, index: usize, scenario: &str) -> bool {
        let Ok(mut entries) = self.entries.lock() else {
            return false;
        };
        let same = entries.get(index).is_some_and(|entry| {
            let names: Vec<String> = entry.scenario.iter().map(Scenario::to_string).collect();
            names.join(",") == scenario
        });
        if same {
            entries.remove(index);
        }
        same
    }

    /// Empties the queue.
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_used_up_in_order_and_only_where_they_match() {
        let queue = ScenarioQueue::default();
        queue.push(QueuedScenario::new(Scenario::Overloaded).times(2));
        queue.push(QueuedScenario::new(Scenario::Internal).for_model("models/gemini-x"));
        queue.push(QueuedScenario::new(Scenario::Deadline).for_test_id("t1"));
        assert_eq!(queue.take("gemini-y", None), [Scenario::Overloaded]);
        assert_eq!(queue.take("gemini-y", Some("t1")), [Scenario::Overloaded]);
        assert_eq!(queue.take("gemini-y", None), []);
        assert_eq!(queue.take("gemini-y", Some("t1")), [Scenario::Deadline]);
        assert_eq!(queue.take("gemini-x", None), [Scenario::Internal]);
        assert!(queue.list().is_empty());
    }

    #[test]
    fn an_entry_is_removed_only_where_it_still_is() {
        let queue = ScenarioQueue::default();
        queue.push(QueuedScenario::new(Scenario::Overloaded));
        queue.push(QueuedScenario::new(Scenario::Internal));
        assert!(!queue.remove(0, "internal"), "the entry at 0 is another");
        assert!(!queue.remove(5, "internal"));
        assert!(queue.remove(1, "internal"));
        assert_eq!(queue.take("m", None), [Scenario::Overloaded]);
        assert!(queue.list().is_empty());
    }

    #[test]
    fn reads_and_writes_the_admin_json() {
        let entry: QueuedScenario = serde_json::from_str(
            r#"{"scenario": "rate_limit=3s, slow=250ms", "times": 2, "testId": "t"}"#,
        )
        .unwrap();
        assert_eq!(entry.scenario.len(), 2);
        assert_eq!(
            serde_json::to_string(&entry).unwrap(),
            r#"{"scenario":"rate_limit=3s,slow=250ms","times":2,"testId":"t"}"#
        );
        let wrong = serde_json::from_str::<QueuedScenario>(r#"{"scenario": "meltdown"}"#);
        assert!(wrong.unwrap_err().to_string().contains("unknown scenario"));
    }
}
