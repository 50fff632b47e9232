//! A secret value (token, API key, client secret, PKCE verifier) that cannot leak by accident.
//!
//! [`Secret`] has a redacting `Debug` and `Display`, and deliberately implements neither
//! `Serialize` nor `Clone`-to-string helpers: the only way to read it is [`Secret::expose`],
//! which makes every use greppable. It can be deserialized (to read a key file or a token
//! response) but never serialized, so it can never cross IPC or land in a log or a file.

use std::fmt;

/// A secret string. `Debug`/`Display` print `[redacted]`; there is no `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Returns the secret for the one call that needs it (an `Authorization` header, the
    /// keychain write). Keep the returned `&str` short-lived.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("ya29.very-secret-token");
        assert_eq!(format!("{s:?}"), "Secret([redacted])");
        assert_eq!(format!("{s}"), "[redacted]");
        assert!(!format!("{s:?} {s} {s:#?}").contains("ya29"));
        assert_eq!(s.expose(), "ya29.very-secret-token");
    }

    #[test]
    fn structs_holding_a_secret_debug_print_redacted() {
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Creds {
            user: &'static str,
            token: Secret,
        }
        let c = Creds {
            user: "me",
            token: Secret::new("hunter2"),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    // Compile-time proof that Secret is not Serialize: this trait has a blanket impl for
    // every Serialize type and a fallback for all types; asking for the marker must pick the
    // fallback, which only happens when `Secret: !Serialize`.
    trait NotSerialize {
        const IS_SERIALIZE: bool = false;
    }
    impl<T> NotSerialize for T {}
    struct Probe<T>(std::marker::PhantomData<T>);
    impl<T: serde::Serialize> Probe<T> {
        #[allow(dead_code)]
        const IS_SERIALIZE: bool = true;
    }

    // Resolves to the inherent const (true) for Serialize types, else to the trait (false);
    // checked at compile time, so a `Serialize` impl on `Secret` breaks the build of the tests.
    const _: () = assert!(
        Probe::<String>::IS_SERIALIZE,
        "the probe detects Serialize types"
    );
    const _: () = assert!(
        !Probe::<Secret>::IS_SERIALIZE,
        "Secret must never be Serialize"
    );

    #[test]
    fn deserializes_from_a_plain_string() {
        let s: Secret = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(s.expose(), "abc");
    }
}
