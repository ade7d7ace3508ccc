//! The endpoint's ICE and bandwidth properties, and the server-wide defaults they start from.

use super::super::super::rpc::RpcError;
use serde_json::{Map, Value as Json, json};
use std::net::IpAddr;
use std::sync::Mutex;

/// Kurento's default STUN port.
const STUN_PORT: u32 = 3478;

/// The ceiling of an "unlimited" (0) send bandwidth, in kbps.
const UNLIMITED_KBPS: u32 = 10_000;

/// Settings for new WebRtcEndpoints that `filmstrip serve` takes as options, as KMS takes
/// them from `WebRtcEndpoint.conf.ini`; each endpoint can change its own.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct WebRtcDefaults {
    /// STUN server address (an IP address) for WebRtcEndpoints; none by default.
    #[arg(long = "stun-address", value_name = "IP")]
    pub stun_server_address: Option<String>,
    /// STUN server port (default 3478).
    #[arg(long = "stun-port", value_name = "PORT")]
    pub stun_server_port: Option<u16>,
    /// TURN server for WebRtcEndpoints, `user:password@address:port`.
    #[arg(long, value_name = "URL")]
    pub turn_url: Option<String>,
    /// Address announced instead of the local one in IPv4 host candidates (1:1 NAT).
    #[arg(long = "external-ipv4", value_name = "IP")]
    pub external_ipv4: Option<String>,
    /// Comma-separated interface names whose addresses ICE uses; all (loopback included)
    /// when unset.
    #[arg(long, value_name = "NAMES")]
    pub network_interfaces: Option<String>,
    /// Milliseconds of jitter buffer on media from browsers and RTP peers: every one is
    /// latency the server adds; raise it for networks that reorder or delay packets more
    /// [default: 20].
    #[arg(long = "jitter-buffer-ms", value_name = "MS")]
    pub jitter_buffer_ms: Option<u32>,
}

impl WebRtcDefaults {
    /// The jitter buffer of new endpoints, in milliseconds.
    pub fn jitter_buffer_ms(&self) -> u32 {
        // Loopback and LAN calls need little; KMS's 100 ms would be most of the delay added.
        self.jitter_buffer_ms.unwrap_or(20)
    }
}

/// One endpoint's properties.
#[derive(Debug)]
pub struct Settings {
    stun_server_address: Option<String>,
    stun_server_port: u32,
    /// TURN server, `user:password@address:port`.
    pub turn_url: Option<String>,
    /// See [`WebRtcDefaults::external_ipv4`].
    pub external_ipv4: Option<String>,
    external_ipv6: Option<String>,
    network_interfaces: Option<String>,
    ice_tcp: bool,
    max_audio_recv_bandwidth: u32,
    max_video_recv_bandwidth: u32,
    min_video_recv_bandwidth: u32,
    min_video_send_bandwidth: u32,
    max_video_send_bandwidth: u32,
    mtu: u32,
}

impl From<&WebRtcDefaults> for Settings {
    fn from(defaults: &WebRtcDefaults) -> Self {
        Self {
            stun_server_address: defaults.stun_server_address.clone(),
            stun_server_port: defaults.stun_server_port.map_or(STUN_PORT, u32::from),
            turn_url: defaults.turn_url.clone(),
            external_ipv4: defaults.external_ipv4.clone(),
            external_ipv6: None,
            network_interfaces: defaults.network_interfaces.clone(),
            ice_tcp: true,
            max_audio_recv_bandwidth: 0,
            max_video_recv_bandwidth: 0,
            min_video_recv_bandwidth: 0,
            // Kurento's defaults, in kbps.
            min_video_send_bandwidth: 100,
            max_video_send_bandwidth: 500,
            mtu: 1200,
        }
    }
}

/// A property's storage and type.
enum Field<'a> {
    Text(&'a mut Option<String>),
    Number(&'a mut u32, u32),
    Flag(&'a mut bool),
}

impl Settings {
    fn field(&mut self, name: &str) -> Option<Field<'_>> {
        Some(match name {
            "stunServerAddress" => Field::Text(&mut self.stun_server_address),
            "stunServerPort" => Field::Number(&mut self.stun_server_port, u32::from(u16::MAX)),
            "turnUrl" => Field::Text(&mut self.turn_url),
            "externalIPv4" => Field::Text(&mut self.external_ipv4),
            "externalIPv6" => Field::Text(&mut self.external_ipv6),
            "networkInterfaces" => Field::Text(&mut self.network_interfaces),
            "iceTcp" => Field::Flag(&mut self.ice_tcp),
            "maxAudioRecvBandwidth" => Field::Number(&mut self.max_audio_recv_bandwidth, u32::MAX),
            "maxVideoRecvBandwidth" => Field::Number(&mut self.max_video_recv_bandwidth, u32::MAX),
            "minVideoRecvBandwidth" => Field::Number(&mut self.min_video_recv_bandwidth, u32::MAX),
            "minVideoSendBandwidth" => Field::Number(&mut self.min_video_send_bandwidth, u32::MAX),
            "maxVideoSendBandwidth" => Field::Number(&mut self.max_video_send_bandwidth, u32::MAX),
            "mtu" => Field::Number(&mut self.mtu, 65_535),
            _ => return None,
        })
    }

    /// `stun://address:port`, when a STUN server is set.
    pub fn stun_uri(&self) -> Option<String> {
        let address = self.stun_server_address.as_deref()?.trim();
        (!address.is_empty()).then(|| format!("stun://{address}:{}", self.stun_server_port))
    }

    /// The addresses ICE gathers host candidates on: those of `networkInterfaces`, or of
    /// every interface, loopback included (libnice leaves loopback out by itself, yet a
    /// browser on the same machine, or in a namespace with only `lo`, reaches it there).
    pub fn local_addresses(&self) -> Vec<IpAddr> {
        let wanted: Option<Vec<&str>> = self.network_interfaces.as_deref().map(|names| {
            names
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .collect()
        });
        let interfaces = match if_addrs::get_if_addrs() {
            Ok(interfaces) => interfaces,
            Err(err) => {
                tracing::warn!(%err, "cannot list the network interfaces: ICE chooses");
                return Vec::new();
            }
        };
        interfaces
            .into_iter()
            .filter(|interface| {
                wanted
                    .as_ref()
                    .is_none_or(|names| names.contains(&interface.name.as_str()))
            })
            .map(|interface| interface.ip())
            .filter(|address| match address {
                IpAddr::V4(_) => true,
                // Link-local IPv6 addresses need a scope that candidates cannot carry.
                IpAddr::V6(v6) => !v6.is_loopback() && (v6.segments()[0] & 0xffc0) != 0xfe80,
            })
            .collect()
    }

    /// The receive limits in kbps announced in the endpoint's SDP (0: none): audio, video.
    pub fn recv_limits(&self) -> (u32, u32) {
        (self.max_audio_recv_bandwidth, self.max_video_recv_bandwidth)
    }

    /// The video send bitrate bounds in bits per second.
    pub fn send_bounds(&self) -> (u64, u64) {
        let max = match self.max_video_send_bandwidth {
            0 => UNLIMITED_KBPS,
            max => max,
        };
        (
            u64::from(self.min_video_send_bandwidth) * 1000,
            u64::from(max) * 1000,
        )
    }
}

/// `get<Property>` and `set<Property>` for the endpoint's settings; `None` for other
/// operations.
pub fn operation(
    settings: &Mutex<Settings>,
    operation: &str,
    args: &Map<String, Json>,
) -> Option<Result<Json, RpcError>> {
    let (setter, capitalised) = match (operation.strip_prefix("get"), operation.strip_prefix("set"))
    {
        (Some(name), _) => (false, name),
        (_, Some(name)) => (true, name),
        _ => return None,
    };
    let mut chars = capitalised.chars();
    let first = chars.next()?;
    // `getExternalIPv4` is property `externalIPv4`, `getMtu` is `mtu`.
    let name = format!("{}{}", first.to_ascii_lowercase(), chars.as_str());
    let mut settings = settings.lock().unwrap_or_else(|p| p.into_inner());
    let field = settings.field(&name)?;
    if !setter {
        return Some(Ok(match field {
            Field::Text(text) => json!(text.clone().unwrap_or_default()),
            Field::Number(number, _) => json!(*number),
            Field::Flag(flag) => json!(*flag),
        }));
    }
    let value = args.get(&name).unwrap_or(&Json::Null);
    let refused = || {
        Err(RpcError::illegal_param(format!(
            "{name} cannot be set to {value}"
        )))
    };
    Some(match field {
        Field::Text(text) => match value {
            Json::String(given) => {
                *text = (!given.trim().is_empty()).then(|| given.trim().to_string());
                Ok(Json::Null)
            }
            Json::Null => {
                *text = None;
                Ok(Json::Null)
            }
            _ => refused(),
        },
        Field::Number(number, max) => match value.as_u64() {
            Some(given) if given <= u64::from(max) => {
                *number = given as u32;
                Ok(Json::Null)
            }
            _ => refused(),
        },
        Field::Flag(flag) => match value.as_bool() {
            Some(given) => {
                *flag = given;
                Ok(Json::Null)
            }
            None => refused(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_are_read_and_written_by_their_kurento_names() {
        let settings = Mutex::new(Settings::from(&WebRtcDefaults::default()));
        let call = |operation: &str, args: Json| {
            super::operation(&settings, operation, args.as_object().unwrap())
        };
        assert_eq!(
            call("getMaxVideoSendBandwidth", json!({})),
            Some(Ok(json!(500)))
        );
        assert_eq!(
            call(
                "setMaxVideoSendBandwidth",
                json!({"maxVideoSendBandwidth": 200})
            ),
            Some(Ok(Json::Null))
        );
        assert_eq!(settings.lock().unwrap().send_bounds(), (100_000, 200_000));
        assert_eq!(
            call(
                "setStunServerAddress",
                json!({"stunServerAddress": "127.0.0.1"})
            ),
            Some(Ok(Json::Null))
        );
        assert_eq!(
            settings.lock().unwrap().stun_uri().as_deref(),
            Some("stun://127.0.0.1:3478")
        );
        assert_eq!(call("getExternalIPv4", json!({})), Some(Ok(json!(""))));
        let refused = call("setStunServerPort", json!({"stunServerPort": 70000}));
        assert_eq!(refused.unwrap().unwrap_err().code, 40107);
        let refused = call("setMtu", json!({"mtu": "big"}));
        assert_eq!(refused.unwrap().unwrap_err().code, 40107);
        assert_eq!(call("getNope", json!({})), None);
        assert_eq!(call("processOffer", json!({})), None);
    }

    #[test]
    fn loopback_is_among_the_local_addresses_unless_interfaces_are_named() {
        let mut settings = Settings::from(&WebRtcDefaults::default());
        let all = settings.local_addresses();
        assert!(all.contains(&IpAddr::from([127, 0, 0, 1])), "{all:?}");
        settings.network_interfaces = Some("no-such-interface".into());
        assert!(settings.local_addresses().is_empty());
    }
}
