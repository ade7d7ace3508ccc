//! What OCR read, in the one form the filter reports: upper-case letters and digits without
//! spaces or dashes (`1234BCD`, `AB12CDE`, `BMW1234`), as ANPR systems such as OpenALPR
//! report plates.
//!
//! Tesseract mixes up letters and digits that look alike (O/0, I/1, B/8, S/5, Z/2, G/6).
//! Where the text fits a known European format once such mix-ups are undone position by
//! position, it is corrected to that format; otherwise it is kept as read if it is
//! plausible (4-8 characters with letters and digits).

/// Characters Tesseract may return: the plate alphabet.
pub const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Shortest plausible plate.
const MIN_LEN: usize = 4;
/// Longest plausible plate.
const MAX_LEN: usize = 9;
/// Most characters a correction may change.
pub const MAX_CORRECTIONS: usize = 2;

/// What a character position of a format holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Letter,
    Digit,
}

/// A plate format: a letter or digit per position, and the letters it uses.
struct Format {
    slots: Vec<Slot>,
    letters: &'static str,
    /// After which characters the format's groups end; `None`: anywhere.
    breaks: Option<Vec<usize>>,
    /// What taking a read for this format costs (see [`PATTERNS`]).
    cost: f32,
}

/// Every letter.
const LETTERS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The one-line formats of European plates that corrections may aim at, as `L` (letter)
/// and `N` (digit) per position, without the spaces, dashes and emblems between groups,
/// with the cost of taking a read for that format: the most widespread formats cost
/// nothing, rarer ones cost a little, so that a read fitting a rare format as it is yields
/// to a common one that the OCR's own second choices support.
///
/// * `NNNNLLL` Spanish (consonants only, see [`formats`]);
/// * `LLNNLLL` British, Romanian;
/// * `LLNNNLL` Croatian, Slovak, Italian, French, Polish;
/// * `LLNNNL` Croatian; at a small cost, `LLNNNNL`, `LLNNNNLL` Croatian with four digits (a
///   `1` read in the letters' place is likelier a misread `I`) and `LLNNNNN` Polish;
/// * `NLNNNNN` Czech;
/// * `L{2,5}N{1,4}` German (city and letters run together), Polish, Hungarian, Swedish;
/// * rarer: `NLLNNNN` Czech; `LLLNNNNN`, `LLLNNLL` Polish; `NLLLNNN` Belgian;
///   `LLNNLL`, `NNLLNN` Portuguese.
const PATTERNS: &[(&str, f32)] = &[
    ("LLNN LLL", 0.0),
    ("LL NNN LL", 0.0),
    ("NLN NNNN", 0.0),
    ("LL NNN L", 0.0),
    ("LL NNNN L", LONGER),
    ("LL NNNN LL", LONGER),
    ("NLL NNNN", RARE),
    ("LL NNNNN", LONGER),
    ("LLL NNNNN", RARE),
    ("LLL NN LL", RARE),
    ("N LLL NNN", RARE),
    ("LL NN LL", RARE),
    ("NN LL NN", RARE),
];
/// Cost of a gap between characters (a space in the OCR's read) where the format has none:
/// `RK 550AO` is Croatian `LL NNN LL` rather than British `LLNN LLL`.
const BREAK: f32 = 0.5;
/// Cost of leaving out a symbol set apart at an end of the read.
const TRIM: f32 = 0.6;
/// Cost of the four-digit Croatian formats and the five-digit Polish one.
const LONGER: f32 = 0.45;
/// Cost of a rarer format.
const RARE: f32 = 0.8;
/// Cost of a read fitting no format, kept as read.
pub const UNKNOWN: f32 = 1.3;
/// Cost of correcting a character to one of the OCR's own alternatives, at confidence 0
/// (it falls to half at confidence 100).
const WEIGHED: f32 = 0.5;
/// Cost of correcting a character to a look-alike the OCR did not offer.
const LOOK_ALIKE: f32 = 1.0;

/// The formats corrected to: Spanish, then [`PATTERNS`], then German-like `L{2,5}N{1,4}`.
fn formats() -> Vec<Format> {
    let parse = |pattern: &str| -> Vec<Slot> {
        pattern
            .chars()
            .filter(|c| *c != ' ')
            .map(|c| if c == 'L' { Slot::Letter } else { Slot::Digit })
            .collect()
    };
    let breaks = |pattern: &str| -> Option<Vec<usize>> {
        let mut at = Vec::new();
        let mut n = 0;
        for c in pattern.chars() {
            if c == ' ' {
                at.push(n);
            } else {
                n += 1;
            }
        }
        Some(at)
    };
    let mut formats = vec![Format {
        slots: parse("NNNNLLL"),
        breaks: breaks("NNNN LLL"),
        // No vowels, Ñ or Q.
        letters: "BCDFGHJKLMNPRSTVWXYZ",
        cost: 0.0,
    }];
    for &(pattern, cost) in PATTERNS {
        formats.push(Format {
            slots: parse(pattern),
            breaks: breaks(pattern),
            letters: LETTERS,
            cost,
        });
    }
    for letters in 2..=5 {
        for digits in 1..=4 {
            if letters + digits <= 8 {
                let pattern = "L".repeat(letters) + &"N".repeat(digits);
                if !PATTERNS.iter().any(|p| p.0.replace(' ', "") == pattern) {
                    formats.push(Format {
                        slots: parse(&pattern),
                        // German city, letters and numbers: gaps anywhere.
                        breaks: None,
                        letters: LETTERS,
                        cost: 0.0,
                    });
                }
            }
        }
    }
    formats
}

/// The letter a digit is often misread for, and the other way round.
fn as_letter(c: char) -> Option<char> {
    Some(match c {
        '0' => 'O',
        '1' => 'I',
        '2' => 'Z',
        '4' => 'A',
        '5' => 'S',
        '6' => 'G',
        '8' => 'B',
        c if c.is_ascii_uppercase() => c,
        _ => return None,
    })
}

fn as_digit(c: char) -> Option<char> {
    Some(match c {
        'O' | 'D' | 'Q' => '0',
        'I' | 'L' | 'T' => '1',
        'Z' => '2',
        'A' => '4',
        'S' => '5',
        'G' => '6',
        'B' => '8',
        c if c.is_ascii_digit() => c,
        _ => return None,
    })
}

/// `raw` in the reported form: letters and digits only, upper case.
pub fn normalise(raw: &str) -> String {
    raw.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// What OCR offers for one character: its alternatives, best first, with confidences 0..100.
pub type Choices = [(char, f32)];

/// Cost of reading the letter O as the digit 0 or the other way round: many plates print
/// both with one glyph.
const O_ZERO: f32 = 0.1;

/// `read` made to fit `format`, and the cost of the corrections: an alternative the OCR
/// itself weighed costs less than a look-alike it did not consider; `None` if more than
/// [`MAX_CORRECTIONS`] characters change or one cannot. With `weighed_only`, look-alikes the
/// OCR did not offer are not tried.
fn fit(
    read: &[&Choices],
    gaps: &[usize],
    format: &Format,
    weighed_only: bool,
) -> Option<(String, f32)> {
    if read.len() != format.slots.len() {
        return None;
    }
    let misplaced = match &format.breaks {
        Some(breaks) => gaps.iter().filter(|g| !breaks.contains(g)).count(),
        // Groups of letters may end anywhere; the number is one group.
        None => gaps
            .iter()
            .filter(|&&g| g > 0 && format.slots[g - 1] == Slot::Digit)
            .count(),
    };
    let allowed = |c: char, slot: Slot| match slot {
        Slot::Letter => format.letters.contains(c),
        Slot::Digit => c.is_ascii_digit(),
    };
    // O and 0 stand for each other.
    let as_slot = |c: char, slot: Slot| match (c, slot) {
        ('0', Slot::Letter) => 'O',
        ('O', Slot::Digit) => '0',
        _ => c,
    };
    let (mut cost, mut changed) = (format.cost + BREAK * misplaced as f32, 0);
    let mut fitted = String::with_capacity(read.len());
    for (choices, &slot) in read.iter().zip(&format.slots) {
        let best = choices[0].0;
        if allowed(best, slot) {
            fitted.push(best);
            continue;
        }
        if allowed(as_slot(best, slot), slot) {
            fitted.push(as_slot(best, slot));
            cost += O_ZERO;
            continue;
        }
        changed += 1;
        let weighed = choices[1..]
            .iter()
            .map(|&(c, confidence)| (as_slot(c, slot), confidence))
            .filter(|(c, confidence)| *confidence >= 1.0 && allowed(*c, slot))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let (c, c_cost) = match weighed {
            Some((c, confidence)) => (c, WEIGHED * (1.0 - confidence / 200.0)),
            None if weighed_only => return None,
            None => {
                let look_alike = match slot {
                    Slot::Letter => as_letter(best),
                    Slot::Digit => as_digit(best),
                }
                .filter(|c| allowed(*c, slot))?;
                (look_alike, LOOK_ALIKE)
            }
        };
        fitted.push(c);
        cost += c_cost;
    }
    (changed <= MAX_CORRECTIONS).then_some((fitted, cost))
}

/// The plate that OCR's `read` (one entry per character) stands for, or `None` if it cannot
/// be one.
///
/// The cheapest of the read as it is ([`UNKNOWN`]) and the read fitted to each format wins:
/// the format's cost plus its corrections' (at most [`MAX_CORRECTIONS`], by the OCR's own
/// alternatives where it had any, by look-alikes otherwise). Corrections fix a plate's
/// misread characters; they must not make a plate of a word or a number, so a read of only
/// letters or only digits must have been a plate by the OCR's own alternatives, without
/// look-alikes it did not weigh.
///
/// `gaps` are the positions after which the OCR saw a space.
pub fn decode(read: &[&Choices], gaps: &[usize]) -> Option<String> {
    let text: String = read
        .iter()
        .map(|choices| choices[0].0.to_ascii_uppercase())
        .collect();
    if !(MIN_LEN..=MAX_LEN + 2).contains(&text.len()) {
        return None;
    }
    let formats = formats();
    let mut best: Option<(String, f32)> = None;
    // Symbols set apart at either end (a screw, a sticker, a dealer's letters) may be no
    // part of the plate: the read without them competes too.
    for front in 0..=2 {
        for back in 0..=2 {
            if front + back + MIN_LEN > read.len()
                || (front > 0 && !gaps.contains(&front))
                || (back > 0 && !gaps.contains(&(read.len() - back)))
            {
                continue;
            }
            let part = &read[front..read.len() - back];
            let part_text = &text[front..text.len() - back];
            let part_gaps: Vec<usize> = gaps
                .iter()
                .filter(|&&g| g > front && g < read.len() - back)
                .map(|g| g - front)
                .collect();
            let weighed_only = !plausible(part_text);
            let trim = TRIM * (front + back) as f32;
            let fitted = formats
                .iter()
                .filter_map(|f| fit(part, &part_gaps, f, weighed_only))
                .map(|(plate, cost)| (plate, cost + trim))
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((plate, cost)) = fitted
                && best.as_ref().is_none_or(|b| cost < b.1)
            {
                best = Some((plate, cost));
            }
        }
    }
    match best {
        Some((fitted, cost)) if cost < UNKNOWN => Some(fitted),
        _ => (plausible(&text) && plausible(&apart(&text, gaps))).then_some(text),
    }
}

/// The plate `raw` OCR text stands for, or `None` if it cannot be one: [`decode`] with no
/// alternatives known.
pub fn plate_text(raw: &str) -> Option<String> {
    let words: Vec<String> = raw.split_whitespace().map(normalise).collect();
    let gaps: Vec<usize> = words
        .iter()
        .scan(0, |n, w| {
            *n += w.len();
            Some(*n)
        })
        .take(words.len().saturating_sub(1))
        .collect();
    let chars: Vec<[(char, f32); 1]> = words.concat().chars().map(|c| [(c, 100.0)]).collect();
    let read: Vec<&Choices> = chars.iter().map(|c| &c[..]).collect();
    decode(&read, &gaps)
}

/// Whether `text` (in the reported form) is a plate of one of the known formats as it is.
pub fn known_format(text: &str) -> bool {
    format_cost(text).is_some()
}

/// Whether `text` (in the reported form) is a plate of one of the most widespread formats
/// (those that cost nothing, see `PATTERNS`) as it is.
pub fn common_format(text: &str) -> bool {
    format_cost(text) == Some(0.0)
}

/// The least cost of the known formats `text` fits as it is.
fn format_cost(text: &str) -> Option<f32> {
    let chars: Vec<[(char, f32); 1]> = text.chars().map(|c| [(c, 100.0)]).collect();
    let read: Vec<&Choices> = chars.iter().map(|c| &c[..]).collect();
    formats()
        .iter()
        .filter(|f| fit(&read, &[], f, true).is_some_and(|(_, cost)| cost == f.cost))
        .map(|f| f.cost)
        .min_by(f32::total_cmp)
}

/// `text` without a lone symbol set apart (by a gap in `gaps`) at either end: a word beside
/// a screw or a stray mark read as a digit (`MIKROS 2`) is no plate of an unknown format.
fn apart(text: &str, gaps: &[usize]) -> String {
    let n = text.len();
    let front = usize::from(gaps.contains(&1));
    let back = usize::from(n > 1 && gaps.contains(&(n - 1)));
    text[front..n - back.min(n - front)].to_string()
}

/// Whether `text` looks like a plate of some format not known here.
fn plausible(text: &str) -> bool {
    (MIN_LEN..=MAX_LEN).contains(&text.len())
        && text.chars().all(|c| c.is_ascii_alphanumeric())
        && text.chars().any(|c| c.is_ascii_digit())
        && text.chars().any(|c| c.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_spaces_and_dashes() {
        assert_eq!(normalise(" 1234-bcd\n"), "1234BCD");
    }

    #[test]
    fn corrects_look_alikes_by_position() {
        // Spanish: digits then letters.
        assert_eq!(plate_text("I234 BCD").as_deref(), Some("1234BCD"));
        assert_eq!(plate_text("1234 8CD").as_deref(), Some("1234BCD"));
        // UK: letters, digits, letters.
        assert_eq!(plate_text("A812 CDE").as_deref(), Some("AB12CDE"));
        assert_eq!(plate_text("ABI2 CDE").as_deref(), Some("AB12CDE"));
        // German: letters then digits.
        assert_eq!(plate_text("B MW 1Z34").as_deref(), Some("BMW1234"));
        assert_eq!(plate_text("BMW 12S4").as_deref(), Some("BMW1254"));
    }

    #[test]
    fn keeps_exact_reads() {
        for plate in ["1234BCD", "AB12CDE", "BMW1234", "HHAB12", "K1"] {
            let expected = (plate.len() >= MIN_LEN).then(|| plate.to_string());
            assert_eq!(plate_text(plate), expected, "{plate}");
        }
    }

    #[test]
    fn knows_the_formats() {
        for plate in ["1234BCD", "AB12CDE", "BMW1234", "HHAB12"] {
            assert!(known_format(plate), "{plate}");
        }
        // Croatian, Czech and Polish plates.
        for plate in ["RK755AJ", "1B80338", "WA56660"] {
            assert!(known_format(plate), "{plate}");
        }
        // A vowel on a Spanish plate; an 8-character Spanish-like read; digits first.
        for text in ["1234ABC", "1234BCDI", "12AB34C"] {
            assert!(!known_format(text), "{text}");
        }
    }

    #[test]
    fn refuses_what_is_no_plate() {
        // TOILETS would fit the UK format with two corrections.
        for text in [
            "",
            "ABC",
            "PHARMACY",
            "123456789",
            "1234567890AB",
            "SALE",
            "5550134",
            "TOILETS",
            "EXIT",
            // A word beside a stray mark.
            "MIKROS 2",
        ] {
            assert_eq!(plate_text(text), None, "{text:?}");
        }
    }
}
