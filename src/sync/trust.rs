//! Trust between a hub and its stations without a certificate authority
//! (a venue has none, and no internet): the hub makes its own certificate
//! once, and the join code the director reads out carries the start of its
//! SHA-256 fingerprint and a secret. A station checks the hub's certificate
//! against the code before it sends anything, then trades the secret for a
//! credential of its own.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};

/// Bytes of the certificate's fingerprint in a code: 80 bits, so a forged
/// certificate that matches takes 2^80 tries.
const PIN: usize = 10;
/// Bytes of the join secret in a code.
const SECRET: usize = 5;
/// Crockford's base32: no I, L, O or U, so a code read aloud is typed right.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A new self-signed certificate and its key (PKCS#8), both DER.
pub(crate) fn new_certificate() -> Result<(Vec<u8>, Vec<u8>), String> {
    let made = rcgen::generate_simple_self_signed(vec!["racedesk-hub".to_owned()])
        .map_err(|e| e.to_string())?;
    Ok((made.cert.der().to_vec(), made.signing_key.serialize_der()))
}

/// The SHA-256 of a certificate.
pub(crate) fn fingerprint(cert: &[u8]) -> [u8; 32] {
    Sha256::digest(cert).into()
}

/// A digest that a stored credential is compared by (the hub keeps no
/// credential itself).
pub(crate) fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Random bytes from the operating system, through ring.
pub(crate) fn random<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0u8; N];
    rustls::crypto::ring::default_provider()
        .secure_random
        .fill(&mut bytes)
        .map_err(|_| "the system has no random numbers".to_owned())?;
    Ok(bytes)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A join code as the director reads it: the certificate's pin and the
/// join secret, in groups of four.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinCode {
    pin: [u8; PIN],
    secret: [u8; SECRET],
}

impl JoinCode {
    pub(crate) fn new(cert: &[u8], secret: [u8; SECRET]) -> Self {
        let mut pin = [0u8; PIN];
        pin.copy_from_slice(&fingerprint(cert)[..PIN]);
        Self { pin, secret }
    }

    pub(crate) fn new_secret() -> Result<[u8; SECRET], String> {
        random::<SECRET>()
    }

    /// The secret a station shows the hub, as hex.
    pub(crate) fn secret(&self) -> String {
        hex(&self.secret)
    }

    /// Reads a typed code: case and dashes or spaces do not matter, and
    /// O, I and L are read as 0, 1 and 1.
    pub fn parse(text: &str) -> Option<Self> {
        let mut bits: u128 = 0;
        let mut count = 0;
        for c in text.chars() {
            let c = match c.to_ascii_uppercase() {
                '-' | ' ' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            let value = ALPHABET.iter().position(|&a| char::from(a) == c)?;
            bits = (bits << 5) | u128::try_from(value).ok()?;
            count += 1;
            if count > 24 {
                return None;
            }
        }
        if count != 24 {
            return None;
        }
        let bytes = bits.to_be_bytes();
        // 24 characters are 120 bits: the last 15 bytes of the 16.
        let mut pin = [0u8; PIN];
        pin.copy_from_slice(&bytes[1..1 + PIN]);
        let mut secret = [0u8; SECRET];
        secret.copy_from_slice(&bytes[1 + PIN..]);
        Some(Self { pin, secret })
    }

    /// Whether `cert` is the certificate this code was made for.
    fn pins(&self, cert: &[u8]) -> bool {
        fingerprint(cert)[..PIN] == self.pin
    }

    /// A client's TLS settings that trust only the hub this code names.
    pub(crate) fn client_tls(&self) -> Result<rustls::ClientConfig, String> {
        let provider = provider();
        Ok(
            rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Pinned {
                    code: self.clone(),
                    provider,
                }))
                .with_no_client_auth(),
        )
    }
}

impl std::fmt::Display for JoinCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut bytes = [0u8; 16];
        bytes[1..1 + PIN].copy_from_slice(&self.pin);
        bytes[1 + PIN..].copy_from_slice(&self.secret);
        let bits = u128::from_be_bytes(bytes);
        for i in 0..24 {
            if i > 0 && i % 4 == 0 {
                f.write_str("-")?;
            }
            let value = (bits >> (5 * (23 - i))) & 31;
            let index = usize::try_from(value).unwrap_or(0);
            write!(f, "{}", char::from(ALPHABET[index]))?;
        }
        Ok(())
    }
}

/// The hub's TLS settings: its own certificate.
pub(crate) fn server_tls(cert: &[u8], key: &[u8]) -> Result<rustls::ServerConfig, String> {
    rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.to_vec())),
        )
        .map_err(|e| e.to_string())
}

/// Trusts the one certificate a join code pins, whatever name it claims
/// (a hub is reached by an address typed at the venue), and checks the
/// handshake's signatures with it as usual.
#[derive(Debug)]
struct Pinned {
    code: JoinCode,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.code.pins(end_entity) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "the hub's certificate is not the one its join code names".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_reads_back_as_typed_and_pins_its_certificate_only() {
        let (cert, _) = new_certificate().unwrap();
        let (other, _) = new_certificate().unwrap();
        let code = JoinCode::new(&cert, [1, 2, 3, 4, 250]);
        let text = code.to_string();
        assert_eq!(text.len(), 29, "{text}");
        assert_eq!(JoinCode::parse(&text), Some(code.clone()));
        // Lower case, spaces, O for 0 and l for 1 are the same code.
        let typed = text
            .to_lowercase()
            .replace('-', " ")
            .replace('0', "o")
            .replace('1', "l");
        assert_eq!(JoinCode::parse(&typed), Some(code.clone()));
        assert!(code.pins(&cert));
        assert!(!code.pins(&other));
        assert_eq!(JoinCode::parse(&text[..27]), None);
        assert_eq!(JoinCode::parse(&format!("{text}A")), None);
        assert_eq!(JoinCode::parse("UUUU-0000-0000-0000-0000-0000"), None);
    }
}
