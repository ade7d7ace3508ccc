//! The receiver's bandwidth estimate from RTCP REMB messages (draft-alvestrand-rmcat-remb).

/// The latest REMB estimate in bits per second in a compound RTCP packet, if it has one.
pub fn estimate(compound: &[u8]) -> Option<u64> {
    let mut rest = compound;
    let mut found = None;
    while rest.len() >= 4 {
        let (first, kind) = (rest[0], rest[1]);
        let length = (usize::from(u16::from_be_bytes([rest[2], rest[3]])) + 1) * 4;
        if first >> 6 != 2 || length > rest.len() {
            break;
        }
        let packet = &rest[..length];
        // Payload-specific feedback (206) with FMT 15 and the "REMB" identifier.
        if kind == 206 && first & 0x1f == 15 && packet.len() >= 20 && &packet[12..16] == b"REMB" {
            let exponent = u32::from(packet[17] >> 2);
            let mantissa = (u64::from(packet[17] & 0x03) << 16)
                | (u64::from(packet[18]) << 8)
                | u64::from(packet[19]);
            found = mantissa.checked_shl(exponent);
        }
        rest = &rest[length..];
    }
    found
}

/// A REMB packet (payload-specific feedback, FMT 15) from `sender` telling the senders of
/// `ssrcs` that `bitrate` bits per second reach this receiver.
pub fn packet(sender: u32, bitrate: u64, ssrcs: &[u32]) -> Vec<u8> {
    // The bitrate as an 18-bit mantissa and a 6-bit exponent, rounded down.
    let exponent = (64 - bitrate.leading_zeros()).saturating_sub(18);
    let mantissa = (bitrate >> exponent) as u32;
    let ssrcs = &ssrcs[..ssrcs.len().min(255)];
    let words = 4 + ssrcs.len();
    let mut packet = vec![0x80 | 15, 206];
    packet.extend((words as u16).to_be_bytes());
    packet.extend(sender.to_be_bytes());
    packet.extend(0u32.to_be_bytes());
    packet.extend(b"REMB");
    packet.push(ssrcs.len() as u8);
    packet.push(((exponent as u8) << 2) | (mantissa >> 16) as u8);
    packet.extend([(mantissa >> 8) as u8, mantissa as u8]);
    for ssrc in ssrcs {
        packet.extend(ssrc.to_be_bytes());
    }
    packet
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A receiver report with no blocks, then REMB of 300 000 bit/s for one SSRC.
    fn compound(bitrate_exponent: u8, mantissa: u32) -> Vec<u8> {
        let mut packet = vec![0x80, 201, 0, 1, 0, 0, 0, 1];
        packet.extend([0x8f, 206, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0]);
        packet.extend(b"REMB");
        packet.push(1);
        packet.push((bitrate_exponent << 2) | (mantissa >> 16) as u8);
        packet.extend([(mantissa >> 8) as u8, mantissa as u8]);
        packet.extend([0, 0, 0, 9]);
        packet
    }

    #[test]
    fn remb_bitrates_are_read_from_compound_packets() {
        assert_eq!(estimate(&compound(2, 75_000)), Some(300_000));
        assert_eq!(estimate(&compound(0, 0x3ffff)), Some(0x3ffff));
        assert_eq!(estimate(&[0x80, 201, 0, 1, 0, 0, 0, 1]), None);
        assert_eq!(estimate(&[0x80, 201, 0, 9]), None, "truncated");
        assert_eq!(estimate(&[]), None);
    }

    #[test]
    fn remb_packets_read_back_as_written() {
        for bitrate in [0, 30_000, 262_143, 262_144, 1_000_000, 2_500_000_000] {
            let packet = packet(7, bitrate, &[1, 2]);
            assert_eq!(packet.len(), 4 * 7, "header, two SSRCs, REMB with two more");
            let read = estimate(&packet).unwrap();
            assert!(
                read <= bitrate && bitrate - read <= bitrate >> 17,
                "{read} for {bitrate}"
            );
        }
        assert_eq!(estimate(&packet(1, 300_000, &[9])), Some(300_000));
    }
}
