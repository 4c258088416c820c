//! Sealing and opening through the production (random) path: streaming, lengths, parameters,
//! and that nothing secret ends up in the envelope or in Debug output.

use super::{all, open_envelope, pattern, released, seal_bytes, tender};
use crate::sealbox::envelope::{self, mac_key, payload_key, Header, SealParams};
use crate::sealbox::error::EnvelopeError;
use crate::sealbox::stream::CHUNK_SIZE;
use ring::digest;
use ring::rand::SystemRandom;
use std::cell::Cell;
use std::io::{self, Read, Seek, Write};
use std::rc::Rc;

#[test]
fn seals_and_opens_payloads_of_every_chunk_shape() {
    let t = tender(4, 3);
    for len in [
        0,
        1,
        100,
        CHUNK_SIZE - 1,
        CHUNK_SIZE,
        CHUNK_SIZE + 1,
        3 * CHUNK_SIZE + 17,
    ] {
        let payload = pattern(len);
        let bytes = seal_bytes(&t, &payload);
        let header = Header::read_from(&mut &bytes[..]).unwrap();
        assert_eq!(header.envelope_len(), bytes.len() as u64, "len {len}");
        assert_eq!(
            open_envelope(&bytes, &t, &[1, 2, 4]).unwrap(),
            payload,
            "len {len}"
        );
    }
}

/// Produces `len` pattern bytes, in reads of at most 10 000 bytes, recording how many it gave.
struct CountingReader {
    left: usize,
    given: Rc<Cell<u64>>,
}

impl Read for CountingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.left).min(10_000);
        for (j, b) in buf[..n].iter_mut().enumerate() {
            *b = ((self.given.get() as usize + j) % 251) as u8;
        }
        self.left -= n;
        self.given.set(self.given.get() + n as u64);
        Ok(n)
    }
}

/// Counts bytes written, hashing them, into a shared counter.
struct CountingWriter<W> {
    inner: W,
    hash: digest::Context,
    written: Rc<Cell<u64>>,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.written.set(self.written.get() + n as u64);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Counts bytes read into a shared counter and, before each read, records how far the output
/// lags behind the input: what a streaming sealer or opener may hold is one chunk.
struct LagProbe<R> {
    inner: R,
    read: Rc<Cell<u64>>,
    written: Rc<Cell<u64>>,
    max_lag: Rc<Cell<u64>>,
}

impl<R: Read> Read for LagProbe<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let lag = self.read.get().saturating_sub(self.written.get());
        self.max_lag.set(self.max_lag.get().max(lag));
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

type Counter = Rc<Cell<u64>>;

fn counters() -> (Counter, Counter, Counter) {
    (Rc::default(), Rc::default(), Rc::default())
}

#[test]
fn fifty_mib_seal_and_open_stream_in_constant_memory() {
    const LEN: usize = 50 * 1024 * 1024;
    let t = tender(4, 3);
    let mut file = tempfile::tempfile().unwrap();

    // Sealing: the header is written before any payload is read, so `written` runs ahead by
    // the header length; the lag measures payload bytes taken in but not yet written out.
    let (read, written, max_lag) = counters();
    let source = CountingReader {
        left: LEN,
        given: Rc::default(),
    };
    let summary = envelope::seal(
        &t.params,
        &t.signer,
        LagProbe {
            inner: source,
            read: read.clone(),
            written: written.clone(),
            max_lag: max_lag.clone(),
        },
        LEN as u64,
        CountingWriter {
            inner: &mut file,
            hash: digest::Context::new(&digest::SHA256),
            written: written.clone(),
        },
        &SystemRandom::new(),
    )
    .unwrap();
    assert_eq!(read.get(), LEN as u64);
    assert_eq!(written.get(), summary.envelope_len);
    assert!(
        max_lag.get() <= CHUNK_SIZE as u64,
        "sealer held {} payload bytes",
        max_lag.get()
    );

    // Opening from the file: plaintext must leave within one chunk of the ciphertext arriving.
    file.rewind().unwrap();
    let mut reader = io::BufReader::with_capacity(8192, file);
    let header = Header::read_from(&mut reader).unwrap();
    assert_eq!(header.as_bytes(), summary.header.as_bytes());
    let shares = released(&header, &t, &[2, 3, 4]).unwrap();
    let key = envelope::rebuild_key(&header, &shares).unwrap();
    let (read, written, max_lag) = counters();
    let mut sink = CountingWriter {
        inner: io::sink(),
        hash: digest::Context::new(&digest::SHA256),
        written: written.clone(),
    };
    let n = envelope::open_payload(
        &header,
        &key,
        LagProbe {
            inner: reader,
            read: read.clone(),
            written: written.clone(),
            max_lag: max_lag.clone(),
        },
        &mut sink,
    )
    .unwrap();
    assert_eq!(n, LEN as u64);
    // Each chunk's ciphertext (payload + 16-byte tag) is read before its plaintext is written.
    let chunks = LEN as u64 / CHUNK_SIZE as u64;
    assert!(
        max_lag.get() <= (CHUNK_SIZE as u64 + 16) + 16 * chunks + 8192,
        "opener held {} bytes",
        max_lag.get()
    );

    let mut expected = CountingWriter {
        inner: io::sink(),
        hash: digest::Context::new(&digest::SHA256),
        written: Rc::default(),
    };
    io::copy(
        &mut CountingReader {
            left: LEN,
            given: Rc::default(),
        },
        &mut expected,
    )
    .unwrap();
    assert_eq!(sink.hash.finish().as_ref(), expected.hash.finish().as_ref());
}

#[test]
fn payload_must_have_exactly_the_declared_length() {
    let t = tender(3, 2);
    let rng = SystemRandom::new();
    let short = envelope::seal(&t.params, &t.signer, &[1u8; 10][..], 11, Vec::new(), &rng);
    assert!(matches!(
        short,
        Err(EnvelopeError::PayloadLength {
            declared: 11,
            actual: 10,
            longer: false
        })
    ));
    let long = envelope::seal(&t.params, &t.signer, &[1u8; 12][..], 11, Vec::new(), &rng);
    assert!(matches!(
        long,
        Err(EnvelopeError::PayloadLength {
            declared: 11,
            longer: true,
            ..
        })
    ));
    let long_at_boundary = envelope::seal(
        &t.params,
        &t.signer,
        &pattern(CHUNK_SIZE + 1)[..],
        CHUNK_SIZE as u64,
        Vec::new(),
        &rng,
    );
    assert!(matches!(
        long_at_boundary,
        Err(EnvelopeError::PayloadLength { longer: true, .. })
    ));
}

#[test]
fn refuses_unsafe_parameters() {
    let t = tender(3, 2);
    let rng = SystemRandom::new();
    let try_seal = |params: &SealParams| {
        envelope::seal(params, &t.signer, &b"x"[..], 1, Vec::new(), &rng).unwrap_err()
    };
    let mut p = t.params.clone();
    p.custodians[2] = p.custodians[0].clone();
    assert!(
        matches!(try_seal(&p), EnvelopeError::InvalidParams(_)),
        "duplicate custodian"
    );
    for k in [0, 4] {
        let mut p = t.params.clone();
        p.k = k;
        assert!(
            matches!(try_seal(&p), EnvelopeError::InvalidParams(_)),
            "k = {k}"
        );
    }
    let mut p = t.params.clone();
    p.custodians.clear();
    p.k = 0;
    assert!(matches!(try_seal(&p), EnvelopeError::InvalidParams(_)));
    for bad in [String::new(), "x".repeat(256)] {
        let mut p = t.params.clone();
        p.lot_id = bad;
        assert!(matches!(
            try_seal(&p),
            EnvelopeError::InvalidField {
                field: "lot_id",
                ..
            }
        ));
    }
    let mut p = t.params.clone();
    p.tender_id = "界".repeat(85); // 255 bytes of UTF-8: the longest allowed id
    envelope::seal(&p, &t.signer, &b"x"[..], 1, Vec::new(), &rng).unwrap();
}

#[test]
fn header_reader_rejects_bad_prefixes() {
    let t = tender(2, 2);
    let bytes = seal_bytes(&t, b"bid");
    let mut bad = bytes.clone();
    bad[0] = b'X';
    assert!(matches!(
        Header::read_from(&mut &bad[..]),
        Err(EnvelopeError::BadMagic)
    ));
    let mut v3 = bytes.clone();
    v3[7] = 3;
    assert!(matches!(
        Header::read_from(&mut &v3[..]),
        Err(EnvelopeError::UnsupportedVersion(3))
    ));
    // A v1 header relabelled as v2 is not a v2 header (its fields do not line up, its MAC and
    // signature are under v1's labels).
    let mut v2 = bytes.clone();
    v2[7] = 2;
    assert!(Header::read_from(&mut &v2[..]).is_err());
    let header_len = Header::read_from(&mut &bytes[..]).unwrap().as_bytes().len();
    assert!(matches!(
        Header::read_from(&mut &bytes[..header_len - 1]),
        Err(EnvelopeError::HeaderLength { .. })
    ));
    assert!(matches!(
        Header::parse(&bytes[..header_len + 1]),
        Err(EnvelopeError::HeaderLength { .. })
    ));
    assert!(matches!(
        Header::read_from(&mut &bytes[..5]),
        Err(EnvelopeError::BadMagic)
    ));
    let mut huge = bytes.clone();
    huge[8..12].copy_from_slice(&(1u32 << 20).to_be_bytes());
    assert!(matches!(
        Header::read_from(&mut &huge[..]),
        Err(EnvelopeError::InvalidField {
            field: "header_len",
            ..
        })
    ));
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn envelope_bytes_hold_no_plaintext_key_or_share() {
    let marker = b"MARKER-7f3a9c-price-fen-128800000";
    let mut payload = pattern(3 * CHUNK_SIZE);
    for offset in [0, 70_000, 3 * CHUNK_SIZE - marker.len()] {
        payload[offset..offset + marker.len()].copy_from_slice(marker);
    }
    let t = tender(4, 3);
    let bytes = seal_bytes(&t, &payload);
    let header = Header::read_from(&mut &bytes[..]).unwrap();
    let shares = released(&header, &t, &all(&t)).unwrap();
    let key = envelope::rebuild_key(&header, &shares).unwrap();
    let ck = key.expose_secret();

    assert!(!contains(&bytes, marker));
    assert!(!contains(&bytes, &marker[..12]));
    assert!(!contains(&bytes, ck));
    assert!(!contains(&bytes, &*payload_key(ck, header.envelope_id())));
    assert!(!contains(&bytes, &*mac_key(1, ck, header.envelope_id())));
    for s in &shares {
        assert!(!contains(&bytes, &s.share), "share {}", s.index);
        assert!(!contains(&bytes, &s.salt), "salt {}", s.index);
        assert!(!contains(&bytes, &s.share[..16]));
    }
    // The check above is only meaningful if it can find what is there.
    assert!(contains(&bytes, header.envelope_id()));

    let shown = format!("{key:?} {:?} {:?}", shares[0], header);
    assert!(!shown.contains(&hex::encode(ck)));
    assert!(!shown.contains(&hex::encode(shares[0].share)));
    assert!(!shown.contains(&format!("{:?}", &ck[..4])));
    assert_eq!(format!("{key:?}"), "ContentKey([redacted])");
}

#[test]
fn released_share_wire_form_round_trips() {
    let t = tender(2, 2);
    let bytes = seal_bytes(&t, b"bid");
    let header = Header::read_from(&mut &bytes[..]).unwrap();
    let share = envelope::open_share(&header, 2, &t.keys[1]).unwrap();
    let back = envelope::ReleasedShare::from_bytes(&*share.to_bytes()).unwrap();
    assert_eq!(back, share);
    assert!(envelope::ReleasedShare::from_bytes(&share.to_bytes()[..64]).is_err());
}
