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
const MAX_LEN: usize = 8;

/// What a character position of a format holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Letter,
    Digit,
}

/// A plate format as letter and digit runs: `[(Digit, 4), (Letter, 3)]` is Spanish.
struct Format {
    runs: Vec<(Slot, usize)>,
    /// The letters the format uses.
    letters: &'static str,
}

/// Every letter.
const LETTERS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

impl Format {
    fn slots(&self) -> impl Iterator<Item = Slot> + '_ {
        self.runs
            .iter()
            .flat_map(|&(slot, n)| std::iter::repeat_n(slot, n))
    }

    fn len(&self) -> usize {
        self.runs.iter().map(|r| r.1).sum()
    }
}

/// The formats corrected to: Spanish `NNNN LLL`, UK `LLNN LLL` and German `L{1,3} L{1,2}
/// N{1,4}` (city and letters run together without the stickers between them).
fn formats() -> Vec<Format> {
    use Slot::{Digit, Letter};
    let mut formats = vec![
        Format {
            runs: vec![(Digit, 4), (Letter, 3)],
            // No vowels, Ñ or Q.
            letters: "BCDFGHJKLMNPRSTVWXYZ",
        },
        Format {
            runs: vec![(Letter, 2), (Digit, 2), (Letter, 3)],
            letters: LETTERS,
        },
    ];
    for letters in 2..=5 {
        for digits in 1..=4 {
            if letters + digits <= MAX_LEN {
                formats.push(Format {
                    runs: vec![(Letter, letters), (Digit, digits)],
                    letters: LETTERS,
                });
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

/// `text` made to fit `format`, and how many characters that changed.
fn fit(text: &str, format: &Format) -> Option<(String, usize)> {
    if text.chars().count() != format.len() {
        return None;
    }
    let mut changed = 0;
    let fitted = text
        .chars()
        .zip(format.slots())
        .map(|(c, slot)| {
            let fixed = match slot {
                Slot::Letter => as_letter(c).filter(|l| format.letters.contains(*l)),
                Slot::Digit => as_digit(c),
            }?;
            changed += usize::from(fixed != c);
            Some(fixed)
        })
        .collect::<Option<String>>()?;
    Some((fitted, changed))
}

/// The plate `raw` OCR text stands for, or `None` if it cannot be one.
///
/// The read must be plausible as it is. Then the format needing the fewest corrections
/// wins; at most two characters are corrected, since a read needing more is more likely
/// something else than a plate of that format.
pub fn plate_text(raw: &str) -> Option<String> {
    let text = normalise(raw);
    // Corrections fix a plate's misread characters; they must not make a plate of a word or
    // a number, so the read itself must already have letters and digits.
    if !plausible(&text) {
        return None;
    }
    let best = formats()
        .iter()
        .filter_map(|f| fit(&text, f))
        .min_by_key(|(_, changed)| *changed);
    match best {
        Some((fitted, changed)) if changed <= 2 => Some(fitted),
        _ => plausible(&text).then_some(text),
    }
}

/// Whether `text` (in the reported form) is a plate of one of the known formats as it is.
pub fn known_format(text: &str) -> bool {
    formats()
        .iter()
        .any(|f| fit(text, f).is_some_and(|(_, changed)| changed == 0))
}

/// Whether `text` looks like a plate of some format not known here.
fn plausible(text: &str) -> bool {
    (MIN_LEN..=MAX_LEN).contains(&text.len())
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
        // A vowel on a Spanish plate; an 8-character Spanish-like read; an Italian plate.
        for text in ["1234ABC", "1234BCDI", "AB123CD"] {
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
            "SALE",
            "5550134",
            "TOILETS",
            "EXIT",
        ] {
            assert_eq!(plate_text(text), None, "{text:?}");
        }
    }
}
