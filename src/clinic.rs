//! The clinic's details as search engines need them: a phone number in international (E.164)
//! form, opening hours parsed from schema.org's `Mo-Fr 09:00-18:00` syntax, and a business type
//! that schema.org actually defines.
//!
//! Staff write these by hand in site.toml; anything that would produce invalid structured data is
//! an error there, not a silent gap in what Google sees.

use serde::Serialize;

/// schema.org types that suit a massage clinic (all subtypes of LocalBusiness). There is no
/// "MassageTherapy" type.
pub const BUSINESS_TYPES: &[&str] = &[
    "HealthAndBeautyBusiness",
    "DaySpa",
    "HealthClub",
    "MedicalBusiness",
    "MedicalClinic",
    "Physiotherapy",
    "LocalBusiness",
];

/// The default business type.
pub const DEFAULT_BUSINESS_TYPE: &str = "HealthAndBeautyBusiness";

/// Calling codes, and whether national numbers start with a trunk `0` to drop, by ISO country.
const CALLING_CODES: &[(&str, &str, bool)] = &[
    ("US", "1", false),
    ("CA", "1", false),
    ("GB", "44", true),
    ("UK", "44", true),
    ("IE", "353", true),
    ("AU", "61", true),
    ("NZ", "64", true),
    ("ZA", "27", true),
    ("DE", "49", true),
    ("AT", "43", true),
    ("CH", "41", true),
    ("FR", "33", true),
    ("BE", "32", true),
    ("NL", "31", true),
    ("ES", "34", false),
    ("PT", "351", false),
    ("IT", "39", false),
    ("SE", "46", true),
    ("NO", "47", false),
    ("DK", "45", false),
    ("FI", "358", true),
    ("PL", "48", false),
    ("IN", "91", true),
    ("SG", "65", false),
    ("JP", "81", true),
    ("MX", "52", false),
    ("BR", "55", true),
];

/// A phone number as written, in E.164 form (`+14065550142`), or why it cannot be.
pub fn e164(phone: &str, country: &str) -> Result<String, String> {
    // Word processors put non-breaking spaces and hyphens into numbers: the same to a reader.
    let phone: String = phone
        .chars()
        .filter(|c| !crate::error::is_invisible(*c))
        .map(|c| match c {
            '\u{a0}' | '\u{202f}' | '\u{2007}' => ' ',
            '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
            c => c,
        })
        .collect();
    let phone = phone.trim();
    if let Some(c) = phone
        .chars()
        .find(|c| !(c.is_ascii_digit() || " +-.()/".contains(*c)))
    {
        let letter_o =
            (c == 'O' || c == 'o') && phone.chars().filter(char::is_ascii_digit).count() >= 6;
        return Err(if letter_o {
            format!(
                "it contains the letter `{c}` where a zero goes; write `{}`",
                phone.replace(['O', 'o'], "0")
            )
        } else if phone.to_ascii_lowercase().contains("ext") || c == 'x' {
            "it has an extension, which a phone link cannot dial; write the main number only"
                .to_owned()
        } else {
            format!("it contains `{c}`")
        });
    }
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let international = if phone.starts_with('+') {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_owned()
    } else {
        let country = country.trim().to_ascii_uppercase();
        let Some((_, code, trunk)) = CALLING_CODES.iter().find(|(c, _, _)| *c == country) else {
            return Err(if country.is_empty() {
                "it has no country code and `country` is not set".to_owned()
            } else {
                format!("it has no country code, and knead does not know the code of `{country}`")
            });
        };
        let national = if *trunk {
            digits.strip_prefix('0').unwrap_or(&digits)
        } else if *code == "1" {
            digits
                .strip_prefix('1')
                .filter(|d| d.len() == 10)
                .unwrap_or(&digits)
        } else {
            &digits
        };
        if *code == "1" && national.len() != 10 {
            let fix = if national.len() == 7 {
                "add the area code in front, e.g. `(406) 555-0142`"
            } else {
                "check that no digit is missing or doubled"
            };
            return Err(format!(
                "a number in the US or Canada has 10 digits, this one has {}; {fix}",
                national.len()
            ));
        }
        format!("{code}{national}")
    };
    if !(8..=15).contains(&international.len()) || international.starts_with('0') {
        return Err("it is not a complete international number".into());
    }
    Ok(format!("+{international}"))
}

/// One line of opening hours: some days, one time range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpeningHours {
    /// schema.org day names, e.g. `Monday`.
    pub days: Vec<&'static str>,
    /// `HH:MM`.
    pub opens: String,
    /// `HH:MM`.
    pub closes: String,
}

const DAYS: &[(&str, &str)] = &[
    ("Mo", "Monday"),
    ("Tu", "Tuesday"),
    ("We", "Wednesday"),
    ("Th", "Thursday"),
    ("Fr", "Friday"),
    ("Sa", "Saturday"),
    ("Su", "Sunday"),
];

/// Parses `Mo-Fr 09:00-18:00`, `Sa 10:00-14:00`, `Mo,We,Fr 09:00-12:00,13:00-17:00`.
pub fn parse_hours(spec: &str) -> Result<Vec<OpeningHours>, String> {
    let spec = spec.trim();
    let (days, times) = spec
        .split_once(char::is_whitespace)
        .ok_or_else(|| "write days, a space, then times, e.g. `Mo-Fr 09:00-18:00`".to_owned())?;
    let days = parse_days(days)?;
    let mut result = Vec::new();
    for range in times.trim().split(',') {
        let (opens, closes) = range
            .trim()
            .split_once('-')
            .ok_or_else(|| format!("`{range}` is not a time range like `09:00-18:00`"))?;
        let opens = parse_time(opens)?;
        let closes = parse_time(closes)?;
        if closes <= opens && closes != "00:00" {
            return Err(format!("it closes ({closes}) before it opens ({opens})"));
        }
        result.push(OpeningHours {
            days: days.clone(),
            opens,
            closes,
        });
    }
    Ok(result)
}

fn parse_days(spec: &str) -> Result<Vec<&'static str>, String> {
    let index = |d: &str| {
        DAYS.iter()
            .position(|(short, _)| short.eq_ignore_ascii_case(d.trim()))
            .ok_or_else(|| format!("`{d}` is not a day; use Mo Tu We Th Fr Sa Su"))
    };
    let mut days = Vec::new();
    for part in spec.split(',') {
        match part.split_once('-') {
            Some((from, to)) => {
                let (from, to) = (index(from)?, index(to)?);
                if to < from {
                    return Err(format!("`{part}` runs backwards; write it as two ranges"));
                }
                days.extend((from..=to).map(|i| DAYS[i].1));
            }
            None => days.push(DAYS[index(part)?].1),
        }
    }
    Ok(days)
}

fn parse_time(text: &str) -> Result<String, String> {
    let text = text.trim();
    let bad = || format!("`{text}` is not a time like `09:00`");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let h: u32 = h.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if h > 24 || m > 59 || (h == 24 && m > 0) || text.len() > 5 {
        return Err(bad());
    }
    Ok(format!("{:02}:{m:02}", h % 24))
}

/// What staff most likely meant by opening hours knead cannot read, in its own form:
/// `Mon-Sat 9-7` is `Mo-Sa 09:00-19:00`, `Monday to Friday 9am-5:30pm` is
/// `Mo-Fr 09:00-17:30`. With it, whether an afternoon hour was read as such ("7 pm is 19:00").
/// `None` when the intent is not clear.
pub fn guess_hours(spec: &str) -> Option<(String, Option<String>)> {
    let spec = spec.trim().replace(" to ", "-").replace(['–', '—'], "-");
    let split = spec.find(|c: char| c.is_ascii_digit())?;
    let (days, times) = spec.split_at(split);
    let day = |word: &str| {
        let word = word.trim().trim_end_matches('.');
        let short = word.get(..2)?;
        let found = DAYS.iter().find(|(d, _)| d.eq_ignore_ascii_case(short))?;
        let full = found.1.to_ascii_lowercase();
        full.starts_with(&word.to_ascii_lowercase())
            .then_some(found.0)
    };
    let days: Vec<String> = days
        .trim()
        .trim_end_matches(':')
        .split(',')
        .map(|part| match part.split_once('-') {
            Some((from, to)) => Some(format!("{}-{}", day(from)?, day(to)?)),
            None => day(part).map(str::to_owned),
        })
        .collect::<Option<_>>()?;
    let mut afternoon = None;
    let mut ranges = Vec::new();
    for range in times.split(',') {
        let (opens, closes) = range.trim().split_once('-')?;
        let opens = guess_time(opens)?;
        let mut closes_at = guess_time(closes)?;
        let plain = |t: &str| !t.to_ascii_lowercase().contains(['a', 'p']);
        if closes_at <= opens && closes_at < 12 * 60 && plain(closes) {
            closes_at += 12 * 60;
            afternoon = Some(format!(
                "{} pm is {:02}:{:02}",
                closes.trim(),
                closes_at / 60,
                closes_at % 60
            ));
        }
        ranges.push(format!(
            "{:02}:{:02}-{:02}:{:02}",
            opens / 60,
            opens % 60,
            closes_at / 60,
            closes_at % 60
        ));
    }
    let guess = format!("{} {}", days.join(","), ranges.join(","));
    parse_hours(&guess).ok()?;
    Some((guess, afternoon))
}

/// Minutes after midnight of `9`, `9:30`, `9am`, `5.30pm`, `17:00`.
fn guess_time(text: &str) -> Option<u32> {
    let text = text.trim().to_ascii_lowercase().replace(' ', "");
    let (clock, pm) = match (text.strip_suffix("pm"), text.strip_suffix("am")) {
        (Some(clock), _) => (clock.to_owned(), Some(true)),
        (_, Some(clock)) => (clock.to_owned(), Some(false)),
        _ => (text, None),
    };
    let (h, m) = clock.split_once([':', '.']).unwrap_or((&clock, "0"));
    let (mut h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 24 || m > 59 || (pm.is_some() && h > 12) {
        return None;
    }
    match pm {
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        _ => {}
    }
    Some(h * 60 + m)
}

/// `Monday`–`Friday` style text for people: consecutive days joined, e.g. `Mon–Fri`.
pub fn days_display(days: &[&str]) -> String {
    let indices: Vec<usize> = days
        .iter()
        .filter_map(|d| DAYS.iter().position(|(_, long)| long == d))
        .collect();
    let short = |i: usize| &DAYS[i].1[..3];
    let mut parts = Vec::new();
    let mut i = 0;
    while i < indices.len() {
        let start = indices[i];
        let mut end = start;
        while i + 1 < indices.len() && indices[i + 1] == end + 1 {
            i += 1;
            end = indices[i];
        }
        parts.push(match end - start {
            0 => short(start).to_owned(),
            1 => format!("{}, {}", short(start), short(end)),
            _ => format!("{}–{}", short(start), short(end)),
        });
        i += 1;
    }
    parts.join(", ")
}

/// `13:30` as `1:30 pm` for countries that use the 12-hour clock, else unchanged.
pub fn time_display(time: &str, twelve_hour: bool) -> String {
    if !twelve_hour {
        return time.to_owned();
    }
    let (h, m) = time.split_once(':').unwrap_or((time, "00"));
    let h: u32 = h.parse().unwrap_or(0);
    let suffix = if h < 12 { "am" } else { "pm" };
    let h12 = match h % 12 {
        0 => 12,
        h => h,
    };
    if m == "00" {
        format!("{h12} {suffix}")
    } else {
        format!("{h12}:{m} {suffix}")
    }
}

/// Whether people in `country` read times on a 12-hour clock.
pub fn uses_twelve_hour_clock(country: &str) -> bool {
    matches!(
        country.trim().to_ascii_uppercase().as_str(),
        "US" | "CA" | "AU" | "NZ" | "IN" | "PH" | "EG" | "SA"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_become_e164() {
        assert_eq!(e164("(406) 555-0142", "US").unwrap(), "+14065550142");
        assert_eq!(e164("1-406-555-0142", "US").unwrap(), "+14065550142");
        assert_eq!(e164("+44 20 7946 0958", "").unwrap(), "+442079460958");
        assert_eq!(e164("020 7946 0958", "GB").unwrap(), "+442079460958");
        assert_eq!(e164("0044 20 7946 0958", "US").unwrap(), "+442079460958");
        assert!(e164("555-0142", "US").is_err());
        assert!(e164("call us!", "US").is_err());
        assert!(e164("020 7946 0958", "").is_err());
        assert!(e164("+1", "US").is_err());
    }

    #[test]
    fn hours_written_loosely_are_read_as_meant() {
        let guess = |spec: &str| guess_hours(spec);
        assert_eq!(
            guess("Mon-Sat 9-7"),
            Some(("Mo-Sa 09:00-19:00".into(), Some("7 pm is 19:00".into())))
        );
        assert_eq!(
            guess("Monday to Friday 9am-5:30pm"),
            Some(("Mo-Fr 09:00-17:30".into(), None))
        );
        assert_eq!(
            guess("Sat 10-2"),
            Some(("Sa 10:00-14:00".into(), Some("2 pm is 14:00".into())))
        );
        assert_eq!(
            guess("Tues, Thurs 9:00-17:00"),
            Some(("Tu,Th 09:00-17:00".into(), None))
        );
        for unclear in [
            "weekdays 9-5",
            "Mon-Sat",
            "Mo-Fr 25-26",
            "Monkey 9-5",
            "Fr 9-7am",
        ] {
            assert_eq!(guess(unclear), None, "{unclear}");
        }
    }

    #[test]
    fn a_phone_with_a_letter_o_or_an_extension_says_what_to_write() {
        let err = e164("(406) 555-O142", "US").unwrap_err();
        assert!(
            err.contains("the letter `O` where a zero goes; write `(406) 555-0142`"),
            "{err}"
        );
        let err = e164("406 555 0142 ext 2", "US").unwrap_err();
        assert!(err.contains("extension"), "{err}");
        assert_eq!(e164("(406) 555-0142", "US").as_deref(), Ok("+14065550142"));
    }

    #[test]
    fn hours_parse_and_display() {
        let hours = parse_hours("Mo-Fr 09:00-19:00").unwrap();
        assert_eq!(hours[0].days.len(), 5);
        assert_eq!(
            (hours[0].opens.as_str(), hours[0].closes.as_str()),
            ("09:00", "19:00")
        );
        let split = parse_hours("Mo,We,Sa 9:00-12:00,13:00-17:30").unwrap();
        assert_eq!(split.len(), 2);
        assert_eq!(split[0].days, ["Monday", "Wednesday", "Saturday"]);
        assert_eq!(split[0].opens, "09:00");
        assert_eq!(days_display(&hours[0].days), "Mon–Fri");
        assert_eq!(days_display(&split[0].days), "Mon, Wed, Sat");
        assert_eq!(time_display("19:00", true), "7 pm");
        assert_eq!(time_display("09:30", true), "9:30 am");
        assert_eq!(time_display("19:00", false), "19:00");
        for bad in [
            "Mo-Fr",
            "Mx 09:00-10:00",
            "Mo 9-17",
            "Mo 18:00-09:00",
            "Fr-Mo 09:00-10:00",
            "Mo 25:00-26:00",
        ] {
            assert!(parse_hours(bad).is_err(), "{bad:?}");
        }
    }
}
