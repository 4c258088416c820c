//! C2SP signed notes with Ed25519 keys: key ids, key texts, signing and opening.
//! Owns the byte-exact note format shared with Go's sumdb/note; it never hands back
//! note text as trusted unless a known key's signature over exactly that text verified.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::digest;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use thiserror::Error;

/// Signature type byte of plain Ed25519 note signatures.
pub const ALG_ED25519: u8 = 0x01;

/// More signatures than this make a note malformed, as in Go's implementation.
pub const MAX_SIGNATURES: usize = 100;

/// Starts every signature line: an em dash (U+2014) and a space.
pub const SIGNATURE_PREFIX: &str = "\u{2014} ";

const SIGNER_KEY_PREFIX: &str = "PRIVATE+KEY+";

/// Why a note, a key text or a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NoteError {
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    #[error("invalid key name {0:?}: it must be non-empty with no spaces or '+'")]
    BadKeyName(String),
    #[error("malformed verifier key: {0}")]
    BadVerifierKey(&'static str),
    #[error("malformed signer key: {0}")]
    BadSignerKey(&'static str),
    #[error("unsupported signature type 0x{0:02x}")]
    UnsupportedAlgorithm(u8),
    #[error("invalid signature for key {name}+{key_id:08x}")]
    InvalidSignature { name: String, key_id: u32 },
    #[error("ambiguous key {name}+{key_id:08x}: listed more than once")]
    AmbiguousKey { name: String, key_id: u32 },
    #[error("note has no signature from a known key")]
    NoKnownSignature,
    #[error("no randomness available to generate a key")]
    Randomness,
}

/// Key id: the first four bytes, big-endian, of SHA-256(name ‖ 0x0A ‖ type ‖ public key).
pub fn key_id(name: &str, alg: u8, public_key: &[u8]) -> u32 {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(name.as_bytes());
    ctx.update(b"\n");
    ctx.update(&[alg]);
    ctx.update(public_key);
    let d = ctx.finish();
    let b = d.as_ref();
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Key names are non-empty, contain no Unicode space and no '+', which separates key text fields.
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('+') && !name.chars().any(char::is_whitespace)
}

fn check_name(name: &str) -> Result<(), NoteError> {
    if is_valid_key_name(name) {
        Ok(())
    } else {
        Err(NoteError::BadKeyName(name.to_owned()))
    }
}

/// The three `+`-separated fields of a key text; the last may itself contain '+'.
pub(crate) struct KeyText<'a> {
    pub name: &'a str,
    pub key_id: u32,
    pub alg: u8,
    pub key: Vec<u8>,
}

pub(crate) fn split_key_text(text: &str) -> Option<KeyText<'_>> {
    let (name, rest) = text.split_once('+')?;
    let (id_hex, key_b64) = rest.split_once('+')?;
    if !is_valid_key_name(name) {
        return None;
    }
    let key_id = parse_key_id_hex(id_hex)?;
    let mut key = STANDARD.decode(key_b64).ok()?;
    if key.is_empty() {
        return None;
    }
    let alg = key.remove(0);
    Some(KeyText {
        name,
        key_id,
        alg,
        key,
    })
}

/// Exactly eight lowercase hex digits, the only spelling Go emits.
fn parse_key_id_hex(s: &str) -> Option<u32> {
    if s.len() != 8 || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

pub(crate) fn key_pair_from_seed(seed: &[u8; 32]) -> Result<Ed25519KeyPair, NoteError> {
    Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| NoteError::BadSignerKey("invalid seed"))
}

pub(crate) fn public_key_of(pair: &Ed25519KeyPair) -> [u8; 32] {
    let mut pk = [0u8; 32];
    pk.copy_from_slice(pair.public_key().as_ref());
    pk
}

pub(crate) fn random_seed() -> Result<[u8; 32], NoteError> {
    let mut seed = [0u8; 32];
    SystemRandom::new()
        .fill(&mut seed)
        .map_err(|_| NoteError::Randomness)?;
    Ok(seed)
}

pub(crate) fn ed25519_verify(public_key: &[u8; 32], msg: &[u8], sig: &[u8]) -> bool {
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(msg, sig)
        .is_ok()
}

/// Parses `PRIVATE+KEY+<name>+<hex id>+<base64(type ‖ seed)>` and checks the id
/// against the public key derived from the seed, hashed under the key's own type.
pub(crate) fn parse_signer_key_text(text: &str) -> Result<(String, u8, [u8; 32]), NoteError> {
    let rest = text
        .strip_prefix(SIGNER_KEY_PREFIX)
        .ok_or(NoteError::BadSignerKey("missing PRIVATE+KEY+ prefix"))?;
    let kt = split_key_text(rest).ok_or(NoteError::BadSignerKey("not name+id+key"))?;
    let seed: [u8; 32] = kt
        .key
        .as_slice()
        .try_into()
        .map_err(|_| NoteError::BadSignerKey("seed is not 32 bytes"))?;
    let pk = public_key_of(&key_pair_from_seed(&seed)?);
    if key_id(kt.name, kt.alg, &pk) != kt.key_id {
        return Err(NoteError::BadSignerKey("key id does not match the key"));
    }
    Ok((kt.name.to_owned(), kt.alg, seed))
}

pub(crate) fn format_signer_key_text(name: &str, key_id: u32, alg: u8, seed: &[u8; 32]) -> String {
    let mut material = Vec::with_capacity(33);
    material.push(alg);
    material.extend_from_slice(seed);
    format!(
        "{SIGNER_KEY_PREFIX}{name}+{key_id:08x}+{}",
        STANDARD.encode(material)
    )
}

pub(crate) fn format_verifier_key_text(name: &str, key_id: u32, alg: u8, pk: &[u8; 32]) -> String {
    let mut material = Vec::with_capacity(33);
    material.push(alg);
    material.extend_from_slice(pk);
    format!("{name}+{key_id:08x}+{}", STANDARD.encode(material))
}

/// A private Ed25519 note key.
pub struct NoteSigner {
    name: String,
    key_id: u32,
    seed: [u8; 32],
    pair: Ed25519KeyPair,
}

impl fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The seed is the private key: it must never reach a log line.
        f.debug_struct("NoteSigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

impl NoteSigner {
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        check_name(name)?;
        let pair = key_pair_from_seed(&seed)?;
        let key_id = key_id(name, ALG_ED25519, &public_key_of(&pair));
        Ok(Self {
            name: name.to_owned(),
            key_id,
            seed,
            pair,
        })
    }

    /// A fresh key from the system's secure random source.
    pub fn generate(name: &str) -> Result<Self, NoteError> {
        Self::from_seed(name, random_seed()?)
    }

    /// Parses Go's signer key text `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ seed)>`.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let (name, alg, seed) = parse_signer_key_text(text)?;
        if alg != ALG_ED25519 {
            return Err(NoteError::UnsupportedAlgorithm(alg));
        }
        Self::from_seed(&name, seed)
    }

    /// The key text `parse` accepts; it contains the private key.
    pub fn signer_key_text(&self) -> String {
        format_signer_key_text(&self.name, self.key_id, ALG_ED25519, &self.seed)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    pub fn public_key(&self) -> [u8; 32] {
        public_key_of(&self.pair)
    }

    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            public_key: self.public_key(),
        }
    }

    /// The signature line for `text`, which must already be valid note text.
    pub fn sign_line(&self, text: &str) -> Result<String, NoteError> {
        check_text(text)?;
        Ok(NoteSignature {
            name: self.name.clone(),
            key_id: self.key_id,
            signature: self.pair.sign(text.as_bytes()).as_ref().to_vec(),
        }
        .to_line())
    }
}

/// A public Ed25519 note key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key_id: u32,
    public_key: [u8; 32],
}

impl NoteVerifier {
    pub fn new(name: &str, public_key: [u8; 32]) -> Result<Self, NoteError> {
        check_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            key_id: key_id(name, ALG_ED25519, &public_key),
            public_key,
        })
    }

    /// Parses `<name>+<hex id>+<base64(0x01 ‖ public key)>`, checking the id.
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        let kt = split_key_text(text).ok_or(NoteError::BadVerifierKey("not name+id+key"))?;
        if kt.alg != ALG_ED25519 {
            return Err(NoteError::UnsupportedAlgorithm(kt.alg));
        }
        let public_key: [u8; 32] = kt
            .key
            .as_slice()
            .try_into()
            .map_err(|_| NoteError::BadVerifierKey("public key is not 32 bytes"))?;
        if key_id(kt.name, ALG_ED25519, &public_key) != kt.key_id {
            return Err(NoteError::BadVerifierKey("key id does not match the key"));
        }
        Ok(Self {
            name: kt.name.to_owned(),
            key_id: kt.key_id,
            public_key,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.public_key
    }

    /// Checks a raw signature (without the key id) over `msg`.
    pub fn verify(&self, msg: &[u8], signature: &[u8]) -> bool {
        ed25519_verify(&self.public_key, msg, signature)
    }
}

impl fmt::Display for NoteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_verifier_key_text(
            &self.name,
            self.key_id,
            ALG_ED25519,
            &self.public_key,
        ))
    }
}

/// One signature line, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NoteSignature {
    pub name: String,
    pub key_id: u32,
    /// The bytes after the key id: for Ed25519 the 64-byte signature.
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// `— <name> <base64(key id ‖ signature)>\n`.
    pub fn to_line(&self) -> String {
        let mut payload = Vec::with_capacity(4 + self.signature.len());
        payload.extend_from_slice(&self.key_id.to_be_bytes());
        payload.extend_from_slice(&self.signature);
        format!(
            "{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            STANDARD.encode(payload)
        )
    }
}

/// A note split into text and signature lines, none of them checked yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnverifiedNote<'a> {
    pub text: &'a str,
    pub signatures: Vec<NoteSignature>,
}

/// Note text is non-empty, newline-terminated and free of control characters other than newline.
fn check_text(text: &str) -> Result<(), NoteError> {
    if text.is_empty() || !text.ends_with('\n') {
        return Err(NoteError::Malformed("text must end with a newline"));
    }
    check_characters(text)
}

fn check_characters(s: &str) -> Result<(), NoteError> {
    if s.chars().any(|c| c < ' ' && c != '\n') {
        return Err(NoteError::Malformed("control character"));
    }
    Ok(())
}

/// Splits a signed note without verifying anything; callers must not trust the text.
pub fn parse(note: &str) -> Result<UnverifiedNote<'_>, NoteError> {
    check_characters(note)?;
    // The last blank line separates text from signatures; the text may contain blank lines itself.
    let split = note
        .rfind("\n\n")
        .ok_or(NoteError::Malformed("no blank line before signatures"))?;
    let text = &note[..split + 1];
    let sigs = &note[split + 2..];
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err(NoteError::Malformed(
            "signature block must be non-empty and end with a newline",
        ));
    }
    let mut signatures = Vec::new();
    for line in sigs[..sigs.len() - 1].split('\n') {
        if signatures.len() == MAX_SIGNATURES {
            return Err(NoteError::Malformed("too many signatures"));
        }
        signatures.push(parse_signature_line(line)?);
    }
    Ok(UnverifiedNote { text, signatures })
}

fn parse_signature_line(line: &str) -> Result<NoteSignature, NoteError> {
    let rest = line
        .strip_prefix(SIGNATURE_PREFIX)
        .ok_or(NoteError::Malformed(
            "signature line must start with an em dash",
        ))?;
    let (name, b64) = rest
        .split_once(' ')
        .ok_or(NoteError::Malformed("signature line has no signature"))?;
    if !is_valid_key_name(name) {
        return Err(NoteError::Malformed("invalid key name in signature line"));
    }
    let mut bytes = STANDARD
        .decode(b64)
        .map_err(|_| NoteError::Malformed("signature is not base64"))?;
    if bytes.len() < 5 {
        return Err(NoteError::Malformed("signature too short"));
    }
    let signature = bytes.split_off(4);
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id: u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
        signature,
    })
}

/// Signs `text` with every signer: text, a blank line, one signature line per signer.
pub fn sign(text: &str, signers: &[&NoteSigner]) -> Result<String, NoteError> {
    check_text(text)?;
    let mut out = String::with_capacity(text.len() + 1 + signers.len() * 128);
    out.push_str(text);
    out.push('\n');
    for s in signers {
        out.push_str(&s.sign_line(text)?);
    }
    Ok(out)
}

/// A note whose text carries at least one valid signature from a known key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedNote {
    pub text: String,
    /// Signatures from known keys, each checked.
    pub verified: Vec<NoteSignature>,
    /// Signatures from keys not in the verifier set (for example witness cosignatures).
    pub unverified: Vec<NoteSignature>,
}

/// Opens a signed note: signatures from unknown keys are set aside, every
/// signature from a known key must verify, and at least one must exist.
pub fn open(note: &str, verifiers: &[NoteVerifier]) -> Result<OpenedNote, NoteError> {
    let parsed = parse(note)?;
    let mut verified: Vec<NoteSignature> = Vec::new();
    let mut unverified: Vec<NoteSignature> = Vec::new();
    for sig in parsed.signatures {
        let mut known = verifiers
            .iter()
            .filter(|v| v.name == sig.name && v.key_id == sig.key_id);
        let Some(v) = known.next() else {
            if !unverified.contains(&sig) {
                unverified.push(sig);
            }
            continue;
        };
        if known.next().is_some() {
            return Err(NoteError::AmbiguousKey {
                name: sig.name,
                key_id: sig.key_id,
            });
        }
        // Like Go, only the first signature per known key counts.
        if verified
            .iter()
            .any(|s| s.name == sig.name && s.key_id == sig.key_id)
        {
            continue;
        }
        if !v.verify(parsed.text.as_bytes(), &sig.signature) {
            return Err(NoteError::InvalidSignature {
                name: sig.name,
                key_id: sig.key_id,
            });
        }
        verified.push(sig);
    }
    if verified.is_empty() {
        return Err(NoteError::NoKnownSignature);
    }
    Ok(OpenedNote {
        text: parsed.text.to_owned(),
        verified,
        unverified,
    })
}

#[cfg(test)]
mod tests;
