//! ICE candidates: the browser's, checked and resolved, and the selected pair as Kurento
//! reports it.

use super::super::super::rpc::RpcError;
use serde_json::{Value as Json, json};
use std::net::{IpAddr, ToSocketAddrs};
use std::time::Duration;

/// How long an mDNS name may take to resolve before its candidate is dropped.
const MDNS_TIMEOUT: Duration = Duration::from_secs(1);

/// A remote candidate from `addIceCandidate`.
#[derive(Debug, PartialEq)]
pub struct Candidate {
    /// `candidate:...`, as `webrtcbin` takes it.
    pub text: String,
    sdp_mid: Option<String>,
    mline_index: Option<u32>,
}

impl Candidate {
    /// Reads Kurento's `IceCandidate` (tagged or not); `None` for the empty candidate that
    /// ends a browser's gathering. A candidate line that is not one is 40401.
    pub fn from_json(value: &Json) -> Result<Option<Self>, RpcError> {
        let object = value.as_object().ok_or_else(|| {
            RpcError::ice_add_candidate(format!("a candidate must be an IceCandidate, not {value}"))
        })?;
        let text = match object.get("candidate") {
            Some(Json::String(text)) => text.trim(),
            None | Some(Json::Null) => "",
            Some(other) => {
                return Err(RpcError::ice_add_candidate(format!(
                    "candidate must be a string, not {other}"
                )));
            }
        };
        if text.is_empty() {
            return Ok(None);
        }
        let text = text.strip_prefix("a=").unwrap_or(text).to_string();
        check(&text).map_err(|problem| {
            RpcError::ice_add_candidate(format!("bad ICE candidate {text:?}: {problem}"))
        })?;
        let mline_index = match object.get("sdpMLineIndex") {
            Some(Json::Number(index)) => index.as_u64().and_then(|i| u32::try_from(i).ok()),
            _ => None,
        };
        Ok(Some(Self {
            text,
            sdp_mid: object
                .get("sdpMid")
                .and_then(Json::as_str)
                .map(String::from),
            mline_index,
        }))
    }

    /// The candidate with an mDNS (`.local`) address resolved; `None` when it cannot be,
    /// which is no error: the browser's other candidates still connect.
    pub fn resolved(&self) -> Option<String> {
        let fields: Vec<&str> = self.text.split_whitespace().collect();
        let (address, port) = (fields[4], fields[5]);
        if !address.ends_with(".local") {
            return Some(self.text.clone());
        }
        let target = (address.to_string(), port.parse::<u16>().ok()?);
        // The system resolver may wait long for a name nobody answers: not this request.
        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
        let lookup = std::thread::Builder::new()
            .name("filmstrip-mdns".into())
            .spawn(move || {
                let found = target
                    .to_socket_addrs()
                    .ok()
                    .and_then(|mut addresses| addresses.next())
                    .map(|socket| socket.ip());
                // The request may have stopped waiting: then the answer is not needed.
                let _late = sender.send(found);
            });
        if let Err(err) = lookup {
            tracing::warn!(%err, "cannot start an mDNS lookup");
            return None;
        }
        let resolved: IpAddr = receiver.recv_timeout(MDNS_TIMEOUT).ok()??;
        Some(with_field(&self.text, 4, &resolved.to_string()))
    }

    /// The m-line the candidate belongs to: its index, else the section with its mid among
    /// `mlines`, else the first.
    pub fn mline(&self, mlines: &[(String, u32)]) -> u32 {
        self.mline_index
            .or_else(|| {
                let mid = self.sdp_mid.as_ref()?;
                mlines
                    .iter()
                    .find(|(known, _)| known == mid)
                    .map(|(_, index)| *index)
            })
            .unwrap_or(0)
    }
}

/// Checks the fields of RFC 8839's candidate attribute: foundation, component, transport,
/// priority, address, port, `typ` and a type.
fn check(text: &str) -> Result<(), &'static str> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    if fields.len() < 8 {
        return Err("too few fields");
    }
    if !fields[0].starts_with("candidate:") || fields[0].len() == "candidate:".len() {
        return Err("it does not start with candidate:<foundation>");
    }
    if fields[1].parse::<u8>().is_err() {
        return Err("the component is not a number");
    }
    if !matches!(fields[2].to_ascii_lowercase().as_str(), "udp" | "tcp") {
        return Err("the transport is neither UDP nor TCP");
    }
    if fields[3].parse::<u32>().is_err() {
        return Err("the priority is not a number");
    }
    if fields[5].parse::<u16>().is_err() {
        return Err("the port is not a number");
    }
    if fields[6] != "typ" || !matches!(fields[7], "host" | "srflx" | "prflx" | "relay") {
        return Err("the type is not typ host|srflx|prflx|relay");
    }
    Ok(())
}

fn with_field(text: &str, index: usize, value: &str) -> String {
    text.split_whitespace()
        .enumerate()
        .map(|(at, field)| if at == index { value } else { field })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` with the address of an IPv4 host candidate replaced by `external`: what a server
/// behind a 1:1 NAT announces (`externalIPv4`).
pub fn with_address(text: &str, external: &str) -> String {
    let fields: Vec<&str> = text.split_whitespace().collect();
    let is_ipv4_host =
        fields.len() >= 8 && fields[7] == "host" && fields[4].parse::<std::net::Ipv4Addr>().is_ok();
    if is_ipv4_host {
        with_field(text, 4, external)
    } else {
        text.to_string()
    }
}

/// Kurento's `IceCandidatePair` for the selected pair in `webrtcbin`'s statistics.
pub fn selected_pair(stats: &gst::StructureRef) -> Option<Json> {
    let entries: Vec<gst::Structure> = stats
        .iter()
        .filter_map(|(_, value)| value.get::<gst::Structure>().ok())
        .collect();
    let pair = entries
        .iter()
        .find(|entry| entry.has_field("local-candidate-id"))?;
    let candidate = |key: &str| -> Option<String> {
        let id = pair.get::<String>(key).ok()?;
        let entry = entries
            .iter()
            .find(|entry| entry.get::<String>("id").ok().as_deref() == Some(id.as_str()))?;
        let text = |field: &str| entry.get::<String>(field).unwrap_or_default();
        let port = entry.get::<u32>("port").unwrap_or_default();
        let priority = entry.get::<u32>("priority").unwrap_or_default();
        let protocol = match text("protocol") {
            protocol if protocol.is_empty() => "udp".to_string(),
            protocol => protocol,
        };
        let kind = match text("candidate-type") {
            kind if kind.is_empty() => "host".to_string(),
            kind => kind,
        };
        Some(format!(
            "candidate:1 1 {} {priority} {} {port} typ {kind}",
            protocol.to_ascii_uppercase(),
            text("address")
        ))
    };
    Some(json!({
        "__module__": "kurento", "__type__": "IceCandidatePair",
        "streamID": "1", "componentID": 1,
        "localCandidate": candidate("local-candidate-id")?,
        "remoteCandidate": candidate("remote-candidate-id")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "candidate:1 1 UDP 2015363327 127.0.0.1 40404 typ host";

    #[test]
    fn candidates_are_read_tagged_or_not_and_garbage_is_40401() {
        let tagged = json!({"__module__": "kurento", "__type__": "IceCandidate",
            "candidate": HOST, "sdpMid": "1", "sdpMLineIndex": 1});
        let candidate = Candidate::from_json(&tagged).unwrap().unwrap();
        assert_eq!(candidate.text, HOST);
        assert_eq!(candidate.mline(&[]), 1);
        let bare = json!({"candidate": format!("a={HOST}"), "sdpMid": "video"});
        let candidate = Candidate::from_json(&bare).unwrap().unwrap();
        assert_eq!(candidate.text, HOST);
        assert_eq!(
            candidate.mline(&[("audio".into(), 0), ("video".into(), 1)]),
            1
        );
        assert_eq!(
            Candidate::from_json(&json!({"candidate": ""})).unwrap(),
            None
        );
        for garbage in [
            json!({"candidate": "hello"}),
            json!({"candidate": "candidate:1 1 UDP x 127.0.0.1 1 typ host"}),
            json!({"candidate": "candidate:1 1 SCTP 1 127.0.0.1 1 typ host"}),
            json!({"candidate": 7}),
            json!("candidate"),
        ] {
            assert_eq!(
                Candidate::from_json(&garbage).unwrap_err().code,
                40401,
                "{garbage}"
            );
        }
    }

    #[test]
    fn mdns_names_resolve_or_are_dropped_and_host_addresses_can_be_replaced() {
        let unknown = json!({"candidate":
            "candidate:2 1 udp 2113937151 0b5e3b5a-8f1e-4c38-9b5e-unknown.local 5000 typ host"});
        let candidate = Candidate::from_json(&unknown).unwrap().unwrap();
        assert_eq!(candidate.resolved(), None);
        let plain = Candidate::from_json(&json!({"candidate": HOST}))
            .unwrap()
            .unwrap();
        assert_eq!(plain.resolved().as_deref(), Some(HOST));
        assert_eq!(
            with_address(HOST, "203.0.113.7"),
            "candidate:1 1 UDP 2015363327 203.0.113.7 40404 typ host"
        );
        let relay = "candidate:3 1 UDP 1 10.0.0.1 1 typ relay raddr 1.2.3.4 rport 9";
        assert_eq!(with_address(relay, "203.0.113.7"), relay);
    }
}
