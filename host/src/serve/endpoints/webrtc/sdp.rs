//! Reading browsers' SDP and adding what the endpoint's own descriptions need.

use super::super::super::rpc::RpcError;
use gst_sdp::{SDPMessage, SDPMessageRef};
use serde_json::{Map, Value as Json};

/// Kurento's 40201 for SDP that cannot be used.
pub fn parse_error(message: impl Into<String>) -> RpcError {
    RpcError::sdp_parse(message)
}

/// Parses SDP text, checking what GStreamer's lenient parser lets through: a version line
/// and at least one media section.
pub fn parse(text: &str) -> Result<SDPMessage, RpcError> {
    // Browsers end lines with CRLF; JSON clients sometimes turn them into bare LF.
    let text = text.trim_start();
    if !text.starts_with("v=0") {
        return Err(parse_error("SDP must start with v=0"));
    }
    let message = SDPMessage::parse_buffer(text.as_bytes())
        .map_err(|err| parse_error(format!("unparsable SDP: {err}")))?;
    if message.medias_len() == 0 {
        return Err(parse_error("the SDP has no media section (m= line)"));
    }
    Ok(message)
}

/// A string argument holding SDP; empty or missing is Kurento's 40201.
pub fn argument(args: &Map<String, Json>, name: &str) -> Result<String, RpcError> {
    match args.get(name) {
        Some(Json::String(text)) if !text.trim().is_empty() => Ok(text.clone()),
        Some(Json::String(_)) => Err(parse_error(format!("the {name} is empty"))),
        None | Some(Json::Null) => Err(RpcError::invalid_params(format!("missing {name}"))),
        Some(other) => Err(parse_error(format!(
            "the {name} must be SDP text, not {other}"
        ))),
    }
}

/// The SDP as text with CRLF line ends.
pub fn text(message: &SDPMessageRef) -> String {
    message.as_text().unwrap_or_default()
}

/// The `(mid, index)` of every media section sharing the first BUNDLE group's transport, or
/// of every media section when nothing is bundled: where candidates are announced.
pub fn bundle_mlines(message: &SDPMessageRef) -> Vec<(String, u32)> {
    let bundled: Vec<String> = message
        .attributes()
        .filter(|attribute| attribute.key() == "group")
        .filter_map(|attribute| attribute.value())
        .find_map(|value| value.strip_prefix("BUNDLE "))
        .map(|mids| mids.split_whitespace().map(String::from).collect())
        .unwrap_or_default();
    message
        .medias()
        .enumerate()
        .filter(|(_, media)| media.port() != 0)
        .map(|(index, media)| {
            let mid = media
                .attribute_val("mid")
                .map_or_else(|| index.to_string(), String::from);
            (mid, index as u32)
        })
        .filter(|(mid, _)| bundled.is_empty() || bundled.contains(mid))
        .collect()
}

/// Receive limits in kbps per kind (0: none): audio, video.
pub type RecvLimits = (u32, u32);

/// Adds the endpoint's lines to each audio and video section of its own description: an
/// `a=msid` naming stream `stream` (pages built on Kurento 6's utilities find the remote
/// video through its stream), and `b=AS`/`b=TIAS` where receiving is limited.
pub fn decorate(message: &mut SDPMessageRef, stream: &str, (audio, video): RecvLimits) {
    for index in 0..message.medias_len() {
        let Some(media) = message.media_mut(index) else {
            continue;
        };
        let kind = media.media().unwrap_or_default().to_string();
        let limit = match kind.as_str() {
            "audio" => audio,
            "video" => video,
            _ => continue,
        };
        let sends = !media
            .attributes()
            .any(|attribute| matches!(attribute.key(), "recvonly" | "inactive"));
        if sends && media.attribute_val("msid").is_none() {
            media.add_attribute("msid", Some(&format!("{stream} {stream}-{kind}")));
        }
        if limit > 0 && media.bandwidths_len() == 0 {
            media.add_bandwidth("AS", limit);
            media.add_bandwidth("TIAS", limit.saturating_mul(1000));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
        a=group:BUNDLE 0 1\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendrecv\r\n\
        a=rtpmap:111 opus/48000/2\r\n\
        m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=recvonly\r\n\
        a=rtpmap:96 VP8/90000\r\n";

    #[test]
    fn offers_parse_and_garbage_is_40201() {
        gst::init().unwrap();
        let message = parse(OFFER).unwrap();
        assert_eq!(message.medias_len(), 2);
        assert_eq!(
            bundle_mlines(&message),
            [("0".to_string(), 0), ("1".to_string(), 1)]
        );
        for bad in ["", "hello", "v=0\r\ns=-\r\n"] {
            assert_eq!(parse(bad).unwrap_err().code, 40201, "{bad:?}");
        }
    }

    #[test]
    fn descriptions_name_their_stream_and_limits() {
        gst::init().unwrap();
        let mut message = parse(OFFER).unwrap();
        decorate(&mut message, "wrtc", (0, 300));
        let text = text(&message);
        assert!(text.contains("a=msid:wrtc wrtc-audio"), "{text}");
        assert!(
            !text.contains("wrtc-video"),
            "a recvonly section sends no stream"
        );
        assert!(text.contains("b=AS:300"), "{text}");
        assert_eq!(text.matches("b=AS").count(), 1, "audio is unlimited");
    }
}
