//! `ZBarFilter`: Kurento's QR and bar code reader, raising `CodeFound` once per appearance.

mod scanner;

use filmstrip::prelude::*;
use scanner::Scanner;
use std::time::Duration;

/// How long a code may go unseen and still be the same appearance: codes are missed on some
/// frames (motion blur, a hand over them), which must not count as leaving and coming back.
const SAME_APPEARANCE: Duration = Duration::from_secs(1);

/// A code appeared in the picture.
#[derive(Event, Debug, Clone)]
pub struct CodeFound {
    /// zbar's name of the symbology: `QR-Code`, `EAN-13`, `EAN-8`, `CODE-128`, `CODE-39`...
    pub code_type: String,
    /// The text the code holds.
    pub value: String,
}

/// A code seen recently, with the stream time it was last seen at.
struct Seen {
    code_type: String,
    value: String,
    at: Duration,
}

/// Reads QR codes and bar codes (EAN, UPC, Code 128, Code 39, ...) with zbar and raises
/// `CodeFound` when one appears; frames pass through untouched.
///
/// A code raises one event per appearance: while it stays in the picture (unseen for at most
/// a second at a time) it is not reported again.
#[filmstrip::filter(class = "ZBarFilter", formats(I420, Nv12, Gray8), events(CodeFound))]
pub struct ZBar {
    scanner: Option<Scanner>,
    seen: Vec<Seen>,
}

#[filmstrip::methods]
impl ZBar {
    fn transform_frame(&mut self, frame: &Frame, ctx: &mut Context<Self>) -> Result<()> {
        if self.scanner.is_none() {
            self.scanner = Some(Scanner::new().ok_or_else(|| Error::new("zbar: no scanner"))?);
        }
        let scanner = self.scanner.as_mut().expect("created above");
        // Every accepted format starts with a full-size 8-bit luma plane.
        let luma = frame.plane(0);
        let codes = scanner.scan(luma.data(), frame.width(), frame.height(), luma.stride());
        // Streams without timestamps count frames at 30 per second.
        let now = frame
            .pts()
            .unwrap_or_else(|| Duration::from_secs(ctx.frame_number()) / 30);
        for code in codes {
            let known = self
                .seen
                .iter_mut()
                .find(|s| s.code_type == code.kind && s.value == code.value);
            match known {
                Some(seen) if now.saturating_sub(seen.at) <= SAME_APPEARANCE => seen.at = now,
                _ => {
                    ctx.emit(CodeFound {
                        code_type: code.kind.clone(),
                        value: code.value.clone(),
                    });
                    self.seen
                        .retain(|s| s.code_type != code.kind || s.value != code.value);
                    self.seen.push(Seen {
                        code_type: code.kind,
                        value: code.value,
                        at: now,
                    });
                }
            }
        }
        // Codes gone for longer are new appearances next time; a seek back in time too.
        self.seen
            .retain(|s| s.at <= now && now - s.at <= SAME_APPEARANCE);
        Ok(())
    }
}
