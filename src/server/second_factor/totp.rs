//! Authenticator-app codes (RFC 6238) and recovery codes: the arithmetic, with no storage.
//!
//! The codes are what every authenticator app computes by default: HMAC-SHA1 over the
//! 30-second time step, 6 digits, from a 160-bit seed (RFC 4226's recommendation). A code
//! is accepted for the current step or one step either side (a phone's clock may be off by
//! a little, and a code typed at the end of its step arrives in the next one), and only for
//! a step later than the last one accepted for the account — so no code works twice.
//!
//! Recovery codes are 16 characters of Crockford's base32 (80 random bits), shown as
//! `xxxx-xxxx-xxxx-xxxx`; only their SHA-256 is stored (80 bits cannot be guessed from a
//! hash). What a person types is read forgivingly: case, dashes and spaces do not matter,
//! and `i`/`l` count as `1`, `o` as `0`.

use qrcode::QrCode;
use qrcode::render::svg;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, TOTP};

/// The time step, in seconds.
pub const STEP_SECS: i64 = 30;
const DIGITS: usize = 6;
const SEED_BYTES: usize = 20;
/// The name apps show above the codes.
pub const ISSUER: &str = "AuthKit";
/// How many recovery codes a set has.
pub const RECOVERY_CODES: usize = 10;
const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const RECOVERY_LEN: usize = 16;

/// A fresh random seed.
pub fn new_seed() -> Vec<u8> {
    rand::random::<[u8; SEED_BYTES]>().to_vec()
}

fn totp(seed: &[u8], account: &str) -> TOTP {
    // `new_unchecked`: the seed is ours (160 bits), and an address with a ':' in it (a
    // quoted local part) is still a valid label once the URI encodes it.
    TOTP::new_unchecked(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP_SECS as u64,
        seed.to_vec(),
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
}

/// What a person needs to add the account to an app.
pub struct Enrolment {
    /// The seed in base32, without padding: for typing in by hand.
    pub secret: String,
    /// `otpauth://totp/AuthKit:<address>?secret=…&issuer=AuthKit`.
    pub uri: String,
    /// The URI as a QR code: an `<svg>` element, drawn here (no other service sees the seed).
    pub qr_svg: String,
}

pub fn enrolment(seed: &[u8], account: &str) -> Enrolment {
    let totp = totp(seed, account);
    let uri = totp.get_url();
    let qr_svg = QrCode::new(uri.as_bytes())
        .map(|code| {
            code.render::<svg::Color>()
                .min_dimensions(200, 200)
                .dark_color(svg::Color("#000000"))
                .light_color(svg::Color("#ffffff"))
                .build()
        })
        .unwrap_or_default();
    // The renderer starts with an XML declaration, which has no place inside HTML.
    let qr_svg = match qr_svg.find("<svg") {
        Some(start) => qr_svg[start..].to_owned(),
        None => String::new(),
    };
    Enrolment {
        secret: totp.get_secret_base32(),
        uri,
        qr_svg,
    }
}

/// The time step `now` (Unix seconds) falls in.
pub fn step_at(now: i64) -> i64 {
    now.div_euclid(STEP_SECS)
}

/// The code of `step` (what an app shows during it).
pub fn code_at_step(seed: &[u8], step: i64) -> String {
    totp(seed, "").generate(step.max(0) as u64 * STEP_SECS as u64)
}

/// `code` without the spaces people type in the middle ("123 456"), if it then has the
/// shape of a code: six ASCII digits.
pub fn code_shape(code: &str) -> Option<String> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == DIGITS && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// The step `code` was made for, if it is right for one of `now`'s step and its
/// neighbours and that step is later than `after` (the last step accepted).
pub fn accepted_step(seed: &[u8], code: &str, now: i64, after: i64) -> Option<i64> {
    let code = code_shape(code)?;
    let current = step_at(now);
    (current - 1..=current + 1)
        .filter(|step| *step > after)
        .find(|step| constant_time_eq::constant_time_eq(code_at_step(seed, *step).as_bytes(), code.as_bytes()))
}

/// A fresh set of recovery codes, as shown to the person (`xxxx-xxxx-xxxx-xxxx`).
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: Vec<u8> = (0..RECOVERY_LEN)
                .map(|_| RECOVERY_ALPHABET[usize::from(rand::random::<u8>() & 31)])
                .collect();
            chars
                .chunks(4)
                .map(|group| String::from_utf8_lossy(group).into_owned())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// What is stored of a recovery code: the SHA-256 of its canonical form, or `None` when
/// what was typed cannot be one.
pub fn recovery_code_hash(typed: &str) -> Option<String> {
    let mut canonical = String::with_capacity(RECOVERY_LEN);
    for c in typed.chars() {
        let c = match c.to_ascii_lowercase() {
            '-' | ' ' => continue,
            'i' | 'l' => '1',
            'o' => '0',
            c if c.is_ascii() && RECOVERY_ALPHABET.contains(&(c as u8)) => c,
            _ => return None,
        };
        canonical.push(c);
    }
    (canonical.len() == RECOVERY_LEN).then(|| hex::encode(Sha256::digest(canonical.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 seed and its 8-digit values, of which a 6-digit code is
    /// the last six digits.
    #[test]
    fn codes_match_rfc_6238s_test_vectors() {
        let seed = b"12345678901234567890";
        for (time, eight_digits) in [
            (59, "94287082"),
            (1111111109, "07081804"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
        ] {
            assert_eq!(code_at_step(seed, step_at(time)), eight_digits[2..], "at {time}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_never_for_a_step_already_used() {
        let seed = new_seed();
        let now = 1_800_000_015;
        let step = step_at(now);
        for offset in [-1, 0, 1] {
            let code = code_at_step(&seed, step + offset);
            assert_eq!(
                accepted_step(&seed, &code, now, 0),
                Some(step + offset),
                "offset {offset}"
            );
        }
        for offset in [-2, 2] {
            let code = code_at_step(&seed, step + offset);
            assert_eq!(accepted_step(&seed, &code, now, 0), None, "offset {offset}");
        }
        let code = code_at_step(&seed, step);
        assert_eq!(accepted_step(&seed, &code, now, step), None, "replayed");
        assert_eq!(accepted_step(&seed, &code, now, step - 1), Some(step));
        // A later step's code is still accepted after an earlier one was used.
        let next = code_at_step(&seed, step + 1);
        assert_eq!(accepted_step(&seed, &next, now, step), Some(step + 1));
    }

    #[test]
    fn only_six_digits_are_a_code() {
        assert_eq!(code_shape(" 123 456 ").as_deref(), Some("123456"));
        for bad in ["12345", "1234567", "12345a", "١٢٣٤٥٦", ""] {
            assert_eq!(code_shape(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_enrolment_names_the_account_and_draws_an_svg() {
        let seed = new_seed();
        let enrolment = enrolment(&seed, "ada@example.com");
        assert_eq!(enrolment.secret.len(), 32);
        assert!(
            enrolment
                .uri
                .starts_with("otpauth://totp/AuthKit:ada%40example.com?secret="),
            "{}",
            enrolment.uri
        );
        assert!(enrolment.uri.contains(&format!("secret={}", enrolment.secret)));
        assert!(enrolment.uri.ends_with("&issuer=AuthKit"), "{}", enrolment.uri);
        assert!(enrolment.qr_svg.starts_with("<svg"), "{}", &enrolment.qr_svg[..40]);
    }

    #[test]
    fn recovery_codes_are_distinct_and_read_forgivingly() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let hashes: std::collections::HashSet<_> = codes.iter().map(|c| recovery_code_hash(c).unwrap()).collect();
        assert_eq!(hashes.len(), RECOVERY_CODES);
        let code = "0123-4567-89ab-cdef";
        let hash = recovery_code_hash(code);
        assert!(hash.is_some());
        assert_eq!(recovery_code_hash("0123 4567 89AB CDEF"), hash);
        assert_eq!(recovery_code_hash("o123456789abcdef"), hash, "o is 0");
        assert_ne!(recovery_code_hash("0123-4567-89ab-cdee"), hash);
        for bad in [
            "0123-4567-89ab-cde",
            "0123-4567-89ab-cdeff",
            "0123-4567-89ab-cdeu",
            "123456",
            "",
        ] {
            assert_eq!(recovery_code_hash(bad), None, "{bad}");
        }
    }
}
