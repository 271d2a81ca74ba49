//! WeCom's message encryption (`WXBizMsgCrypt`), as described in
//! "加解密方案说明" (<https://developer.work.weixin.qq.com/document/path/91144>):
//!
//! - `msg_signature` = hex(SHA-1(the strings token, timestamp, nonce and
//!   ciphertext, sorted and joined));
//! - AES key = Base64_Decode(EncodingAESKey + "="), 32 bytes; IV = its first
//!   16 bytes; AES-256-CBC with PKCS#7 padding to a multiple of **32** bytes;
//! - plaintext = random(16) ‖ msg_len (4 bytes, big-endian) ‖ msg ‖
//!   receive id (the CorpID for a self-built app; empty for an intelligent
//!   robot, per <https://developer.work.weixin.qq.com/document/path/101033>).

use super::crypto::{aes256_cbc_decrypt, aes256_cbc_encrypt, constant_time_eq, hex_decode, hex_encode, sha1};
use super::{HookError, Secret};
use base64::alphabet::STANDARD as STANDARD_ALPHABET;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD as BASE64};
use base64::Engine;

/// WeCom pads to this block, not AES's 16 (pkcs7Encoder `$block_size = 32`
/// in WeCom's own libraries).
const PADDING_BLOCK: usize = 32;
/// random(16) ‖ msg_len(4).
const HEADER_LENGTH: usize = 20;

/// WeCom generates EncodingAESKey from 43 random characters of `[A-Za-z0-9]`,
/// so its last character usually carries non-zero bits past the 256th; the
/// reference libraries' decoders ignore them and so must ours.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD_ALPHABET,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

/// `[hooks.wecom]`, with the AES key decoded once at start-up.
#[derive(Clone)]
pub struct WecomSecrets {
    token: Secret,
    aes_key: [u8; 32],
    receive_id: String,
}

impl std::fmt::Debug for WecomSecrets {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("WecomSecrets")
            .field("token", &self.token)
            .field("aes_key", &"***")
            .field("receive_id", &self.receive_id)
            .finish()
    }
}

impl WecomSecrets {
    /// Checks and decodes the configured values; the error names the key
    /// that is wrong.
    pub fn new(
        token: Secret,
        encoding_aes_key: &Secret,
        receive_id: impl Into<String>,
    ) -> Result<Self, String> {
        if token.expose().is_empty() {
            return Err("hooks.wecom.token_env: the token is empty".into());
        }
        let encoded = encoding_aes_key.expose();
        let aes_key = (encoded.len() == 43)
            .then(|| LENIENT_BASE64.decode(format!("{encoded}=")).ok())
            .flatten()
            .and_then(|key| <[u8; 32]>::try_from(key).ok())
            .ok_or("hooks.wecom.encoding_aes_key_env: EncodingAESKey is 43 characters of Base64")?;
        Ok(WecomSecrets {
            token,
            aes_key,
            receive_id: receive_id.into(),
        })
    }

    /// Reads the token and key from the variables the config names.
    pub fn from_env(token_env: &str, encoding_aes_key_env: &str, receive_id: &str) -> Result<Self, String> {
        let token = Secret::from_env(token_env).ok_or_else(|| format!("{token_env} is not set"))?;
        let key = Secret::from_env(encoding_aes_key_env)
            .ok_or_else(|| format!("{encoding_aes_key_env} is not set"))?;
        WecomSecrets::new(token, &key, receive_id)
    }

    /// `msg_signature` for these values.
    pub fn signature(&self, timestamp: &str, nonce: &str, encrypted: &str) -> String {
        hex_encode(&self.digest(timestamp, nonce, encrypted))
    }

    /// Checks `msg_signature` in constant time.
    pub(super) fn verify(
        &self,
        signature: &str,
        timestamp: &str,
        nonce: &str,
        encrypted: &str,
    ) -> Result<(), HookError> {
        let expected = self.digest(timestamp, nonce, encrypted);
        match hex_decode(signature) {
            Some(presented) if constant_time_eq(&presented, &expected) => Ok(()),
            _ => Err(HookError::BadSignature("msg_signature does not match")),
        }
    }

    /// Decrypts a verified ciphertext to its message, checking that it names
    /// our receive id. An intelligent robot's payload names the empty
    /// receive id, which is accepted too: the signature and the AES key have
    /// already proved where it comes from.
    pub fn decrypt(&self, encrypted: &str) -> Result<Vec<u8>, HookError> {
        let ciphertext = BASE64
            .decode(encrypted)
            .map_err(|_| malformed("the ciphertext is not Base64"))?;
        let iv: &[u8; 16] = self.aes_key.first_chunk().expect("a 32-byte key has 16 bytes");
        let mut plaintext = aes256_cbc_decrypt(&self.aes_key, iv, &ciphertext, PADDING_BLOCK)
            .ok_or_else(|| malformed("the ciphertext does not decrypt with the configured EncodingAESKey"))?;
        let length_bytes = plaintext
            .get(16..HEADER_LENGTH)
            .ok_or_else(|| malformed("the plaintext is too short"))?;
        let length = u32::from_be_bytes(length_bytes.try_into().expect("four bytes")) as usize;
        let message_end = HEADER_LENGTH
            .checked_add(length)
            .filter(|&end| end <= plaintext.len())
            .ok_or_else(|| malformed("msg_len runs past the plaintext"))?;
        let receive_id = &plaintext[message_end..];
        if !receive_id.is_empty() && !constant_time_eq(receive_id, self.receive_id.as_bytes()) {
            return Err(HookError::BadSignature("the payload names another receive id"));
        }
        plaintext.truncate(message_end);
        plaintext.drain(..HEADER_LENGTH);
        Ok(plaintext)
    }

    /// Encrypts `message` the way WeCom does, for passive replies and tests;
    /// `random` must be fresh random bytes for each message.
    pub fn encrypt(&self, message: &[u8], random: [u8; 16]) -> String {
        let length = u32::try_from(message.len()).expect("a message under 4 GiB");
        let mut plaintext = Vec::with_capacity(HEADER_LENGTH + message.len() + self.receive_id.len());
        plaintext.extend_from_slice(&random);
        plaintext.extend_from_slice(&length.to_be_bytes());
        plaintext.extend_from_slice(message);
        plaintext.extend_from_slice(self.receive_id.as_bytes());
        let iv: &[u8; 16] = self.aes_key.first_chunk().expect("a 32-byte key has 16 bytes");
        BASE64.encode(aes256_cbc_encrypt(&self.aes_key, iv, &plaintext, PADDING_BLOCK))
    }

    fn digest(&self, timestamp: &str, nonce: &str, encrypted: &str) -> [u8; 20] {
        let mut parts = [self.token.expose(), timestamp, nonce, encrypted];
        parts.sort_unstable();
        sha1(&parts.map(str::as_bytes))
    }
}

fn malformed(reason: &str) -> HookError {
    HookError::Malformed(reason.into())
}
