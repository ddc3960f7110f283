//! Seeded chaos: faults injected into a share of requests, and latency drawn from a
//! distribution. The n-th request since start (or reset) always gets the same draw for the
//! same seed, so a failing run can be replayed.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal};

use crate::scenarios::{Scenario, parse_duration};

/// A fault and the share of requests that get it: `overloaded@5%`.
///
/// ```
/// let fault: gemini_image_mock::Fault = "rate_limit=3s@2%".parse().unwrap();
/// assert_eq!(fault.rate, 0.02);
/// assert_eq!(fault.scenario.to_string(), "rate_limit=3s");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    /// What to inject.
    pub scenario: Scenario,
    /// The share of requests, from 0 to 1.
    pub rate: f64,
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (scenario, rate) = text
            .rsplit_once('@')
            .ok_or_else(|| format!("{text}: expected SCENARIO@RATE, such as overloaded@5%"))?;
        let scenario: Scenario = scenario.parse().map_err(|e| format!("{e}"))?;
        let rate = match rate.trim().strip_suffix('%') {
            Some(percent) => percent.trim().parse::<f64>().map(|p| p / 100.0),
            None => rate.trim().parse::<f64>(),
        }
        .map_err(|_| format!("{text}: the rate must be a share such as 5% or 0.05"))?;
        if !(0.0..=1.0).contains(&rate) {
            return Err(format!("{text}: the rate must be between 0% and 100%"));
        }
        Ok(Self { scenario, rate })
    }
}

/// How long each request waits before its answer.
///
/// ```
/// use gemini_image_mock::Latency;
/// use std::time::Duration;
///
/// assert_eq!("fixed:100ms".parse::<Latency>().unwrap(), Latency::Fixed(Duration::from_millis(100)));
/// assert!(matches!("uniform:50ms..200ms".parse::<Latency>().unwrap(), Latency::Uniform(..)));
/// assert!(matches!("lognormal:100ms,0.5".parse::<Latency>().unwrap(), Latency::LogNormal { .. }));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Latency {
    /// Always this long.
    Fixed(Duration),
    /// Evenly between the two.
    Uniform(Duration, Duration),
    /// Log-normal around `median`, with shape `sigma` (0.5 gives a long tail, as real APIs have).
    LogNormal {
        /// Half of the requests wait less than this.
        median: Duration,
        /// The standard deviation of the logarithm.
        sigma: f64,
    },
}

impl FromStr for Latency {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wrong =
            || format!("{text}: expected fixed:100ms, uniform:50ms..200ms or lognormal:100ms,0.5");
        let (kind, value) = text.split_once(':').ok_or_else(wrong)?;
        match kind {
            "fixed" => parse_duration(value).map(Self::Fixed).ok_or_else(wrong),
            "uniform" => {
                let (low, high) = value.split_once("..").ok_or_else(wrong)?;
                let (low, high) = (
                    parse_duration(low).ok_or_else(wrong)?,
                    parse_duration(high).ok_or_else(wrong)?,
                );
                if low > high {
                    return Err(wrong());
                }
                Ok(Self::Uniform(low, high))
            }
            "lognormal" => {
                let (median, sigma) = value.split_once(',').ok_or_else(wrong)?;
                let median = parse_duration(median).ok_or_else(wrong)?;
                let sigma: f64 = sigma.trim().parse().map_err(|_| wrong())?;
                if !(sigma.is_finite() && sigma >= 0.0) {
                    return Err(wrong());
                }
                Ok(Self::LogNormal { median, sigma })
            }
            _ => Err(wrong()),
        }
    }
}

/// Written as `--latency` reads it: `fixed:100ms`, `uniform:50ms..200ms`,
/// `lognormal:100ms,0.5`.
impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fixed(delay) => write!(f, "fixed:{}ms", delay.as_millis()),
            Self::Uniform(low, high) => {
                write!(f, "uniform:{}ms..{}ms", low.as_millis(), high.as_millis())
            }
            Self::LogNormal { median, sigma } => {
                write!(f, "lognormal:{}ms,{sigma}", median.as_millis())
            }
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}%", self.scenario, self.rate * 100.0)
    }
}

/// Chaos settings: faults, latency, seed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChaosConfig {
    /// Faults, tried in order: a request gets at most one.
    pub faults: Vec<Fault>,
    /// Latency added to every request.
    pub latency: Option<Latency>,
    /// The seed that makes the sequence reproducible.
    pub seed: u64,
}

/// Chaos in action: the settings and how many requests it has seen.
pub struct Chaos {
    config: ChaosConfig,
    requests: AtomicU64,
}

impl Chaos {
    /// Starts counting requests from zero.
    pub fn new(config: ChaosConfig) -> Self {
        Self {
            config,
            requests: AtomicU64::new(0),
        }
    }

    /// The scenarios for the next request: at most one fault, and a `slow` for the latency.
    pub fn draw(&self) -> Vec<Scenario> {
        if self.config.faults.is_empty() && self.config.latency.is_none() {
            return Vec::new();
        }
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        let mut rng = ChaCha8Rng::seed_from_u64(self.config.seed);
        rng.set_stream(n);
        let mut drawn = Vec::new();
        let roll: f64 = rng.random();
        let mut threshold = 0.0;
        for fault in &self.config.faults {
            threshold += fault.rate;
            if roll < threshold {
                drawn.push(fault.scenario.clone());
                break;
            }
        }
        let delay = match &self.config.latency {
            None => Duration::ZERO,
            Some(Latency::Fixed(delay)) => *delay,
            Some(Latency::Uniform(low, high)) => {
                Duration::from_secs_f64(rng.random_range(low.as_secs_f64()..=high.as_secs_f64()))
            }
            Some(Latency::LogNormal { median, sigma }) => {
                LogNormal::new(median.as_secs_f64().max(1e-9).ln(), *sigma)
                    .map(|d| d.sample(&mut rng))
                    .ok()
                    .and_then(|s| Duration::try_from_secs_f64(s.min(600.0)).ok())
                    .unwrap_or(*median)
            }
        };
        if !delay.is_zero() {
            drawn.push(Scenario::Slow(delay));
        }
        drawn
    }

    /// Starts the sequence over.
    pub fn reset(&self) {
        self.requests.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chaos(seed: u64) -> Chaos {
        Chaos::new(ChaosConfig {
            faults: vec![
                "overloaded@20%".parse().unwrap(),
                "rate_limit=1s@10%".parse().unwrap(),
            ],
            latency: Some("lognormal:50ms,0.5".parse().unwrap()),
            seed,
        })
    }

    #[test]
    fn the_same_seed_gives_the_same_sequence_and_rates_hold() {
        let first: Vec<_> = (0..2000)
            .map({
                let c = chaos(7);
                move |_| c.draw()
            })
            .collect();
        let again = chaos(7);
        let second: Vec<_> = (0..2000).map(|_| again.draw()).collect();
        assert_eq!(first, second);
        let other = chaos(8);
        let third: Vec<_> = (0..2000).map(|_| other.draw()).collect();
        assert_ne!(first, third);
        let count = |name: &str| {
            first
                .iter()
                .filter(|d| d.iter().any(|s| s.name() == name))
                .count()
        };
        assert!(
            (330..470).contains(&count("overloaded")),
            "{}",
            count("overloaded")
        );
        assert!(
            (140..260).contains(&count("rate_limit")),
            "{}",
            count("rate_limit")
        );
        assert_eq!(count("slow"), 2000);
        again.reset();
        assert_eq!(again.draw(), first[0]);
    }

    #[test]
    fn bad_settings_are_explained() {
        assert!(
            "overloaded"
                .parse::<Fault>()
                .unwrap_err()
                .contains("SCENARIO@RATE")
        );
        assert!(
            "overloaded@150%"
                .parse::<Fault>()
                .unwrap_err()
                .contains("between")
        );
        assert!(
            "gaussian:1s"
                .parse::<Latency>()
                .unwrap_err()
                .contains("expected")
        );
        assert!("uniform:2s..1s".parse::<Latency>().is_err());
    }
}
