//! The bid payload as a minimal ustar archive: `bid.json` first, then attachments (v1), or the
//! attachments alone (a v2 documents segment, possibly empty); regular files only, names of at
//! most 100 bytes of UTF-8. Never writes or accepts links, absolute paths,
//! `..` components or duplicate names, so unpacking it can never escape its folder.

use crate::sealbox::wire::read_full;
use std::io::{self, Read, Write};

pub const BLOCK_LEN: usize = 512;
pub const MAX_NAME_LEN: usize = 100;
/// ustar's 11 octal digits of size: 8 GiB − 1.
pub const MAX_FILE_LEN: u64 = 0o777_7777_7777;
/// The first entry of every bid archive: the price in fen and the declared terms.
pub const BID_JSON: &str = "bid.json";

#[derive(Debug, thiserror::Error)]
pub enum TarError {
    #[error("file name {0:?} is not allowed in a bid archive: {1}")]
    InvalidName(String, &'static str),
    #[error("file {0:?} appears twice in the bid archive")]
    DuplicateName(String),
    #[error("the first file of a bid archive must be bid.json")]
    BidJsonNotFirst,
    #[error("file is larger than a ustar archive can hold")]
    TooLarge,
    #[error("file {name:?} was declared as {declared} bytes but {actual} were given")]
    LengthMismatch {
        name: String,
        declared: u64,
        actual: u64,
    },
    #[error("bad tar header: {0}")]
    BadHeader(&'static str),
    #[error("tar header checksum does not match")]
    Checksum,
    #[error("the archive ends early")]
    Truncated,
    #[error("data after the end of the archive or in padding")]
    UnexpectedData,
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
}

/// A relative path of non-empty components, without `.` or `..`, control characters or
/// backslashes (which some unpackers treat as separators).
pub fn validate_name(name: &str) -> Result<(), TarError> {
    let bad = |why| Err(TarError::InvalidName(name.to_owned(), why));
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return bad("must be 1 to 100 bytes of UTF-8");
    }
    if name.chars().any(|c| c.is_control() || c == '\\') {
        return bad("control characters and backslashes are not allowed");
    }
    if name
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return bad("must be a relative path without empty, '.' or '..' parts");
    }
    Ok(())
}

fn padding(size: u64) -> usize {
    // The remainder is below 512, so the cast is exact.
    ((BLOCK_LEN as u64 - size % BLOCK_LEN as u64) % BLOCK_LEN as u64) as usize
}

/// Exact archive length for files of the given sizes, known before any byte is read; the
/// envelope needs it because its signed header states the payload length.
pub fn archive_len(sizes: impl IntoIterator<Item = u64>) -> u64 {
    let files: u64 = sizes
        .into_iter()
        .map(|s| BLOCK_LEN as u64 + s + padding(s) as u64)
        .sum();
    files + 2 * BLOCK_LEN as u64
}

fn put_octal(field: &mut [u8], value: u64) {
    // `digits` octal digits, zero-padded, then NUL: the POSIX ustar numeric field.
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    field[..digits].copy_from_slice(text.as_bytes());
    field[digits] = 0;
}

fn header_block(name: &str, size: u64) -> [u8; BLOCK_LEN] {
    let mut h = [0u8; BLOCK_LEN];
    h[..name.len()].copy_from_slice(name.as_bytes());
    put_octal(&mut h[100..108], 0o644);
    put_octal(&mut h[108..116], 0);
    put_octal(&mut h[116..124], 0);
    put_octal(&mut h[124..136], size);
    put_octal(&mut h[136..148], 0);
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    put_octal(&mut h[329..337], 0);
    put_octal(&mut h[337..345], 0);
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
    let text = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(text.as_bytes());
    h
}

/// Streams a bid archive to `out`: call `append` with `bid.json` first, then each attachment.
pub struct TarWriter<W: Write> {
    out: W,
    names: Vec<String>,
    bid_json_first: bool,
}

impl<W: Write> TarWriter<W> {
    pub fn new(out: W) -> Self {
        Self {
            out,
            names: Vec::new(),
            bid_json_first: true,
        }
    }

    /// A v2 documents archive: the attachments only, in the same format, and it may be empty.
    pub fn documents(out: W) -> Self {
        Self {
            out,
            names: Vec::new(),
            bid_json_first: false,
        }
    }

    /// Appends one file of exactly `size` bytes read from `data`.
    pub fn append(&mut self, name: &str, size: u64, data: impl Read) -> Result<(), TarError> {
        validate_name(name)?;
        if self.bid_json_first && self.names.is_empty() && name != BID_JSON {
            return Err(TarError::BidJsonNotFirst);
        }
        if self.names.iter().any(|n| n == name) {
            return Err(TarError::DuplicateName(name.to_owned()));
        }
        if size > MAX_FILE_LEN {
            return Err(TarError::TooLarge);
        }
        self.out.write_all(&header_block(name, size))?;
        let mut limited = data.take(size);
        let copied = io::copy(&mut limited, &mut self.out)?;
        let mut data = limited.into_inner();
        let mut probe = [0u8; 1];
        let longer = read_full(&mut data, &mut probe)? != 0;
        if copied != size || longer {
            return Err(TarError::LengthMismatch {
                name: name.to_owned(),
                declared: size,
                actual: copied + u64::from(longer),
            });
        }
        self.out.write_all(&[0u8; BLOCK_LEN][..padding(size)])?;
        self.names.push(name.to_owned());
        Ok(())
    }

    /// Writes the two zero blocks that end the archive and hands back the writer.
    pub fn finish(mut self) -> Result<W, TarError> {
        if self.bid_json_first && self.names.is_empty() {
            return Err(TarError::BidJsonNotFirst);
        }
        self.out.write_all(&[0u8; 2 * BLOCK_LEN])?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// One file's header as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TarEntry {
    pub name: String,
    pub size: u64,
}

/// Reads a bid archive entry by entry; between `next_entry` calls, `read` yields the current
/// file's content. Unread content is skipped by the next `next_entry`.
pub struct TarReader<R: Read> {
    inner: R,
    remaining: u64,
    pad: usize,
    names: Vec<String>,
    finished: bool,
    bid_json_first: bool,
}

fn parse_octal(field: &[u8]) -> Result<u64, TarError> {
    let digits = field
        .iter()
        .take_while(|b| (b'0'..=b'7').contains(b))
        .count();
    if digits == 0 || field[digits..].iter().any(|b| *b != 0 && *b != b' ') {
        return Err(TarError::BadHeader("numeric field is not octal"));
    }
    let mut value: u64 = 0;
    for d in &field[..digits] {
        value = value
            .checked_mul(8)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .ok_or(TarError::TooLarge)?;
    }
    Ok(value)
}

impl<R: Read> TarReader<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            remaining: 0,
            pad: 0,
            names: Vec::new(),
            finished: false,
            bid_json_first: true,
        }
    }

    /// Reads a v2 documents archive: no `bid.json` rule, and it may hold no file.
    pub fn documents(inner: R) -> Self {
        Self {
            bid_json_first: false,
            ..Self::new(inner)
        }
    }

    fn read_block(&mut self) -> Result<[u8; BLOCK_LEN], TarError> {
        let mut block = [0u8; BLOCK_LEN];
        if read_full(&mut self.inner, &mut block)? < BLOCK_LEN {
            return Err(TarError::Truncated);
        }
        Ok(block)
    }

    fn skip_rest(&mut self) -> Result<(), TarError> {
        let skipped = io::copy(&mut (&mut self.inner).take(self.remaining), &mut io::sink())?;
        if skipped < self.remaining {
            return Err(TarError::Truncated);
        }
        self.remaining = 0;
        let mut pad = [0u8; BLOCK_LEN];
        let pad = &mut pad[..self.pad];
        if read_full(&mut self.inner, pad)? < pad.len() {
            return Err(TarError::Truncated);
        }
        if pad.iter().any(|b| *b != 0) {
            return Err(TarError::UnexpectedData);
        }
        self.pad = 0;
        Ok(())
    }

    /// The next file's header, or `None` after the end-of-archive blocks (which must be the
    /// last bytes of the input).
    pub fn next_entry(&mut self) -> Result<Option<TarEntry>, TarError> {
        if self.finished {
            return Ok(None);
        }
        self.skip_rest()?;
        let h = self.read_block()?;
        if h.iter().all(|b| *b == 0) {
            let second = self.read_block()?;
            let mut probe = [0u8; 1];
            if second.iter().any(|b| *b != 0) || read_full(&mut self.inner, &mut probe)? != 0 {
                return Err(TarError::UnexpectedData);
            }
            if self.bid_json_first && self.names.is_empty() {
                return Err(TarError::BidJsonNotFirst);
            }
            self.finished = true;
            return Ok(None);
        }
        let stated = parse_octal(&h[148..156])?;
        let sum: u64 = h
            .iter()
            .enumerate()
            .map(|(i, b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u64::from(*b)
                }
            })
            .sum();
        if stated != sum {
            return Err(TarError::Checksum);
        }
        if &h[257..263] != b"ustar\0" || &h[263..265] != b"00" {
            return Err(TarError::BadHeader("not a POSIX ustar header"));
        }
        if h[156] != b'0' && h[156] != 0 {
            return Err(TarError::BadHeader("only regular files are allowed"));
        }
        if h[345..500].iter().any(|b| *b != 0) {
            return Err(TarError::BadHeader("name prefix is not allowed"));
        }
        let name_len = h[..MAX_NAME_LEN]
            .iter()
            .position(|b| *b == 0)
            .unwrap_or(MAX_NAME_LEN);
        let name = std::str::from_utf8(&h[..name_len])
            .map_err(|_| TarError::BadHeader("file name is not UTF-8"))?
            .to_owned();
        validate_name(&name)?;
        if self.bid_json_first && self.names.is_empty() && name != BID_JSON {
            return Err(TarError::BidJsonNotFirst);
        }
        if self.names.contains(&name) {
            return Err(TarError::DuplicateName(name));
        }
        let size = parse_octal(&h[124..136])?;
        self.remaining = size;
        self.pad = padding(size);
        self.names.push(name.clone());
        Ok(Some(TarEntry { name, size }))
    }
}

impl<R: Read> Read for TarReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let max = usize::try_from(self.remaining)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        if max == 0 {
            return Ok(0);
        }
        let n = self.inner.read(&mut buf[..max])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "tar entry truncated",
            ));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = TarWriter::new(Vec::new());
        for (name, data) in files {
            w.append(name, data.len() as u64, *data).unwrap();
        }
        w.finish().unwrap()
    }

    #[test]
    fn round_trip_and_exact_length() {
        let files: [(&str, &[u8]); 3] = [
            ("bid.json", br#"{"price_fen":"123456789"}"#),
            ("attachments/技术方案.pdf", &[7u8; 1000]),
            ("empty.txt", b""),
        ];
        let bytes = archive(&files);
        assert_eq!(
            bytes.len() as u64,
            archive_len(files.iter().map(|f| f.1.len() as u64))
        );
        let mut r = TarReader::new(&bytes[..]);
        for (name, data) in files {
            let e = r.next_entry().unwrap().unwrap();
            assert_eq!(e.name, name);
            let mut got = Vec::new();
            r.read_to_end(&mut got).unwrap();
            assert_eq!(got, data);
        }
        assert!(r.next_entry().unwrap().is_none());
    }

    #[test]
    fn refuses_dangerous_names_order_and_lengths() {
        for name in [
            "/etc/passwd",
            "../x",
            "a/../b",
            "a//b",
            "a\\b",
            "",
            "a/",
            &"x".repeat(101),
        ] {
            assert!(validate_name(name).is_err(), "{name:?}");
        }
        let mut w = TarWriter::new(Vec::new());
        assert!(matches!(
            w.append("x.pdf", 0, &b""[..]),
            Err(TarError::BidJsonNotFirst)
        ));
        w.append("bid.json", 2, &b"{}"[..]).unwrap();
        assert!(matches!(
            w.append("bid.json", 0, &b""[..]),
            Err(TarError::DuplicateName(_))
        ));
        assert!(matches!(
            w.append("a", 3, &b"ab"[..]),
            Err(TarError::LengthMismatch { .. })
        ));
        let mut w = TarWriter::new(Vec::new());
        w.append("bid.json", 2, &b"{}"[..]).unwrap();
        assert!(matches!(
            w.append("a", 1, &b"ab"[..]),
            Err(TarError::LengthMismatch { .. })
        ));
    }

    #[test]
    fn reader_rejects_corruption() {
        let good = archive(&[("bid.json", b"{}")]);
        let mut bad = good.clone();
        bad[0] = b'c';
        assert!(matches!(
            TarReader::new(&bad[..]).next_entry(),
            Err(TarError::Checksum)
        ));
        let mut trailing = good.clone();
        trailing.push(0);
        let mut r = TarReader::new(&trailing[..]);
        r.next_entry().unwrap();
        assert!(matches!(r.next_entry(), Err(TarError::UnexpectedData)));
        let truncated = &good[..good.len() - 1];
        let mut r = TarReader::new(truncated);
        r.next_entry().unwrap();
        assert!(matches!(r.next_entry(), Err(TarError::Truncated)));
    }
}
