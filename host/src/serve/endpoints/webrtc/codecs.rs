//! The codecs the endpoints speak (VP8 and H.264 video, Opus audio, and PCMU audio for plain
//! RTP peers), their GStreamer elements, and the choice of one per media section of a
//! browser's offer.

use super::super::super::objects::{self, MediaKind};
use anyhow::Result;
use gst::prelude::*;
use gst_sdp::{SDPMediaRef, SDPMessageRef};
use gst_webrtc::WebRTCRTPTransceiverDirection as Direction;

/// One codec.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Codec {
    /// VP8 video, what the endpoint offers.
    Vp8,
    /// H.264 video, constrained baseline, packetization mode 1.
    H264,
    /// Opus audio.
    Opus,
    /// G.711 µ-law audio (static payload type 0), what telephones speak.
    Pcmu,
}

impl Codec {
    /// The codec the endpoint offers for `kind`.
    pub fn offered(kind: MediaKind) -> Self {
        match kind {
            MediaKind::Audio => Codec::Opus,
            MediaKind::Video => Codec::Vp8,
        }
    }

    /// The codec of an RTP `encoding-name`, if spoken here.
    pub fn from_encoding(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "VP8" => Some(Codec::Vp8),
            "H264" => Some(Codec::H264),
            "OPUS" => Some(Codec::Opus),
            "PCMU" => Some(Codec::Pcmu),
            _ => None,
        }
    }

    /// Audio or video.
    pub fn kind(self) -> MediaKind {
        match self {
            Codec::Opus | Codec::Pcmu => MediaKind::Audio,
            Codec::Vp8 | Codec::H264 => MediaKind::Video,
        }
    }

    /// The payload type used in the endpoint's own offers.
    pub fn default_payload(self) -> u32 {
        match self {
            Codec::Vp8 => 96,
            Codec::H264 => 102,
            Codec::Opus => 111,
            Codec::Pcmu => 0,
        }
    }

    /// The codec's `a=rtpmap` value after the payload type.
    pub fn rtpmap(self) -> &'static str {
        match self {
            Codec::Vp8 => "VP8/90000",
            Codec::H264 => "H264/90000",
            Codec::Opus => "opus/48000/2",
            Codec::Pcmu => "PCMU/8000",
        }
    }

    /// RTP caps for an offer, with the feedback the endpoint understands: NACK, PLI and FIR
    /// for key frames, REMB for bandwidth.
    pub fn caps(self, payload: u32) -> gst::Caps {
        let builder = gst::Caps::builder("application/x-rtp").field("payload", payload as i32);
        let builder = match self {
            Codec::Opus => builder
                .field("media", "audio")
                .field("encoding-name", "OPUS")
                .field("clock-rate", 48000i32)
                .field("encoding-params", "2"),
            Codec::Pcmu => builder
                .field("media", "audio")
                .field("encoding-name", "PCMU")
                .field("clock-rate", 8000i32),
            Codec::Vp8 | Codec::H264 => {
                let name = if self == Codec::Vp8 { "VP8" } else { "H264" };
                builder
                    .field("media", "video")
                    .field("encoding-name", name)
                    .field("clock-rate", 90000i32)
                    .field("rtcp-fb-nack", true)
                    .field("rtcp-fb-nack-pli", true)
                    .field("rtcp-fb-ccm-fir", true)
                    .field("rtcp-fb-goog-remb", true)
            }
        };
        builder.build()
    }

    /// The caps name of this codec's encoded frames between elements, e.g. `video/x-vp8`.
    pub fn media_type(self) -> &'static str {
        match self {
            Codec::Vp8 => "video/x-vp8",
            Codec::H264 => "video/x-h264",
            Codec::Opus => "audio/x-opus",
            Codec::Pcmu => "audio/x-mulaw",
        }
    }

    /// The codec whose encoded frames `caps` describe, if spoken here.
    pub fn of_media_caps(caps: &gst::CapsRef) -> Option<Self> {
        let name = caps.structure(0)?.name();
        [Codec::Vp8, Codec::H264, Codec::Opus, Codec::Pcmu]
            .into_iter()
            .find(|codec| codec.media_type() == name.as_str())
    }

    /// `converters ! encoder` turning raw media into this codec.
    pub fn encoder(self) -> Result<Vec<gst::Element>> {
        let make = objects::make;
        Ok(match self {
            Codec::Vp8 => {
                let encoder = make("vp8enc")?;
                // Real time: no look-ahead, the fastest settings, constant bitrate; key frames
                // when a receiver asks (PLI), as browsers' own encoders do, and otherwise only
                // every 100 s: each is a burst of bits above the bitrate bound.
                encoder.set_property("deadline", 1i64);
                encoder.set_property("cpu-used", 8i32);
                encoder.set_property("lag-in-frames", 0i32);
                encoder.set_property_from_str("end-usage", "cbr");
                encoder.set_property("keyframe-max-dist", 3000i32);
                encoder.set_property_from_str("error-resilient", "default");
                // A short rate buffer and capped key frames keep the bitrate within the
                // bound a second at a time, as a receiver's estimate expects (libvpx's
                // default 6 s buffer overshoots for seconds).
                encoder.set_property("buffer-size", 1000i32);
                encoder.set_property("buffer-initial-size", 500i32);
                encoder.set_property("buffer-optimal-size", 600i32);
                encoder.set_property("max-intra-bitrate", 200i32);
                encoder.set_property("undershoot", 95i32);
                encoder.set_property("overshoot", 5i32);
                vec![make("videoconvert")?, encoder]
            }
            Codec::H264 => {
                let encoder = make("x264enc")?;
                encoder.set_property_from_str("speed-preset", "ultrafast");
                encoder.set_property_from_str("tune", "zerolatency");
                encoder.set_property("key-int-max", 90u32);
                let profile = make("capsfilter")?;
                profile.set_property(
                    "caps",
                    gst::Caps::builder("video/x-h264")
                        .field("profile", "constrained-baseline")
                        .build(),
                );
                vec![make("videoconvert")?, encoder, profile]
            }
            Codec::Opus => vec![
                make("audioconvert")?,
                make("audioresample")?,
                make("opusenc")?,
            ],
            Codec::Pcmu => {
                // G.711 is 8 kHz mono only.
                let narrowband = make("capsfilter")?;
                narrowband.set_property(
                    "caps",
                    gst::Caps::builder("audio/x-raw")
                        .field("rate", 8000i32)
                        .field("channels", 1i32)
                        .build(),
                );
                vec![
                    make("audioconvert")?,
                    make("audioresample")?,
                    narrowband,
                    make("mulawenc")?,
                ]
            }
        })
    }

    /// Where the encoder is in [`Codec::encoder`]'s chain.
    pub fn encoder_index(self) -> usize {
        match self {
            Codec::Vp8 | Codec::H264 => 1,
            Codec::Opus => 2,
            Codec::Pcmu => 3,
        }
    }

    /// The payloader sending this codec with payload type `payload`.
    pub fn payloader(self, payload: u32) -> Result<gst::Element> {
        let payloader = match self {
            Codec::Vp8 => {
                let payloader = objects::make("rtpvp8pay")?;
                payloader.set_property_from_str("picture-id-mode", "15-bit");
                payloader.set_property("mtu", 1200u32);
                payloader
            }
            Codec::H264 => {
                let payloader = objects::make("rtph264pay")?;
                payloader.set_property("config-interval", -1i32);
                payloader.set_property_from_str("aggregate-mode", "zero-latency");
                payloader.set_property("mtu", 1200u32);
                payloader
            }
            Codec::Opus => objects::make("rtpopuspay")?,
            Codec::Pcmu => objects::make("rtppcmupay")?,
        };
        payloader.set_property("pt", payload);
        Ok(payloader)
    }

    /// Sets `encoder`'s target bitrate in bits per second.
    pub fn set_bitrate(self, encoder: &gst::Element, bits_per_second: u64) {
        match self {
            Codec::Vp8 => encoder.set_property(
                "target-bitrate",
                bits_per_second.min(i32::MAX as u64) as i32,
            ),
            Codec::H264 => encoder.set_property(
                "bitrate",
                (bits_per_second / 1000).clamp(1, u32::MAX as u64) as u32,
            ),
            Codec::Opus => {
                encoder.set_property("bitrate", bits_per_second.clamp(4000, 650_000) as i32)
            }
            // G.711 has one bitrate, 64 kbit/s.
            Codec::Pcmu => {}
        }
    }

    /// The depayloader of this codec's RTP.
    pub fn depayloader(self) -> Result<gst::Element> {
        Ok(match self {
            Codec::Vp8 | Codec::H264 => {
                let factory = if self == Codec::Vp8 {
                    "rtpvp8depay"
                } else {
                    "rtph264depay"
                };
                let depayloader = objects::make(factory)?;
                // Whoever decodes or forwards the frames needs a key frame to start and after
                // a loss: ask the browser (PLI).
                depayloader.set_property("request-keyframe", true);
                depayloader.set_property("wait-for-keyframe", true);
                depayloader
            }
            Codec::Opus => objects::make("rtpopusdepay")?,
            Codec::Pcmu => objects::make("rtppcmudepay")?,
        })
    }

    /// What encoded frames of this codec pass through on their way to a payloader or a
    /// muxer: H.264 is parsed into whole access units in the form the next one asks for;
    /// Opus from a depayloader gets the rate and stream header its caps lack, which a WebM
    /// muxer refuses to do without.
    pub fn parser(self) -> Result<Vec<gst::Element>> {
        Ok(match self {
            Codec::H264 => vec![objects::make("h264parse")?],
            Codec::Opus => vec![objects::make("opusparse")?],
            Codec::Vp8 | Codec::Pcmu => Vec::new(),
        })
    }

    /// `[parser !] decoder ! converters` turning this codec into raw media.
    pub fn decoder(self) -> Result<Vec<gst::Element>> {
        let make = objects::make;
        Ok(match self {
            Codec::Vp8 => vec![make("vp8dec")?, make("videoconvert")?],
            Codec::H264 => vec![
                make("h264parse")?,
                make("avdec_h264")?,
                make("videoconvert")?,
            ],
            Codec::Opus => vec![
                make("opusdec")?,
                make("audioconvert")?,
                make("audioresample")?,
            ],
            Codec::Pcmu => vec![
                make("mulawdec")?,
                make("audioconvert")?,
                make("audioresample")?,
            ],
        })
    }
}

/// What the answer does with one media section of an offer.
pub struct Plan {
    /// The section's index.
    pub mline: u32,
    /// What it carries.
    pub kind: MediaKind,
    /// The codec chosen, `None` when the offer has none spoken here.
    pub codec: Option<Codec>,
    /// The codec's payload type in the offer.
    pub payload: u32,
    /// The answer's direction.
    pub direction: Direction,
    /// The codec preferences that make `webrtcbin` answer with exactly this codec.
    pub caps: gst::Caps,
}

impl Plan {
    /// Whether the endpoint sends on this section.
    pub fn sends(&self) -> bool {
        matches!(self.direction, Direction::Sendrecv | Direction::Sendonly)
    }
}

/// One plan per audio and video section of `offer`; `recvonly` and `sendonly` are the
/// endpoint's own restrictions.
pub fn plan_answer(offer: &SDPMessageRef, recvonly: bool, sendonly: bool) -> Vec<Plan> {
    offer
        .medias()
        .enumerate()
        .filter_map(|(mline, media)| {
            let kind = match media.media()? {
                "audio" => MediaKind::Audio,
                "video" => MediaKind::Video,
                _ => return None,
            };
            let offered = |key: &str| media.attributes().any(|attribute| attribute.key() == key);
            let (browser_sends, browser_receives) = if offered("inactive") {
                (false, false)
            } else {
                (!offered("recvonly"), !offered("sendonly"))
            };
            let chosen = choose(media, kind);
            let send = browser_receives && !recvonly && chosen.is_some();
            let receive = browser_sends && !sendonly && chosen.is_some();
            let direction = match (send, receive) {
                (true, true) => Direction::Sendrecv,
                (true, false) => Direction::Sendonly,
                (false, true) => Direction::Recvonly,
                (false, false) => Direction::Inactive,
            };
            let payload = chosen
                .map(|(_, payload)| payload)
                .or_else(|| media.formats().next()?.parse().ok())?;
            Some(Plan {
                mline: mline as u32,
                kind,
                codec: chosen.map(|(codec, _)| codec),
                payload,
                direction,
                caps: answer_caps(media, payload)?,
            })
        })
        .collect()
}

/// One format of an offered media section.
pub struct Format {
    /// Its payload type.
    pub payload: u32,
    /// Its `a=rtpmap` value after the payload type (`VP8/90000`), empty when absent.
    pub rtpmap: String,
    /// Its `a=fmtp` value after the payload type, empty when absent.
    pub fmtp: String,
}

impl Format {
    /// The codec, if spoken here: by its `a=rtpmap` name, or for static payload type 0
    /// (PCMU), which needs none.
    pub fn codec(&self) -> Option<Codec> {
        match self
            .rtpmap
            .split('/')
            .next()
            .filter(|name| !name.is_empty())
        {
            Some(name) => Codec::from_encoding(name),
            None => (self.payload == 0).then_some(Codec::Pcmu),
        }
    }

    /// Whether this is H.264 constrained baseline in packetization mode 1, what browsers and
    /// the endpoint's payloader speak best.
    fn baseline_mode_1(&self) -> bool {
        self.fmtp.contains("packetization-mode=1")
            && (self.fmtp.contains("profile-level-id=42e0")
                || self.fmtp.contains("profile-level-id=4200"))
    }
}

/// The formats of `media` in its order, with their `a=rtpmap` and `a=fmtp` values.
pub fn formats(media: &SDPMediaRef) -> Vec<Format> {
    media
        .formats()
        .filter_map(|format| format.parse::<u32>().ok())
        .map(|payload| {
            let prefix = format!("{payload} ");
            let find = |key: &str| {
                media
                    .attributes()
                    .filter(|attribute| attribute.key() == key)
                    .filter_map(|attribute| attribute.value())
                    .find_map(|value| value.strip_prefix(&prefix).map(String::from))
                    .unwrap_or_default()
            };
            Format {
                payload,
                rtpmap: find("rtpmap"),
                fmtp: find("fmtp"),
            }
        })
        .collect()
}

/// The codec and payload type to answer with: VP8, else H.264 (packetization mode 1 and the
/// constrained baseline profile first), for video; Opus for audio.
fn choose(media: &SDPMediaRef, kind: MediaKind) -> Option<(Codec, u32)> {
    let offered = formats(media);
    let named = |codec: Codec| {
        offered
            .iter()
            .filter(move |format| format.codec() == Some(codec))
    };
    match kind {
        MediaKind::Audio => named(Codec::Opus).next().map(|f| (Codec::Opus, f.payload)),
        MediaKind::Video => named(Codec::Vp8)
            .next()
            .map(|f| (Codec::Vp8, f.payload))
            .or_else(|| {
                named(Codec::H264)
                    .find(|format| format.baseline_mode_1())
                    .or_else(|| named(Codec::H264).next())
                    .map(|f| (Codec::H264, f.payload))
            }),
    }
}

/// The codec and payload type to answer a plain RTP offer's `kind` section with: the first
/// format spoken here in the offer's order (the offerer's preference, as telephones expect),
/// H.264 in packetization mode 1 before other H.264 formats.
pub fn choose_in_order(media: &SDPMediaRef, kind: MediaKind) -> Option<(Codec, u32)> {
    let offered = formats(media);
    let spoken = |format: &Format| format.codec().filter(|codec| codec.kind() == kind);
    let first = offered.iter().find_map(spoken)?;
    let format = offered
        .iter()
        .filter(|format| spoken(format) == Some(first))
        .find(|format| first != Codec::H264 || format.baseline_mode_1())
        .or_else(|| offered.iter().find(|format| spoken(format) == Some(first)))?;
    Some((first, format.payload))
}

/// The offer's caps for `payload`, less what must not reach the answer: the browser's own
/// SSRCs and session attributes; header extensions, which payloaders copy into their caps
/// where `webrtcbin` 1.22 then refuses them; and transport-wide congestion control, so that
/// a browser receiving from the endpoint reports its bandwidth estimate with REMB.
pub fn answer_caps(media: &SDPMediaRef, payload: u32) -> Option<gst::Caps> {
    let mut caps = media.caps_from_media(payload as i32)?;
    let caps_mut = caps.make_mut();
    media.attributes_to_caps(caps_mut).ok()?;
    let structure = caps_mut.structure_mut(0)?;
    structure.set_name("application/x-rtp");
    let unwanted: Vec<String> = structure
        .iter()
        .filter(|(name, _)| {
            name.starts_with("ssrc-")
                || name.starts_with("a-")
                || name.starts_with("extmap-")
                || *name == "rtcp-fb-transport-cc"
        })
        .map(|(name, _)| name.to_string())
        .collect();
    for name in unwanted {
        structure.remove_field(&name);
    }
    Some(caps)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A trimmed Chrome offer: Opus, then VP8 and H.264 video.
    const CHROME: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
        a=group:BUNDLE 0 1\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendrecv\r\n\
        a=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\na=ssrc:1 cname:x\r\n\
        m=video 9 UDP/TLS/RTP/SAVPF 102 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=recvonly\r\n\
        a=rtpmap:102 H264/90000\r\na=fmtp:102 packetization-mode=1;profile-level-id=42e01f\r\n\
        a=rtcp-fb:102 transport-cc\r\na=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 transport-cc\r\n\
        a=rtcp-fb:96 goog-remb\r\n";

    #[test]
    fn answers_pick_one_codec_per_section_and_mirror_directions() {
        gst::init().unwrap();
        let offer = gst_sdp::SDPMessage::parse_buffer(CHROME.as_bytes()).unwrap();
        let plans = plan_answer(&offer, false, false);
        assert_eq!(plans.len(), 2);
        assert_eq!((plans[0].codec, plans[0].payload), (Some(Codec::Opus), 111));
        assert_eq!(plans[0].direction, Direction::Sendrecv);
        assert_eq!((plans[1].codec, plans[1].payload), (Some(Codec::Vp8), 96));
        assert_eq!(
            plans[1].direction,
            Direction::Sendonly,
            "the browser only receives"
        );
        let video = plans[1].caps.structure(0).unwrap();
        assert_eq!(video.get::<&str>("encoding-name").unwrap(), "VP8");
        assert!(video.has_field("rtcp-fb-goog-remb"));
        assert!(!video.has_field("rtcp-fb-transport-cc"));
        let audio = plans[0].caps.structure(0).unwrap();
        assert!(!audio.iter().any(|(name, _)| name.starts_with("ssrc-")));

        let recvonly = plan_answer(&offer, true, false);
        assert_eq!(recvonly[0].direction, Direction::Recvonly);
        assert_eq!(recvonly[1].direction, Direction::Inactive);
    }

    #[test]
    fn plain_rtp_answers_follow_the_offers_order_and_know_static_pcmu() {
        gst::init().unwrap();
        let offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
            m=audio 5000 RTP/AVP 8 0 111\r\na=rtpmap:111 opus/48000/2\r\n\
            m=video 5002 RTP/AVP 98 103 104 96\r\na=rtpmap:98 H265/90000\r\n\
            a=rtpmap:103 H264/90000\r\na=fmtp:103 packetization-mode=0\r\n\
            a=rtpmap:104 H264/90000\r\na=fmtp:104 packetization-mode=1;profile-level-id=42e01f\r\n\
            a=rtpmap:96 VP8/90000\r\n";
        let offer = gst_sdp::SDPMessage::parse_buffer(offer.as_bytes()).unwrap();
        let audio = offer.media(0).unwrap();
        let video = offer.media(1).unwrap();
        assert_eq!(
            choose_in_order(audio, MediaKind::Audio),
            Some((Codec::Pcmu, 0)),
            "PCMA is not spoken; PCMU needs no rtpmap"
        );
        assert_eq!(
            choose_in_order(video, MediaKind::Video),
            Some((Codec::H264, 104)),
            "H.264 comes first, in packetization mode 1"
        );
        assert_eq!(choose_in_order(video, MediaKind::Audio), None);
    }

    #[test]
    fn h264_is_chosen_when_vp8_is_not_offered() {
        gst::init().unwrap();
        let offer = CHROME.replace(" 102 96\r\n", " 102\r\n");
        let offer = gst_sdp::SDPMessage::parse_buffer(offer.as_bytes()).unwrap();
        let plans = plan_answer(&offer, false, false);
        assert_eq!((plans[1].codec, plans[1].payload), (Some(Codec::H264), 102));
    }
}
