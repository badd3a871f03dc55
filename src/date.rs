//! Partial dates (`2017`, `2017-03`, `2017-03-02`) as editors write them in front matter.
//!
//! They sort year first, and a less precise date sorts before a more precise one in the same
//! period, so a timeline of `2017`, `2017-03` and `2017-03-02` reads in a stable order.

use std::fmt;

/// A date with optional month and day. Ordering is chronological with the less precise first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartialDate {
    /// Year, 1..=9999.
    pub year: u16,
    /// Month 1..=12, or 0 when unknown.
    pub month: u8,
    /// Day 1..=31, or 0 when unknown.
    pub day: u8,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl PartialDate {
    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (a TOML/YAML date's text form); `None` otherwise.
    pub fn parse(s: &str) -> Option<PartialDate> {
        let s = s.trim();
        let mut parts = s.split('-');
        let y = parts.next()?;
        if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year: u16 = y.parse().ok()?;
        let num = |p: Option<&str>| -> Option<Option<u8>> {
            match p {
                None => Some(None),
                Some(p) if p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()) => {
                    Some(Some(p.parse().ok()?))
                }
                Some(_) => None,
            }
        };
        let month = num(parts.next())?;
        let day = num(parts.next())?;
        if parts.next().is_some() || year == 0 {
            return None;
        }
        let month = month.unwrap_or(0);
        let day = day.unwrap_or(0);
        if month > 12 || (month == 0 && day != 0) {
            return None;
        }
        if day != 0 {
            let max = match month {
                2 if year.is_multiple_of(4)
                    && (!year.is_multiple_of(100) || year.is_multiple_of(400)) =>
                {
                    29
                }
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            if day > max {
                return None;
            }
        }
        Some(PartialDate { year, month, day })
    }

    /// Human form: `2 March 2017`, `March 2017`, `2017`.
    pub fn human(&self) -> String {
        match (self.month, self.day) {
            (0, _) => format!("{}", self.year),
            (m, 0) => format!("{} {}", MONTHS[m as usize - 1], self.year),
            (m, d) => format!("{} {} {}", d, MONTHS[m as usize - 1], self.year),
        }
    }
}

impl fmt::Display for PartialDate {
    /// ISO form with only the known parts: `2017`, `2017-03`, `2017-03-02`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if self.month != 0 {
            write!(f, "-{:02}", self.month)?;
        }
        if self.day != 0 {
            write!(f, "-{:02}", self.day)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::PartialDate;

    #[test]
    fn parses_and_sorts_partial_dates() {
        let mut d: Vec<_> = ["2017-03-02", "2017", "2012-11", "2017-03"]
            .iter()
            .map(|s| PartialDate::parse(s).unwrap())
            .collect();
        d.sort();
        let s: Vec<_> = d.iter().map(|d| d.to_string()).collect();
        assert_eq!(s, ["2012-11", "2017", "2017-03", "2017-03-02"]);
        assert_eq!(d[3].human(), "2 March 2017");
        for bad in [
            "yesterday",
            "2017-13",
            "2017-02-30",
            "17",
            "2017-3",
            "2017-03-02-01",
            "",
        ] {
            assert!(PartialDate::parse(bad).is_none(), "{bad}");
        }
        assert!(PartialDate::parse("2020-02-29").is_some());
    }
}
