//! Unicode normal forms and character classes, for the input rules in `validation`.
//!
//! Text that looks the same must be the same: `é` typed as one code point or as `e` plus
//! a combining accent is one email address; a password typed on a phone that produces
//! compatibility characters (`ﬁ`, full-width letters) is the password typed elsewhere.
//!
//! The server uses the `unicode-normalization` and `unicode-properties` crates. The
//! browser build asks the browser instead (`String.prototype.normalize`, a `\p{Cf}`
//! regular expression), so the WASM bundle carries no Unicode tables. Both follow the
//! Unicode standard; should their versions differ on a newly assigned character, the
//! server — which enforces — decides.

/// Canonical composition (NFC): the form emails and usernames are stored in.
pub fn nfc(text: &str) -> String {
    imp::nfc(text)
}

/// Compatibility composition (NFKC): the form passwords are checked and hashed in
/// (NIST SP 800-63B §5.1.1.2).
pub fn nfkc(text: &str) -> String {
    imp::nfkc(text)
}

/// Does `text` hold a format character (Unicode category Cf): bidirectional overrides,
/// zero-width spaces and joiners, soft hyphens — invisible, and used to make one name
/// look like another?
pub fn has_format_characters(text: &str) -> bool {
    imp::has_format_characters(text)
}

#[cfg(feature = "ssr")]
mod imp {
    use unicode_normalization::UnicodeNormalization;
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

    pub fn nfc(text: &str) -> String {
        text.nfc().collect()
    }

    pub fn nfkc(text: &str) -> String {
        text.nfkc().collect()
    }

    pub fn has_format_characters(text: &str) -> bool {
        text.chars().any(|c| c.general_category() == GeneralCategory::Format)
    }
}

#[cfg(not(feature = "ssr"))]
mod imp {
    use js_sys::{JsString, RegExp};

    fn normalize(text: &str, form: &str) -> String {
        JsString::from(text).normalize(form).into()
    }

    pub fn nfc(text: &str) -> String {
        normalize(text, "NFC")
    }

    pub fn nfkc(text: &str) -> String {
        normalize(text, "NFKC")
    }

    pub fn has_format_characters(text: &str) -> bool {
        RegExp::new(r"\p{Cf}", "u").test(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composed_and_decomposed_are_one_text() {
        assert_eq!(nfc("Jose\u{301}"), "Jos\u{e9}");
        assert_eq!(nfc("Jos\u{e9}"), "Jos\u{e9}");
    }

    #[test]
    fn compatibility_characters_fold_for_passwords_only() {
        assert_eq!(nfkc("\u{fb01}nal"), "final");
        assert_eq!(nfkc("\u{ff50}\u{ff41}\u{ff53}\u{ff53}"), "pass");
        assert_eq!(nfc("\u{fb01}nal"), "\u{fb01}nal");
    }

    #[test]
    fn format_characters_are_found() {
        for sneaky in [
            "ad\u{200b}min",
            "\u{202e}nimda",
            "a\u{200d}b",
            "soft\u{ad}hyphen",
            "\u{feff}bom",
            "\u{2066}x",
        ] {
            assert!(has_format_characters(sneaky), "{sneaky:?}");
        }
        for fine in ["admin", "Jos\u{e9}", "日本語", "🦀 crab"] {
            assert!(!has_format_characters(fine), "{fine:?}");
        }
    }
}
