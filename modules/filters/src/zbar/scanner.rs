//! The few functions of the system's zbar library (`libzbar.so.0`, Debian package `libzbar0`)
//! that reading codes from a grey picture needs, behind a safe [`Scanner`].
//!
//! Linked by its runtime file name, so building needs no `-dev` package.

use std::ffi::{CStr, c_char, c_int, c_uint, c_ulong, c_void};

#[repr(C)]
struct ImageScanner {
    _opaque: [u8; 0],
}
#[repr(C)]
struct Image {
    _opaque: [u8; 0],
}
#[repr(C)]
struct Symbol {
    _opaque: [u8; 0],
}

#[link(name = "libzbar.so.0", kind = "dylib", modifiers = "+verbatim")]
unsafe extern "C" {
    fn zbar_image_scanner_create() -> *mut ImageScanner;
    fn zbar_image_scanner_destroy(scanner: *mut ImageScanner);
    fn zbar_scan_image(scanner: *mut ImageScanner, image: *mut Image) -> c_int;
    fn zbar_image_create() -> *mut Image;
    fn zbar_image_destroy(image: *mut Image);
    fn zbar_image_set_format(image: *mut Image, fourcc: c_ulong);
    fn zbar_image_set_size(image: *mut Image, width: c_uint, height: c_uint);
    fn zbar_image_set_data(
        image: *mut Image,
        data: *const c_void,
        len: c_ulong,
        cleanup: Option<unsafe extern "C" fn(*mut Image)>,
    );
    fn zbar_image_first_symbol(image: *const Image) -> *const Symbol;
    fn zbar_symbol_next(symbol: *const Symbol) -> *const Symbol;
    fn zbar_symbol_get_type(symbol: *const Symbol) -> c_int;
    fn zbar_symbol_get_data(symbol: *const Symbol) -> *const c_char;
    fn zbar_symbol_get_data_length(symbol: *const Symbol) -> c_uint;
    fn zbar_get_symbol_name(symbol_type: c_int) -> *const c_char;
}

/// zbar's name for 8-bit grey pictures, `Y800`, as a little-endian fourcc.
const Y800: c_ulong = u32::from_le_bytes(*b"Y800") as c_ulong;

/// One code read from a picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code {
    /// zbar's name of the symbology: `QR-Code`, `EAN-13`, `CODE-128`...
    pub kind: String,
    /// The text the code holds (bytes that are not UTF-8 replaced).
    pub value: String,
}

/// A zbar image scanner with every symbology zbar enables by default.
pub struct Scanner {
    raw: *mut ImageScanner,
    /// The picture copied row by row when its rows are padded, as zbar wants no padding.
    packed: Vec<u8>,
}

// SAFETY: a zbar scanner has no thread affinity; `&mut self` on every use keeps it to one
// thread at a time.
unsafe impl Send for Scanner {}

impl Scanner {
    /// A new scanner; `None` if zbar cannot allocate one.
    pub fn new() -> Option<Self> {
        // SAFETY: plain constructor; a null result is checked.
        let raw = unsafe { zbar_image_scanner_create() };
        (!raw.is_null()).then(|| Self {
            raw,
            packed: Vec::new(),
        })
    }

    /// The codes in a `width`x`height` grey picture whose rows start `stride` bytes apart.
    pub fn scan(&mut self, grey: &[u8], width: usize, height: usize, stride: usize) -> Vec<Code> {
        if width == 0 || height == 0 {
            return Vec::new();
        }
        assert!(
            stride >= width && grey.len() >= stride * (height - 1) + width,
            "a {width}x{height} picture with stride {stride} needs more than {} bytes",
            grey.len()
        );
        let pixels: &[u8] = if stride == width {
            &grey[..width * height]
        } else {
            self.packed.clear();
            for row in grey.chunks(stride).take(height) {
                self.packed.extend_from_slice(&row[..width]);
            }
            &self.packed
        };
        let mut codes = Vec::new();
        // SAFETY: the image points at `pixels`, which outlives it (it is destroyed below,
        // before `pixels` can change); without a cleanup handler zbar never frees them. Symbol
        // pointers belong to the image and are read before it is destroyed.
        unsafe {
            let image = zbar_image_create();
            if image.is_null() {
                return codes;
            }
            zbar_image_set_format(image, Y800);
            zbar_image_set_size(image, width as c_uint, height as c_uint);
            zbar_image_set_data(image, pixels.as_ptr().cast(), pixels.len() as c_ulong, None);
            if zbar_scan_image(self.raw, image) > 0 {
                let mut symbol = zbar_image_first_symbol(image);
                while !symbol.is_null() {
                    let data = zbar_symbol_get_data(symbol).cast::<u8>();
                    let len = zbar_symbol_get_data_length(symbol) as usize;
                    let bytes = if data.is_null() {
                        &[][..]
                    } else {
                        std::slice::from_raw_parts(data, len)
                    };
                    let name = zbar_get_symbol_name(zbar_symbol_get_type(symbol));
                    codes.push(Code {
                        kind: CStr::from_ptr(name).to_string_lossy().into_owned(),
                        value: String::from_utf8_lossy(bytes).into_owned(),
                    });
                    symbol = zbar_symbol_next(symbol);
                }
            }
            zbar_image_destroy(image);
        }
        codes
    }
}

impl Drop for Scanner {
    fn drop(&mut self) {
        // SAFETY: `raw` came from `zbar_image_scanner_create` and is destroyed once.
        unsafe { zbar_image_scanner_destroy(self.raw) }
    }
}
