//! Standard Webhooks signatures: `v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")).
//!
//! A secret written `whsec_…` is the base64 of the key, as the Standard Webhooks libraries
//! generate them; any other secret is used as its bytes, so that a receiver's own shared
//! secret works too.

use std::fmt;

use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The prefix of a base64 secret.
const BASE64_PREFIX: &str = "whsec_";

/// Secrets are decoded with or without their `=` padding, as the reference libraries do.
const SECRET_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The HMAC key of one endpoint, ready to sign. Its Debug output shows nothing of it.
#[derive(Clone)]
pub struct SigningKey(Hmac<Sha256>);

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// The key a secret stands for; the error never repeats the secret.
    pub fn from_secret(secret: &str) -> Result<SigningKey, String> {
        let key = match secret.strip_prefix(BASE64_PREFIX) {
            Some(encoded) => SECRET_BASE64.decode(encoded).map_err(|_| {
                format!(
                    "it starts with {BASE64_PREFIX} but what follows is not base64; give the secret as the receiver shows it"
                )
            })?,
            None => secret.as_bytes().to_vec(),
        };
        if key.is_empty() {
            return Err("it is empty".into());
        }
        Hmac::<Sha256>::new_from_slice(&key)
            .map(SigningKey)
            .map_err(|_| "it cannot be an HMAC key".into())
    }

    /// The `webhook-signature` header of a message sent at `timestamp` (Unix seconds).
    pub fn signature(&self, id: &str, timestamp: i64, body: &str) -> String {
        let mut mac = self.0.clone();
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body.as_bytes());
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks libraries' own tests.
    #[test]
    fn matches_the_reference_signature() {
        let key = SigningKey::from_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            key.signature(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                r#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn other_secrets_are_their_bytes_and_never_shown() {
        let raw = SigningKey::from_secret("not-base64-at-all").unwrap();
        let same =
            SigningKey::from_secret(&format!("whsec_{}", STANDARD.encode("not-base64-at-all")));
        assert_eq!(
            raw.signature("m", 1, "{}"),
            same.unwrap().signature("m", 1, "{}")
        );
        assert_eq!(format!("{raw:?}"), "SigningKey(..)");
        let err = SigningKey::from_secret("whsec_%%%hunter2").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(SigningKey::from_secret("whsec_").is_err());
        let unpadded = SigningKey::from_secret("whsec_aGVsbG8").unwrap();
        let raw = SigningKey::from_secret("hello").unwrap();
        assert_eq!(
            unpadded.signature("m", 1, "{}"),
            raw.signature("m", 1, "{}")
        );
    }
}
