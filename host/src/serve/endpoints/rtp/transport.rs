//! UDP for one media section: the sockets RTP and RTCP arrive on (bound on every address,
//! on ports the kernel picks, and announced in the endpoint's description), the peer's
//! address, and the sinks sending from those same sockets (symmetric RTP, which peers behind
//! NAT and "COMEDIA" peers rely on).

use super::super::super::objects;
use anyhow::{Context, Result};
use gst::prelude::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::mpsc;
use std::time::Duration;

/// How long a host name in a peer's description may take to resolve.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(2);

/// The sockets of one media section.
pub struct Transport {
    /// Receives RTP, and RTCP too with rtcp-mux.
    pub rtp: gst::Element,
    /// Receives RTCP; `None` with rtcp-mux.
    pub rtcp: Option<gst::Element>,
    /// The port of `rtp`.
    pub rtp_port: u16,
    /// The port RTCP arrives on (`rtp_port` with rtcp-mux).
    pub rtcp_port: u16,
}

impl Transport {
    /// Binds the sockets in `bin` (not started: the caller links them first): IPv6 ones when
    /// `ipv6`, one for both RTP and RTCP when `mux`. `srtp` sets the caps `srtpdec` takes.
    pub fn open(bin: &gst::Bin, ipv6: bool, mux: bool, srtp: bool) -> Result<Self> {
        let (rtp_caps, rtcp_caps) = if srtp {
            ("application/x-srtp", "application/x-srtcp")
        } else {
            ("application/x-rtp", "application/x-rtcp")
        };
        let (rtp, rtp_port) = bound_source(bin, ipv6, rtp_caps)?;
        let (rtcp, rtcp_port) = if mux {
            (None, rtp_port)
        } else {
            let (rtcp, port) = bound_source(bin, ipv6, rtcp_caps)?;
            (Some(rtcp), port)
        };
        Ok(Self {
            rtp,
            rtcp,
            rtp_port,
            rtcp_port,
        })
    }

    /// A sink in `bin` sending to `peer` from the socket of `source` (one of this transport's).
    pub fn sink(bin: &gst::Bin, source: &gst::Element, peer: SocketAddr) -> Result<gst::Element> {
        let sink = objects::make("udpsink")?;
        sink.set_property("host", peer.ip().to_string());
        sink.set_property("port", i32::from(peer.port()));
        // What is sent goes out as it comes: pacing is upstream's, and no preroll waits for it.
        sink.set_property("sync", false);
        sink.set_property("async", false);
        sink.set_property("close-socket", false);
        sink.set_property_from_value("socket", &source.property_value("used-socket"));
        bin.add(&sink)?;
        Ok(sink)
    }
}

/// A `udpsrc` in `bin` bound to a free port on every address of the family, and that port.
fn bound_source(bin: &gst::Bin, ipv6: bool, caps: &str) -> Result<(gst::Element, u16)> {
    let source = objects::make("udpsrc")?;
    let any = if ipv6 { "::" } else { "0.0.0.0" };
    source.set_property("address", any);
    source.set_property("port", 0i32);
    source.set_property("caps", gst::Caps::new_empty_simple(caps));
    bin.add(&source)?;
    // Binding happens on the way to READY; udpsrc then reports the port the kernel chose.
    if let Err(err) = source.set_state(gst::State::Ready) {
        let _ = bin.remove(&source);
        anyhow::bail!(
            "cannot open a UDP socket on {} ({err})",
            if ipv6 { "IPv6" } else { "IPv4" }
        );
    }
    let port = source.property::<i32>("port");
    let port = u16::try_from(port)
        .ok()
        .filter(|port| *port != 0)
        .context("udpsrc reported no port")?;
    Ok((source, port))
}

/// The address the peer at `peer` reaches this machine on: the source address the kernel
/// picks for it (no packet is sent), else the first address of an interface of the family
/// that is not loopback, else loopback.
pub fn local_address(peer: Option<IpAddr>, ipv6: bool) -> IpAddr {
    let routed = peer.and_then(|peer| {
        let any: IpAddr = if peer.is_ipv6() {
            Ipv6Addr::UNSPECIFIED.into()
        } else {
            Ipv4Addr::UNSPECIFIED.into()
        };
        let socket = UdpSocket::bind((any, 0)).ok()?;
        socket.connect((peer, 9)).ok()?;
        Some(socket.local_addr().ok()?.ip()).filter(|local| !local.is_unspecified())
    });
    if let Some(local) = routed {
        return local;
    }
    let ipv6 = peer.map_or(ipv6, |peer| peer.is_ipv6());
    let interface = if_addrs::get_if_addrs().ok().and_then(|interfaces| {
        interfaces
            .into_iter()
            .map(|interface| interface.ip())
            .find(|ip| {
                ip.is_ipv6() == ipv6
                    && !ip.is_loopback()
                    && !matches!(ip, IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80)
            })
    });
    interface.unwrap_or(if ipv6 {
        Ipv6Addr::LOCALHOST.into()
    } else {
        Ipv4Addr::LOCALHOST.into()
    })
}

/// The peer's address from a `c=` address (an IP address, possibly with a multicast `/ttl`,
/// or a host name resolved within [`RESOLVE_TIMEOUT`]); `None` for the unspecified address,
/// by which a peer says it receives nothing (on hold).
pub fn peer_address(address: &str) -> Result<Option<IpAddr>, String> {
    let host = address.split('/').next().unwrap_or_default().trim();
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok((!ip.is_unspecified()).then_some(ip));
    }
    if host.is_empty() {
        return Err("an empty connection address".into());
    }
    // The resolver cannot be cancelled: it finishes on its own thread, with nobody waiting
    // once the time is up.
    let (sender, receiver) = mpsc::sync_channel(1);
    let name = host.to_string();
    std::thread::Builder::new()
        .name("rtp-resolve".into())
        .spawn(move || {
            let found = (name.as_str(), 9)
                .to_socket_addrs()
                .map(|mut all| all.next());
            let _gone = sender.send(found);
        })
        .map_err(|err| format!("cannot resolve {host}: {err}"))?;
    match receiver.recv_timeout(RESOLVE_TIMEOUT) {
        Ok(Ok(Some(found))) => Ok(Some(found.ip())),
        Ok(Ok(None)) => Err(format!("{host} has no address")),
        Ok(Err(err)) => Err(format!("cannot resolve {host}: {err}")),
        Err(_) => Err(format!(
            "{host} did not resolve within {} s",
            RESOLVE_TIMEOUT.as_secs()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_addresses_are_ip_literals_names_or_on_hold() {
        assert_eq!(peer_address("127.0.0.1"), Ok(Some([127, 0, 0, 1].into())));
        assert_eq!(
            peer_address("224.2.1.1/127"),
            Ok(Some([224, 2, 1, 1].into()))
        );
        assert_eq!(peer_address("0.0.0.0"), Ok(None));
        assert_eq!(peer_address("::1"), Ok(Some(Ipv6Addr::LOCALHOST.into())));
        assert_eq!(
            peer_address("localhost").map(|ip| ip.is_some_and(|ip| ip.is_loopback())),
            Ok(true)
        );
        assert!(peer_address("").is_err());
    }

    #[test]
    fn the_local_address_is_the_one_the_peer_is_reached_from() {
        assert_eq!(
            local_address(Some([127, 0, 0, 1].into()), false),
            IpAddr::from([127, 0, 0, 1])
        );
        assert!(local_address(None, false).is_ipv4());
    }
}
