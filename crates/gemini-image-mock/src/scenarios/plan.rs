//! The scenarios chosen for one request, gathered from every source before it is answered.

use std::time::Duration;

use super::Scenario;
use crate::error::ApiError;

/// The scenarios chosen for one request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// In the order they were asked for.
    pub scenarios: Vec<Scenario>,
}

impl Plan {
    /// Adds scenarios.
    pub fn extend(&mut self, more: impl IntoIterator<Item = Scenario>) {
        self.scenarios.extend(more);
    }

    /// The first error scenario's answer, if any.
    pub fn error(&self, model: &str) -> Option<ApiError> {
        self.scenarios.iter().find_map(|s| s.error(model))
    }

    /// Whether `scenario` (compared by name) is in the plan.
    pub fn has(&self, scenario: &Scenario) -> bool {
        self.scenarios.iter().any(|s| s.name() == scenario.name())
    }

    /// The total `slow` delay asked for.
    pub fn delay(&self) -> Duration {
        self.scenarios
            .iter()
            .map(|s| match s {
                Scenario::Slow(delay) => *delay,
                _ => Duration::ZERO,
            })
            .sum()
    }

    /// The scenarios that change what the model answers (finish reasons, blocks), as one
    /// string for cache keys.
    pub fn shaping_key(&self) -> String {
        self.scenarios
            .iter()
            .filter(|s| s.shapes_the_answer())
            .map(Scenario::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The names, as the journal shows them.
    pub fn names(&self) -> Vec<String> {
        self.scenarios.iter().map(Scenario::to_string).collect()
    }
}
