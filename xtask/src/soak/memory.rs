//! The mock's memory as the kernel sees it: `/proc/PID/status` (Linux only).

/// One reading of a process's memory.
#[derive(Clone, Copy, Debug, Default)]
pub struct Reading {
    /// Resident set size now, in MiB.
    pub rss_mib: f64,
    /// The highest resident set size so far (`VmHWM`), in MiB.
    pub peak_mib: f64,
    /// Threads now (the blocking pool's among them).
    pub threads: u64,
}

/// Reads `/proc/{pid}/status`.
pub fn read(pid: u32) -> Result<Reading, String> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).map_err(|e| format!("reading {path}: {e}"))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|value| value.parse::<u64>().ok())
            .ok_or_else(|| format!("no {name} in {path}"))
    };
    Ok(Reading {
        rss_mib: field("VmRSS:")? as f64 / 1024.0,
        peak_mib: field("VmHWM:")? as f64 / 1024.0,
        threads: field("Threads:")?,
    })
}
