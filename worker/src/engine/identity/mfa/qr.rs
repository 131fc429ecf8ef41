//! The enrolment QR code as an SVG document, drawn here so no third party ever sees a
//! secret (qrcodegen: ISO/IEC 18004 encoding, no dependencies, builds for wasm32).

use qrcodegen::{QrCode, QrCodeEcc};

use crate::engine::platform::error::InternalError;

/// ISO/IEC 18004 §7.3.8: four modules of quiet zone around the symbol.
const QUIET_ZONE: i32 = 4;

/// `text` as a QR code, error correction level M, one SVG unit per module.
pub fn svg(text: &str) -> Result<String, InternalError> {
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium).map_err(|e| InternalError::new(format!("QR code: {e}")))?;
    let size = qr.size();
    let full = size + 2 * QUIET_ZONE;
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + QUIET_ZONE, y + QUIET_ZONE));
            }
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {full} {full}\" shape-rendering=\"crispEdges\" \
         role=\"img\" aria-label=\"QR code for the authenticator app\"><rect width=\"100%\" height=\"100%\" \
         fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_otpauth_uri_becomes_a_square_svg_with_a_quiet_zone() {
        let svg = svg("otpauth://totp/Authority:ann?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Authority").unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "));
        // Version 5 or so for this length: 37 modules + 8 of quiet zone, and many dark ones.
        let size: i32 = svg.split("viewBox=\"0 0 ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
        assert!((29..=57).contains(&size), "{size}");
        assert!(svg.matches("h1v1h-1z").count() > 200);
        // The top-left finder pattern starts at the quiet zone's edge.
        assert!(svg.contains("M4,4h1v1h-1z"));
    }
}
