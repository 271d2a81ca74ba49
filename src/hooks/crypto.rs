//! The primitives the platforms combine: digests, HMAC, hex, constant-time
//! comparison, and AES-256-CBC with a caller-chosen PKCS#7 block size
//! (Feishu pads to 16 bytes, WeCom to 32).

use aes::cipher::{block_padding::NoPadding, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

type Aes256CbcDecryptor = cbc::Decryptor<aes::Aes256>;
type Aes256CbcEncryptor = cbc::Encryptor<aes::Aes256>;

/// The AES block: CBC works on whole 16-byte blocks whatever the padding.
pub(super) const AES_BLOCK: usize = 16;

pub(super) use crate::secret::constant_time_eq;

/// SHA-256 over the concatenation of `parts`.
pub(super) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut digest = Sha256::new();
    parts.iter().for_each(|part| digest.update(part));
    digest.finalize().into()
}

/// SHA-1 over the concatenation of `parts`.
pub(super) fn sha1(parts: &[&[u8]]) -> [u8; 20] {
    let mut digest = Sha1::new();
    parts.iter().for_each(|part| digest.update(part));
    digest.finalize().into()
}

/// An HMAC-SHA256 over `parts`, left unfinished so the caller can either
/// read it or `verify_slice` it (which compares in constant time).
pub(super) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    parts.iter().for_each(|part| mac.update(part));
    mac
}

/// Lower-case hex, as Slack, Feishu and WeCom print digests.
pub(super) fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|byte| [DIGITS[usize::from(byte >> 4)], DIGITS[usize::from(byte & 0x0f)]])
        .map(char::from)
        .collect()
}

/// Hex in either case; `None` for an odd length or a non-hex digit.
pub(super) fn hex_decode(text: &str) -> Option<Vec<u8>> {
    fn nibble(digit: u8) -> Option<u8> {
        char::from(digit).to_digit(16).map(|value| value as u8)
    }
    let digits = text.as_bytes();
    if digits.len() % 2 != 0 {
        return None;
    }
    digits
        .chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

/// AES-256-CBC decryption followed by PKCS#7 unpadding for a block of
/// `padding_block` bytes. `None` when the ciphertext is not whole blocks or
/// the padding is not well formed. Callers decrypt only what a signature
/// already vouched for, so no padding oracle is exposed.
pub(super) fn aes256_cbc_decrypt(
    key: &[u8; 32],
    iv: &[u8; 16],
    ciphertext: &[u8],
    padding_block: usize,
) -> Option<Vec<u8>> {
    if ciphertext.is_empty() || ciphertext.len() % AES_BLOCK != 0 {
        return None;
    }
    let mut buffer = ciphertext.to_vec();
    Aes256CbcDecryptor::new(key.into(), iv.into())
        .decrypt_padded_mut::<NoPadding>(&mut buffer)
        .ok()?;
    let padding = usize::from(*buffer.last()?);
    if padding == 0 || padding > padding_block || padding > buffer.len() {
        return None;
    }
    let text_length = buffer.len() - padding;
    if buffer[text_length..]
        .iter()
        .any(|&byte| usize::from(byte) != padding)
    {
        return None;
    }
    buffer.truncate(text_length);
    Some(buffer)
}

/// PKCS#7-pads `plaintext` to a multiple of `padding_block` (a multiple of
/// 16, at most 255) and encrypts it with AES-256-CBC.
pub(super) fn aes256_cbc_encrypt(
    key: &[u8; 32],
    iv: &[u8; 16],
    plaintext: &[u8],
    padding_block: usize,
) -> Vec<u8> {
    debug_assert!(padding_block % AES_BLOCK == 0 && padding_block <= 255);
    let padding = padding_block - plaintext.len() % padding_block;
    let mut buffer = plaintext.to_vec();
    buffer.resize(plaintext.len() + padding, padding as u8);
    let length = buffer.len();
    Aes256CbcEncryptor::new(key.into(), iv.into())
        .encrypt_padded_mut::<NoPadding>(&mut buffer, length)
        .expect("the buffer is whole blocks");
    buffer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_rejects_junk() {
        assert_eq!(hex_encode(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(hex_decode("00ABff"), Some(vec![0x00, 0xab, 0xff]));
        assert_eq!(hex_decode("abc"), None);
        assert_eq!(hex_decode("zz"), None);
        assert_eq!(hex_decode("é1"), None);
    }

    #[test]
    fn padding_to_32_bytes_round_trips_and_bad_padding_is_refused() {
        let key = [7u8; 32];
        let iv = [9u8; 16];
        for length in [0, 1, 15, 16, 31, 32, 33, 100] {
            let plaintext = vec![b'x'; length];
            let ciphertext = aes256_cbc_encrypt(&key, &iv, &plaintext, 32);
            assert_eq!(ciphertext.len() % 32, 0);
            assert_eq!(aes256_cbc_decrypt(&key, &iv, &ciphertext, 32), Some(plaintext));
        }
        // A 32-byte pad is too long for a 16-byte padding block.
        let padded_to_32 = aes256_cbc_encrypt(&key, &iv, b"", 32);
        assert_eq!(aes256_cbc_decrypt(&key, &iv, &padded_to_32, 16), None);
        assert_eq!(aes256_cbc_decrypt(&key, &iv, &[0u8; 15], 32), None);
        assert_eq!(aes256_cbc_decrypt(&key, &iv, &[], 32), None);
    }
}
