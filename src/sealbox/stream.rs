//! The payload cipher: age's STREAM construction, AES-256-GCM over 64 KiB chunks with nonce =
//! 11-byte big-endian chunk counter ‖ last-chunk flag. Holds one chunk at a time and never
//! releases a chunk's plaintext before that chunk's tag has verified.

use crate::sealbox::error::EnvelopeError;
use crate::sealbox::wire::read_full;
use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::digest;
use std::io::{Read, Write};
use zeroize::Zeroizing;

/// Plaintext bytes per chunk; every chunk but the last is exactly this long.
pub const CHUNK_SIZE: usize = 64 * 1024;
/// AES-256-GCM tag appended to every chunk.
pub const TAG_LEN: usize = 16;
/// Payloads are capped at 1 TiB: far beyond any bid, far below the 2^88 chunk counter.
pub const MAX_PAYLOAD_LEN: u64 = 1 << 40;

/// Number of chunks for a payload: at least one, so an empty payload still carries a final tag.
pub fn chunk_count(payload_len: u64) -> u64 {
    payload_len.div_ceil(CHUNK_SIZE as u64).max(1)
}

/// Exact ciphertext length of the payload part of an envelope.
pub fn body_len(payload_len: u64) -> u64 {
    payload_len + chunk_count(payload_len) * TAG_LEN as u64
}

fn chunk_plain_len(payload_len: u64, index: u64) -> usize {
    let start = index * CHUNK_SIZE as u64;
    // Bounded by CHUNK_SIZE, so the cast is exact.
    (payload_len - start).min(CHUNK_SIZE as u64) as usize
}

pub(crate) fn chunk_nonce(index: u64, last: bool) -> [u8; 12] {
    let mut nonce = [0u8; 12];
    nonce[3..11].copy_from_slice(&index.to_be_bytes());
    nonce[11] = u8::from(last);
    nonce
}

pub(crate) fn payload_cipher(payload_key: &[u8; 32]) -> Result<LessSafeKey, EnvelopeError> {
    let unbound = UnboundKey::new(&aead::AES_256_GCM, payload_key)
        .map_err(|_| EnvelopeError::InvalidParams("payload key has the wrong length"))?;
    Ok(LessSafeKey::new(unbound))
}

/// Encrypts exactly `payload_len` bytes from `payload` into `out`, feeding every output byte to
/// `digest` as well. A reader that ends early or runs on is an error, not a silent truncation.
pub(crate) fn encrypt(
    key: &LessSafeKey,
    payload_len: u64,
    payload: &mut impl Read,
    out: &mut impl Write,
    digest: &mut digest::Context,
) -> Result<(), EnvelopeError> {
    let chunks = chunk_count(payload_len);
    let mut buf = Zeroizing::new(Vec::with_capacity(CHUNK_SIZE + TAG_LEN));
    let mut done: u64 = 0;
    for index in 0..chunks {
        let want = chunk_plain_len(payload_len, index);
        buf.resize(want, 0);
        let got = read_full(payload, &mut buf)?;
        done += got as u64;
        if got < want {
            return Err(EnvelopeError::PayloadLength {
                declared: payload_len,
                actual: done,
                longer: false,
            });
        }
        let last = index + 1 == chunks;
        if last {
            let mut probe = [0u8; 1];
            if read_full(payload, &mut probe)? != 0 {
                return Err(EnvelopeError::PayloadLength {
                    declared: payload_len,
                    actual: done + 1,
                    longer: true,
                });
            }
        }
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(chunk_nonce(index, last)),
            Aad::empty(),
            &mut *buf,
        )
        .map_err(|_| EnvelopeError::InvalidParams("chunk too large for AES-GCM"))?;
        out.write_all(&buf)?;
        digest.update(&buf);
    }
    Ok(())
}

/// Decrypts the body of an envelope whose header declares `payload_len`, writing each chunk's
/// plaintext only after its tag verified, then requires the end of the input. Returns the number
/// of plaintext bytes written.
pub(crate) fn decrypt(
    key: &LessSafeKey,
    payload_len: u64,
    ciphertext: &mut impl Read,
    out: &mut impl Write,
) -> Result<u64, EnvelopeError> {
    let written = decrypt_segment(key, payload_len, ciphertext, out)?;
    let mut probe = [0u8; 1];
    if read_full(ciphertext, &mut probe)? != 0 {
        return Err(EnvelopeError::TrailingCiphertext);
    }
    Ok(written)
}

/// Decrypts one STREAM of `payload_len` plaintext bytes and stops right after its last chunk,
/// leaving the reader at whatever follows (a version 2 envelope's announced segment is followed
/// by its documents segment).
pub(crate) fn decrypt_segment(
    key: &LessSafeKey,
    payload_len: u64,
    ciphertext: &mut impl Read,
    out: &mut impl Write,
) -> Result<u64, EnvelopeError> {
    let chunks = chunk_count(payload_len);
    let mut buf = Zeroizing::new(Vec::with_capacity(CHUNK_SIZE + TAG_LEN));
    let mut written = 0u64;
    for index in 0..chunks {
        let want = chunk_plain_len(payload_len, index) + TAG_LEN;
        buf.resize(want, 0);
        if read_full(ciphertext, &mut buf)? < want {
            return Err(EnvelopeError::PayloadTruncated { chunk: index });
        }
        let last = index + 1 == chunks;
        let plain = key
            .open_in_place(
                Nonce::assume_unique_for_key(chunk_nonce(index, last)),
                Aad::empty(),
                &mut buf,
            )
            .map_err(|_| EnvelopeError::ChunkCorrupt { chunk: index })?;
        out.write_all(plain)?;
        written += plain.len() as u64;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_arithmetic() {
        assert_eq!(chunk_count(0), 1);
        assert_eq!(chunk_count(1), 1);
        assert_eq!(chunk_count(65536), 1);
        assert_eq!(chunk_count(65537), 2);
        assert_eq!(body_len(0), 16);
        assert_eq!(body_len(65536), 65552);
        assert_eq!(body_len(65537), 65537 + 32);
        assert_eq!(
            hex::encode(chunk_nonce(0x0102, true)),
            "000000000000000000010201"
        );
    }
}
