//! Wall-clock times as Kurento reports them. A leaf module: everything may use it.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (`timestampMillis`).
pub fn now_millis() -> u128 {
    since_epoch().as_millis()
}

/// Seconds since the Unix epoch (`creationTime`, `generationTime`).
pub fn unix_seconds() -> u64 {
    since_epoch().as_secs()
}

fn since_epoch() -> std::time::Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}
