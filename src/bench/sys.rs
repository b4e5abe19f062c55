//! Process facts the report shows: peak resident set size (`VmHWM` of /proc/self/status on
//! Linux; `None` where that file does not exist).

/// Peak resident set size in bytes, if the platform reports it.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_hwm(&status)
}

/// The `VmHWM:` line of a /proc status text, in bytes.
pub fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Bytes this process caused to be sent to the storage layer (`write_bytes` of /proc/self/io),
/// counting every thread, so it measures any engine's device writes the same way.
pub fn process_write_bytes() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    let line = io.lines().find(|l| l.starts_with("write_bytes:"))?;
    line.trim_start_matches("write_bytes:").trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vm_hwm() {
        let s = "Name:\taerolite\nVmPeak:\t  10 kB\nVmHWM:\t    2048 kB\nVmRSS:\t 1 kB\n";
        assert_eq!(parse_vm_hwm(s), Some(2048 * 1024));
        assert_eq!(parse_vm_hwm("VmRSS: 1 kB"), None);
        #[cfg(target_os = "linux")]
        assert!(peak_rss_bytes().unwrap_or(0) > 0);
    }
}
