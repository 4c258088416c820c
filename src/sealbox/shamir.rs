//! Shamir secret sharing of a 32-byte content key over GF(2^8) (polynomial 0x11B, share i at x = i).
//! Field arithmetic here never branches or indexes tables on secret bytes, and never keeps a
//! coefficient after returning.

use ring::rand::SecureRandom;
use std::fmt;
use zeroize::{Zeroize, Zeroizing};

/// Length of the shared secret (the envelope's content key).
pub const SECRET_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShamirError {
    #[error("threshold {k} and share count {n} must satisfy 1 <= k <= n <= 255")]
    BadThreshold { n: usize, k: usize },
    #[error("no shares to combine")]
    NoShares,
    #[error("share x = {0} is not a valid share position")]
    BadPosition(u8),
    #[error("two shares have the same position x = {0}")]
    DuplicatePosition(u8),
    #[error("coefficient source gave {got} bytes where {want} were needed")]
    ShortCoefficients { want: usize, got: usize },
    #[error("the random number generator failed")]
    Randomness,
}

/// One share: the polynomials' values at `x` for every byte of the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Share {
    pub x: u8,
    pub y: [u8; SECRET_LEN],
}

impl Drop for Share {
    fn drop(&mut self) {
        self.y.zeroize();
    }
}

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Share {{ x: {}, y: [redacted] }}", self.x)
    }
}

/// Where the random polynomial coefficients come from. Production uses the system RNG; test
/// vectors feed fixed bytes so that other implementations can reproduce every share.
pub trait CoefficientSource {
    /// Fills `out` with `SECRET_LEN * (k - 1)` bytes laid out byte by byte of the secret:
    /// for secret byte j, the coefficients of degree 1, 2, …, k−1 in that order.
    fn fill(&mut self, out: &mut [u8]) -> Result<(), ShamirError>;
}

/// Coefficients uniformly random over the whole field, zero included.
pub struct RandomCoefficients<'a>(pub &'a dyn SecureRandom);

impl CoefficientSource for RandomCoefficients<'_> {
    fn fill(&mut self, out: &mut [u8]) -> Result<(), ShamirError> {
        self.0.fill(out).map_err(|_| ShamirError::Randomness)
    }
}

/// Fixed coefficients, for test vectors: exactly the bytes the split needs, in `fill`'s layout.
pub struct FixedCoefficients<'a>(pub &'a [u8]);

impl CoefficientSource for FixedCoefficients<'_> {
    fn fill(&mut self, out: &mut [u8]) -> Result<(), ShamirError> {
        if self.0.len() != out.len() {
            return Err(ShamirError::ShortCoefficients {
                want: out.len(),
                got: self.0.len(),
            });
        }
        out.copy_from_slice(self.0);
        Ok(())
    }
}

/// Multiplication in GF(2^8) mod x^8+x^4+x^3+x+1, by shift-and-add with masks instead of branches
/// or log tables, so timing does not depend on the (secret) operands.
pub(crate) fn gf_mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0u8;
    for _ in 0..8 {
        product ^= a & 0u8.wrapping_sub(b & 1);
        let carry = 0u8.wrapping_sub(a >> 7);
        a = (a << 1) ^ (0x1b & carry);
        b >>= 1;
    }
    product
}

/// Inverse as a^254 (a^255 = 1 for a ≠ 0); maps 0 to 0, which callers exclude.
pub(crate) fn gf_inv(a: u8) -> u8 {
    let mut result = 1u8;
    let mut base = a;
    let mut exp = 254u8;
    while exp > 0 {
        if exp & 1 == 1 {
            result = gf_mul(result, base);
        }
        base = gf_mul(base, base);
        exp >>= 1;
    }
    result
}

/// Splits `secret` into `n` shares at x = 1..=n, any `k` of which rebuild it.
pub fn split(
    secret: &[u8; SECRET_LEN],
    n: u8,
    k: u8,
    coefficients: &mut dyn CoefficientSource,
) -> Result<Vec<Share>, ShamirError> {
    if k == 0 || k > n {
        return Err(ShamirError::BadThreshold {
            n: n.into(),
            k: k.into(),
        });
    }
    let degree = usize::from(k) - 1;
    let mut coeffs = Zeroizing::new(vec![0u8; SECRET_LEN * degree]);
    coefficients.fill(&mut coeffs)?;

    let mut shares = Vec::with_capacity(n.into());
    for x in 1..=n {
        let mut share = Share {
            x,
            y: [0u8; SECRET_LEN],
        };
        for (j, s) in secret.iter().enumerate() {
            // Horner from the highest degree down: ((c_d·x + c_{d−1})·x + … + c_1)·x + secret.
            let row = &coeffs[j * degree..(j + 1) * degree];
            let mut acc = 0u8;
            for c in row.iter().rev() {
                acc = gf_mul(acc, x) ^ c;
            }
            share.y[j] = gf_mul(acc, x) ^ s;
        }
        shares.push(share);
    }
    Ok(shares)
}

/// Interpolates at x = 0 through every given share. With shares of one polynomial of degree
/// k−1, any k or more give the secret; fewer give an unrelated value, which is why the envelope
/// checks a MAC afterwards rather than trusting this result.
pub fn combine(shares: &[Share]) -> Result<[u8; SECRET_LEN], ShamirError> {
    if shares.is_empty() {
        return Err(ShamirError::NoShares);
    }
    for (i, s) in shares.iter().enumerate() {
        if s.x == 0 {
            return Err(ShamirError::BadPosition(0));
        }
        if shares[..i].iter().any(|t| t.x == s.x) {
            return Err(ShamirError::DuplicatePosition(s.x));
        }
    }
    let mut secret = [0u8; SECRET_LEN];
    for (i, si) in shares.iter().enumerate() {
        // Lagrange basis at 0: Π_{j≠i} x_j / (x_j − x_i); subtraction is XOR in GF(2^8).
        // The positions are public, so branching on them is fine.
        let mut num = 1u8;
        let mut den = 1u8;
        for (j, sj) in shares.iter().enumerate() {
            if i != j {
                num = gf_mul(num, sj.x);
                den = gf_mul(den, sj.x ^ si.x);
            }
        }
        let basis = gf_mul(num, gf_inv(den));
        for (out, y) in secret.iter_mut().zip(si.y.iter()) {
            *out ^= gf_mul(basis, *y);
        }
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_inverse_is_inverse_for_every_nonzero_element() {
        for a in 1..=255u8 {
            assert_eq!(gf_mul(a, gf_inv(a)), 1, "a = {a:#04x}");
        }
    }

    #[test]
    fn multiplication_matches_the_aes_field() {
        // FIPS-197 §4.2: {57}·{83} = {c1}, {57}·{13} = {fe}.
        assert_eq!(gf_mul(0x57, 0x83), 0xc1);
        assert_eq!(gf_mul(0x57, 0x13), 0xfe);
    }

    #[test]
    fn rejects_bad_thresholds_and_duplicate_positions() {
        let secret = [7u8; 32];
        let mut none = FixedCoefficients(&[]);
        assert!(split(&secret, 3, 0, &mut none).is_err());
        assert!(split(&secret, 3, 4, &mut none).is_err());
        let shares = split(&secret, 3, 1, &mut none).unwrap();
        assert_eq!(combine(&shares[..1]).unwrap(), secret);
        let dup = [shares[0].clone(), shares[0].clone()];
        assert_eq!(combine(&dup), Err(ShamirError::DuplicatePosition(1)));
        assert_eq!(combine(&[]), Err(ShamirError::NoShares));
    }
}
