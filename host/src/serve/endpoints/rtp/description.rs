//! Plain RTP descriptions (RFC 4566, RFC 3264 without ICE): what a peer's offer or answer
//! says of each media section, and the text of the endpoint's own.

use super::super::webrtc::codecs::Codec;
use gst_sdp::{SDPMediaRef, SDPMessageRef};
use std::net::IpAddr;

/// Who sends on a media section, as its `a=` direction attribute says.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Direction {
    /// The describing side sends.
    pub sends: bool,
    /// The describing side receives.
    pub receives: bool,
}

impl Direction {
    /// The attribute naming this direction.
    pub fn attribute(self) -> &'static str {
        match (self.sends, self.receives) {
            (true, true) => "sendrecv",
            (true, false) => "sendonly",
            (false, true) => "recvonly",
            (false, false) => "inactive",
        }
    }

    fn from_attribute(name: &str) -> Option<Self> {
        let (sends, receives) = match name {
            "sendrecv" => (true, true),
            "sendonly" => (true, false),
            "recvonly" => (false, true),
            "inactive" => (false, false),
            _ => return None,
        };
        Some(Self { sends, receives })
    }
}

/// One media section of a peer's description.
pub struct Remote<'a> {
    /// The section itself, for its formats.
    pub media: &'a SDPMediaRef,
    /// `audio`, `video`, `application`...
    pub kind: String,
    /// The port RTP goes to; 0 for a disabled section.
    pub port: u16,
    /// The transport profile, e.g. `RTP/AVP`.
    pub proto: String,
    /// The `c=` address (the section's, else the session's), if any.
    pub address: Option<String>,
    /// Where RTCP goes: `a=rtcp`, else the next port (RFC 3605).
    pub rtcp_port: u16,
    /// Whether the peer multiplexes RTCP on the RTP port (`a=rtcp-mux`).
    pub mux: bool,
    /// The section's direction (else the session's, else sendrecv).
    pub direction: Direction,
    /// Its `a=mid`, repeated in the answer.
    pub mid: Option<String>,
    /// Its `a=crypto` values.
    pub crypto: Vec<String>,
    /// Its `b=AS` bandwidth, in kbps.
    pub bandwidth: Option<u32>,
    /// Whether it says `a=direction:active` (COMEDIA, RFC 4145): the peer sends first, from
    /// the address it is to be answered on.
    pub comedia: bool,
}

/// The media sections of `message`, in order.
pub fn sections(message: &SDPMessageRef) -> Vec<Remote<'_>> {
    let session_address = message
        .connection()
        .and_then(|connection| connection.address())
        .map(String::from);
    let session_direction = message
        .attributes()
        .find_map(|attribute| Direction::from_attribute(attribute.key()));
    message
        .medias()
        .map(|media| {
            let port = u16::try_from(media.port()).unwrap_or(0);
            let values = |key: &str| -> Vec<String> {
                media
                    .attributes()
                    .filter(|attribute| attribute.key() == key)
                    .filter_map(|attribute| attribute.value().map(String::from))
                    .collect()
            };
            let rtcp_port = values("rtcp")
                .first()
                .and_then(|value| value.split_whitespace().next()?.parse().ok())
                .unwrap_or(port.saturating_add(1));
            Remote {
                media,
                kind: media.media().unwrap_or_default().to_string(),
                port,
                proto: media.proto().unwrap_or_default().to_string(),
                address: media
                    .connections()
                    .find_map(|connection| connection.address().map(String::from))
                    .or_else(|| session_address.clone()),
                rtcp_port,
                mux: media
                    .attributes()
                    .any(|attribute| attribute.key() == "rtcp-mux"),
                direction: media
                    .attributes()
                    .find_map(|attribute| Direction::from_attribute(attribute.key()))
                    .or(session_direction)
                    .unwrap_or(Direction {
                        sends: true,
                        receives: true,
                    }),
                mid: values("mid").into_iter().next(),
                crypto: values("crypto"),
                bandwidth: media
                    .bandwidths()
                    .find(|bandwidth| bandwidth.bwtype() == Some("AS"))
                    .map(|bandwidth| bandwidth.value()),
                comedia: media.attribute_val("direction") == Some("active"),
            }
        })
        .collect()
}

impl Remote<'_> {
    /// Whether the profile is secure RTP (`RTP/SAVP`, `RTP/SAVPF`); `None` when it is not
    /// plain RTP at all (a browser's `UDP/TLS/RTP/SAVPF`, `RTP/AVP/TCP`...).
    pub fn secure(&self) -> Option<bool> {
        match self.proto.as_str() {
            "RTP/AVP" | "RTP/AVPF" => Some(false),
            "RTP/SAVP" | "RTP/SAVPF" => Some(true),
            _ => None,
        }
    }
}

/// One media section of the endpoint's own description.
pub struct Local {
    /// `audio` or `video` (or a rejected section's kind).
    pub kind: String,
    /// Where RTP arrives; 0 rejects the section.
    pub port: u16,
    /// The profile.
    pub proto: String,
    /// The formats: payload type, codec (none for a rejected section's) and `a=fmtp` value.
    pub formats: Vec<(String, Option<Codec>, String)>,
    /// Where RTCP arrives.
    pub rtcp_port: u16,
    /// Whether RTCP arrives on the RTP port.
    pub mux: bool,
    /// The endpoint's direction.
    pub direction: Direction,
    /// The `a=crypto` value, with SRTP.
    pub crypto: Option<String>,
    /// The peer's `a=mid`, repeated.
    pub mid: Option<String>,
    /// Whether the endpoint is COMEDIA's passive side (`a=direction:passive`).
    pub passive: bool,
    /// The receive limit in kbps (0: none), as `b=AS` and `b=TIAS`.
    pub limit: u32,
}

impl Local {
    /// A section answering `remote` with port 0: refused.
    pub fn rejected(remote: &Remote) -> Self {
        let first = remote.media.formats().next().unwrap_or("0").to_string();
        Self {
            kind: remote.kind.clone(),
            port: 0,
            proto: remote.proto.clone(),
            formats: vec![(first, None, String::new())],
            rtcp_port: 0,
            mux: false,
            direction: Direction {
                sends: false,
                receives: false,
            },
            crypto: None,
            mid: remote.mid.clone(),
            passive: false,
            limit: 0,
        }
    }
}

/// The endpoint's description: `address` in `o=` and `c=`, then `sections`.
pub fn write(address: IpAddr, id: u64, sections: &[Local]) -> String {
    let family = if address.is_ipv6() { "IP6" } else { "IP4" };
    let mut lines = vec![
        "v=0".to_string(),
        format!("o=- {id} {id} IN {family} {address}"),
        "s=Filmstrip".to_string(),
        format!("c=IN {family} {address}"),
        "t=0 0".to_string(),
    ];
    for section in sections {
        let formats: Vec<&str> = section.formats.iter().map(|(pt, ..)| pt.as_str()).collect();
        lines.push(format!(
            "m={} {} {} {}",
            section.kind,
            section.port,
            section.proto,
            formats.join(" ")
        ));
        if section.port == 0 {
            lines.extend(section.mid.iter().map(|mid| format!("a=mid:{mid}")));
            continue;
        }
        if section.limit > 0 {
            lines.push(format!("b=AS:{}", section.limit));
            lines.push(format!("b=TIAS:{}", u64::from(section.limit) * 1000));
        }
        lines.push(format!("a=rtcp:{}", section.rtcp_port));
        if section.mux {
            lines.push("a=rtcp-mux".into());
        }
        lines.push(format!("a={}", section.direction.attribute()));
        if section.passive {
            lines.push("a=direction:passive".into());
        }
        lines.extend(section.mid.iter().map(|mid| format!("a=mid:{mid}")));
        let feedback = section.proto.ends_with('F');
        for (pt, codec, fmtp) in &section.formats {
            let Some(codec) = codec else { continue };
            lines.push(format!("a=rtpmap:{pt} {}", codec.rtpmap()));
            if !fmtp.is_empty() {
                lines.push(format!("a=fmtp:{pt} {fmtp}"));
            }
            // Key frame requests, which the endpoint both sends and obeys.
            if feedback && codec.kind() == super::super::super::objects::MediaKind::Video {
                lines.push(format!("a=rtcp-fb:{pt} nack pli"));
                lines.push(format!("a=rtcp-fb:{pt} ccm fir"));
            }
        }
        lines.extend(
            section
                .crypto
                .iter()
                .map(|crypto| format!("a=crypto:{crypto}")),
        );
    }
    let mut text = lines.join("\r\n");
    text.push_str("\r\n");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_read_addresses_ports_and_directions_where_rfcs_put_them() {
        gst::init().unwrap();
        let text = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
            a=sendonly\r\n\
            m=audio 5004 RTP/AVP 0\r\n\
            m=video 5006 RTP/AVPF 96\r\nc=IN IP4 10.0.0.2\r\na=rtcp:6000\r\na=recvonly\r\n\
            a=rtpmap:96 VP8/90000\r\nb=AS:300\r\n\
            m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n";
        let message = gst_sdp::SDPMessage::parse_buffer(text.as_bytes()).unwrap();
        let all = sections(&message);
        assert_eq!(all.len(), 3);
        let (audio, video) = (&all[0], &all[1]);
        assert_eq!((audio.port, audio.rtcp_port), (5004, 5005));
        assert_eq!(audio.address.as_deref(), Some("10.0.0.1"));
        assert_eq!(audio.direction.attribute(), "sendonly", "from the session");
        assert_eq!(audio.secure(), Some(false));
        assert_eq!((video.port, video.rtcp_port), (5006, 6000));
        assert_eq!(video.address.as_deref(), Some("10.0.0.2"));
        assert_eq!(video.direction.attribute(), "recvonly");
        assert_eq!(video.bandwidth, Some(300));
        assert_eq!(all[2].secure(), None);

        let answer = write(
            IpAddr::from([127, 0, 0, 1]),
            7,
            &[
                Local {
                    kind: "video".into(),
                    port: 4000,
                    proto: "RTP/AVPF".into(),
                    formats: vec![("96".into(), Some(Codec::Vp8), String::new())],
                    rtcp_port: 4001,
                    mux: false,
                    direction: Direction {
                        sends: true,
                        receives: false,
                    },
                    crypto: None,
                    mid: None,
                    passive: false,
                    limit: 500,
                },
                Local::rejected(&all[2]),
            ],
        );
        let parsed = gst_sdp::SDPMessage::parse_buffer(answer.as_bytes()).unwrap();
        assert_eq!(parsed.medias_len(), 2, "{answer}");
        for line in [
            "c=IN IP4 127.0.0.1",
            "m=video 4000 RTP/AVPF 96",
            "a=rtcp:4001",
            "a=sendonly",
            "a=rtpmap:96 VP8/90000",
            "a=rtcp-fb:96 nack pli",
            "b=AS:500",
            "m=application 0 UDP/DTLS/SCTP webrtc-datachannel",
        ] {
            assert!(
                answer.contains(&format!("{line}\r\n")),
                "{line} in\n{answer}"
            );
        }
    }
}
