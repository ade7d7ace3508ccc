//! SDES (RFC 4568): the `crypto` constructor parameter, the master keys, the `a=crypto`
//! lines of the descriptions, and GStreamer's `srtpenc`/`srtpdec` set up with them.

use super::super::super::rpc::RpcError;
use gst::glib;
use gst::prelude::*;
use serde_json::{Map, Value as Json};
use std::io::Read;

/// Kurento's `CryptoSuite`.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Suite {
    /// AES-128 counter mode, 32-bit SRTP authentication tags.
    Aes128Sha1_32,
    /// AES-128 counter mode, 80-bit SRTP authentication tags.
    Aes128Sha1_80,
    /// AES-256 counter mode, 32-bit SRTP authentication tags.
    Aes256Sha1_32,
    /// AES-256 counter mode, 80-bit SRTP authentication tags.
    Aes256Sha1_80,
}

/// Kurento's names, then the names in SDP (RFC 4568, RFC 6188).
const SUITES: [(Suite, &str, &str); 4] = [
    (
        Suite::Aes128Sha1_32,
        "AES_128_CM_HMAC_SHA1_32",
        "AES_CM_128_HMAC_SHA1_32",
    ),
    (
        Suite::Aes128Sha1_80,
        "AES_128_CM_HMAC_SHA1_80",
        "AES_CM_128_HMAC_SHA1_80",
    ),
    (
        Suite::Aes256Sha1_32,
        "AES_256_CM_HMAC_SHA1_32",
        "AES_256_CM_HMAC_SHA1_32",
    ),
    (
        Suite::Aes256Sha1_80,
        "AES_256_CM_HMAC_SHA1_80",
        "AES_256_CM_HMAC_SHA1_80",
    ),
];

impl Suite {
    fn from_kurento(name: &str) -> Option<Self> {
        SUITES.iter().find(|s| s.1 == name).map(|s| s.0)
    }

    fn from_sdp(name: &str) -> Option<Self> {
        SUITES.iter().find(|s| s.2 == name).map(|s| s.0)
    }

    /// The suite's name in `a=crypto` lines.
    pub fn sdp_name(self) -> &'static str {
        SUITES.iter().find(|s| s.0 == self).map_or("", |s| s.2)
    }

    /// Bytes of master key and salt: 30 for AES-128, 46 for AES-256.
    fn key_length(self) -> usize {
        match self {
            Suite::Aes128Sha1_32 | Suite::Aes128Sha1_80 => 30,
            Suite::Aes256Sha1_32 | Suite::Aes256Sha1_80 => 46,
        }
    }

    /// `srtpenc`/`srtpdec`'s cipher and SRTP authentication names.
    fn gst_names(self) -> (&'static str, &'static str) {
        match self {
            Suite::Aes128Sha1_32 => ("aes-128-icm", "hmac-sha1-32"),
            Suite::Aes128Sha1_80 => ("aes-128-icm", "hmac-sha1-80"),
            Suite::Aes256Sha1_32 => ("aes-256-icm", "hmac-sha1-32"),
            Suite::Aes256Sha1_80 => ("aes-256-icm", "hmac-sha1-80"),
        }
    }
}

/// The endpoint's SRTP setting: the suite, and its own master key and salt.
#[derive(Clone, Debug)]
pub struct Sdes {
    /// The suite the endpoint offers and accepts.
    pub suite: Suite,
    key: Vec<u8>,
}

/// A peer's `a=crypto` line: its tag and master key and salt.
#[derive(Clone, Debug)]
pub struct RemoteKey {
    /// The line's tag, repeated in the answer.
    pub tag: u32,
    key: Vec<u8>,
}

impl Sdes {
    /// Reads Kurento's `SDES {key?, keyBase64?, crypto?}`; `None` without `crypto`, which
    /// means plain RTP as on KMS. Without a key, a random one is made.
    pub fn from_param(value: Option<&Json>) -> Result<Option<Self>, RpcError> {
        let fields = match value {
            None | Some(Json::Null) => return Ok(None),
            Some(Json::Object(fields)) => fields,
            Some(other) => {
                return Err(RpcError::illegal_param(format!(
                    "crypto must be an SDES object, not {other}"
                )));
            }
        };
        let text = |name: &str| -> Result<Option<&str>, RpcError> {
            match fields.get(name) {
                None | Some(Json::Null) => Ok(None),
                Some(Json::String(text)) => Ok(Some(text)),
                Some(other) => Err(RpcError::illegal_param(format!(
                    "crypto.{name} must be a string, not {other}"
                ))),
            }
        };
        let Some(suite_name) = text("crypto")? else {
            return Ok(None);
        };
        let suite = Suite::from_kurento(suite_name).ok_or_else(|| {
            let names: Vec<&str> = SUITES.iter().map(|s| s.1).collect();
            RpcError::illegal_param(format!(
                "unknown crypto suite {suite_name}: one of {}",
                names.join(", ")
            ))
        })?;
        let key = match (text("key")?, text("keyBase64")?) {
            (Some(plain), _) => plain.as_bytes().to_vec(),
            (None, Some(encoded)) => decode_base64(encoded)
                .ok_or_else(|| RpcError::illegal_param("crypto.keyBase64 is not valid Base64"))?,
            (None, None) => random_key(suite.key_length())?,
        };
        if key.len() != suite.key_length() {
            return Err(RpcError::illegal_param(format!(
                "the master key and salt of {suite_name} are {} bytes, not {}",
                suite.key_length(),
                key.len()
            )));
        }
        Ok(Some(Self { suite, key }))
    }

    /// The endpoint's `a=crypto` line value with tag `tag`.
    pub fn crypto_line(&self, tag: u32) -> String {
        format!(
            "{tag} {} inline:{}",
            self.suite.sdp_name(),
            glib::base64_encode(&self.key)
        )
    }

    /// The first of the peer's `a=crypto` values (in `lines`) in this endpoint's suite, with
    /// a key of the right length.
    pub fn accept<'a>(&self, lines: impl IntoIterator<Item = &'a str>) -> Option<RemoteKey> {
        lines.into_iter().find_map(|line| {
            let mut fields = line.split_whitespace();
            let tag = fields.next()?.parse().ok()?;
            let suite = Suite::from_sdp(fields.next()?)?;
            // `inline:<key and salt>[|lifetime][|MKI:length]`
            let encoded = fields.next()?.strip_prefix("inline:")?.split('|').next()?;
            let key = decode_base64(encoded)?;
            (suite == self.suite && key.len() == suite.key_length())
                .then_some(RemoteKey { tag, key })
        })
    }

    /// An `srtpenc` encrypting with the endpoint's key.
    pub fn encoder(&self) -> anyhow::Result<gst::Element> {
        let (cipher, auth) = self.suite.gst_names();
        let encoder = super::super::super::objects::make("srtpenc")?;
        encoder.set_property("key", gst::Buffer::from_slice(self.key.clone()));
        encoder.set_property_from_str("rtp-cipher", cipher);
        encoder.set_property_from_str("rtp-auth", auth);
        encoder.set_property_from_str("rtcp-cipher", cipher);
        // SRTCP always carries 80-bit tags (RFC 4568, 6.2).
        encoder.set_property_from_str("rtcp-auth", "hmac-sha1-80");
        Ok(encoder)
    }

    /// The caps `srtpdec` asks for (`request-key`) to decrypt what the peer sends with
    /// `remote`.
    pub fn decoder_caps(&self, remote: &RemoteKey) -> gst::Caps {
        let (cipher, auth) = self.suite.gst_names();
        gst::Caps::builder("application/x-srtp")
            .field("srtp-key", gst::Buffer::from_slice(remote.key.clone()))
            .field("srtp-cipher", cipher)
            .field("srtp-auth", auth)
            .field("srtcp-cipher", cipher)
            .field("srtcp-auth", "hmac-sha1-80")
            .build()
    }
}

/// Standard Base64 with padding, as `a=crypto` and `keyBase64` carry it; `None` when the text
/// is not (GLib's decoder skips what it does not know instead of failing).
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let valid = !text.is_empty()
        && text.len().is_multiple_of(4)
        && text.trim_end_matches('=').len() + 2 >= text.len()
        && text
            .trim_end_matches('=')
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
    valid.then(|| glib::base64_decode(text))
}

/// `length` random bytes from the kernel, for a key nobody gave.
fn random_key(length: usize) -> Result<Vec<u8>, RpcError> {
    let mut key = vec![0; length];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut key))
        .map_err(|err| RpcError::unexpected(format!("cannot make an SRTP key: {err}")))?;
    Ok(key)
}

/// The fields of `OnKeySoftLimit` for `kind` (`AUDIO` or `VIDEO`).
pub fn soft_limit_fields(kind: &str) -> Map<String, Json> {
    Map::from_iter([("mediaType".to_string(), Json::from(kind))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kurento_sdes_params_are_read_and_checked_as_kms_does() {
        gst::init().unwrap();
        assert!(Sdes::from_param(None).unwrap().is_none());
        assert!(
            Sdes::from_param(Some(&json!({"key": "x"})))
                .unwrap()
                .is_none(),
            "no suite: plain RTP"
        );
        let plain = "0123456789abcdefghijklmnopqrst";
        let sdes = Sdes::from_param(Some(&json!({"__module__": "kurento", "__type__": "SDES",
                    "crypto": "AES_128_CM_HMAC_SHA1_80", "key": plain})))
        .unwrap()
        .unwrap();
        let line = sdes.crypto_line(1);
        assert!(
            line.starts_with("1 AES_CM_128_HMAC_SHA1_80 inline:"),
            "{line}"
        );
        let peer = sdes.accept([line.as_str()]).unwrap();
        assert_eq!((peer.tag, peer.key.as_slice()), (1, plain.as_bytes()));
        assert!(
            sdes.accept(["1 AES_CM_128_HMAC_SHA1_32 inline:MDEy"])
                .is_none(),
            "another suite"
        );
        let random = Sdes::from_param(Some(&json!({"crypto": "AES_256_CM_HMAC_SHA1_32"})))
            .unwrap()
            .unwrap();
        assert_eq!(random.key.len(), 46);
        for bad in [
            json!({"crypto": "AES_128_CM_HMAC_SHA1_80", "key": "short"}),
            json!({"crypto": "AES_128_CM_HMAC_SHA1_80", "keyBase64": "not base64!"}),
            json!({"crypto": "ROT13"}),
            json!("AES_128_CM_HMAC_SHA1_80"),
        ] {
            assert_eq!(
                Sdes::from_param(Some(&bad)).unwrap_err().code,
                40107,
                "{bad}"
            );
        }
    }
}
