//! Days since 1970-01-01 to a calendar date, shared by the reader (date cells) and the
//! server's log (timestamps), so that neither needs a date crate.

/// (year, month, day) of the proleptic Gregorian calendar, after H. Hinnant's
/// `civil_from_days`.
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Now where the forms are filed, China Standard Time (UTC+8): (year, month, day, hour,
/// minute, second).
pub fn now_in_china() -> (i64, i64, i64, u32, u32, u32) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        + 8 * 3600;
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let t = (secs % 86_400) as u32;
    (y, m, d, t / 3600, t / 60 % 60, t % 60)
}

/// Today's date where the forms are filed: `2026-12-07`.
pub fn today_in_china() -> String {
    let (y, m, d, ..) = now_in_china();
    format!("{y}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_691), (2023, 11, 30));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }
}
