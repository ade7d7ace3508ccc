//! A thin safe wrapper over Tesseract's C API (through `leptess::capi`) that returns, for one
//! line of text, each symbol with its box and the alternatives the LSTM weighed for it.
//!
//! `leptess`'s own `TessApi` gives the text and word confidences only; telling `5` from `S`
//! by the plate's format needs Tesseract's second choices, which only the result and choice
//! iterators give.

use filmstrip::{Error, Result};
use leptess::capi;
use std::ffi::{CStr, CString};
use std::os::raw::c_int;
use std::ptr;

/// One recognised symbol.
#[derive(Debug, Clone, PartialEq)]
pub struct Symbol {
    /// Left and right edges in the image given.
    pub left: i32,
    pub right: i32,
    /// Whether a word starts here: Tesseract saw a space before it.
    pub word_start: bool,
    /// The alternatives, best first, with their confidence 0..100; never empty.
    pub choices: Vec<(char, f32)>,
}

impl Symbol {
    /// The best choice.
    pub fn best(&self) -> char {
        self.choices[0].0
    }
}

/// A Tesseract engine set up for one line of `whitelist` characters.
pub struct Engine {
    handle: *mut capi::TessBaseAPI,
}

// SAFETY: a TessBaseAPI has no thread affinity; the engine is used by one thread at a time
// (`&mut self`).
unsafe impl Send for Engine {}

impl Drop for Engine {
    fn drop(&mut self) {
        // SAFETY: the handle was created by TessBaseAPICreate and is dropped once.
        unsafe {
            capi::TessBaseAPIEnd(self.handle);
            capi::TessBaseAPIDelete(self.handle);
        }
    }
}

/// Owns a `char*` Tesseract allocated.
struct Text(*mut std::os::raw::c_char);

impl Drop for Text {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the pointer came from a Tesseract function returning owned text.
            unsafe { capi::TessDeleteText(self.0) };
        }
    }
}

impl Engine {
    /// Loads English data and sets the line mode and `whitelist`.
    pub fn new(whitelist: &str) -> Result<Self> {
        // SAFETY: plain constructor.
        let handle = unsafe { capi::TessBaseAPICreate() };
        if handle.is_null() {
            return Err(Error::new("cannot create a Tesseract engine"));
        }
        let engine = Self { handle };
        let lang = CString::new("eng").expect("no NUL");
        // SAFETY: valid handle and C strings; a null data path means the default tessdata.
        let failed = unsafe { capi::TessBaseAPIInit3(handle, ptr::null(), lang.as_ptr()) };
        if failed != 0 {
            return Err(Error::new(
                "cannot start Tesseract with English data: install tesseract-ocr-eng",
            ));
        }
        for (name, value) in [
            ("tessedit_char_whitelist", whitelist),
            // One line of text.
            ("tessedit_pageseg_mode", "7"),
            // The alternatives of each symbol from the LSTM's CTC decoding.
            ("lstm_choice_mode", "2"),
        ] {
            let (n, v) = (CString::new(name), CString::new(value));
            let (Ok(n), Ok(v)) = (n, v) else {
                return Err(Error::new(format!("bad Tesseract variable {name}")));
            };
            // SAFETY: valid handle and C strings.
            if unsafe { capi::TessBaseAPISetVariable(handle, n.as_ptr(), v.as_ptr()) } == 0 {
                return Err(Error::new(format!("Tesseract refused {name}={value}")));
            }
        }
        Ok(engine)
    }

    /// Reads one line from an 8-bit grey image (`stride` bytes a row); `None` if recognition
    /// failed.
    pub fn read(
        &mut self,
        data: &[u8],
        width: i32,
        height: i32,
        stride: i32,
    ) -> Option<Vec<Symbol>> {
        if width <= 0 || height <= 0 || data.len() < (stride * height) as usize {
            return None;
        }
        // SAFETY: the image outlives the recognition below (Tesseract copies it on
        // SetImage); the handle is valid.
        unsafe {
            capi::TessBaseAPISetImage(self.handle, data.as_ptr(), width, height, 1, stride);
            capi::TessBaseAPISetSourceResolution(self.handle, 300);
            if capi::TessBaseAPIRecognize(self.handle, ptr::null_mut()) != 0 {
                return None;
            }
        }
        let mut symbols = Vec::new();
        // SAFETY: iterators come from the handle after recognition and are deleted here;
        // texts are copied before their owners go.
        unsafe {
            let it = capi::TessBaseAPIGetIterator(self.handle);
            if it.is_null() {
                return Some(symbols);
            }
            let symbol = capi::TessPageIteratorLevel_RIL_SYMBOL;
            loop {
                let text = Text(capi::TessResultIteratorGetUTF8Text(it, symbol));
                let page = capi::TessResultIteratorGetPageIteratorConst(it);
                let best = (!text.0.is_null())
                    .then(|| CStr::from_ptr(text.0).to_string_lossy().chars().next())
                    .flatten();
                if let Some(best) = best {
                    let (mut l, mut t, mut r, mut b): (c_int, c_int, c_int, c_int) = (0, 0, 0, 0);
                    capi::TessPageIteratorBoundingBox(page, symbol, &mut l, &mut t, &mut r, &mut b);
                    let word_start = capi::TessPageIteratorIsAtBeginningOf(
                        page,
                        capi::TessPageIteratorLevel_RIL_WORD,
                    ) != 0;
                    let confidence = capi::TessResultIteratorConfidence(it, symbol);
                    let mut choices = vec![(best, confidence)];
                    let ci = capi::TessResultIteratorGetChoiceIterator(it);
                    if !ci.is_null() {
                        loop {
                            let c = capi::TessChoiceIteratorGetUTF8Text(ci);
                            if !c.is_null() {
                                let conf = capi::TessChoiceIteratorConfidence(ci);
                                if let Some(ch) = CStr::from_ptr(c).to_string_lossy().chars().next()
                                {
                                    match choices.iter_mut().find(|(x, _)| *x == ch) {
                                        Some(existing) => existing.1 = existing.1.max(conf),
                                        None => choices.push((ch, conf)),
                                    }
                                }
                            }
                            if capi::TessChoiceIteratorNext(ci) == 0 {
                                break;
                            }
                        }
                        capi::TessChoiceIteratorDelete(ci);
                    }
                    choices[1..].sort_by(|a, b| b.1.total_cmp(&a.1));
                    symbols.push(Symbol {
                        left: l,
                        right: r,
                        word_start,
                        choices,
                    });
                }
                if capi::TessResultIteratorNext(it, symbol) == 0 {
                    break;
                }
            }
            capi::TessResultIteratorDelete(it);
        }
        Some(symbols)
    }
}
