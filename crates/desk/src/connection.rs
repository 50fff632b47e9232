//! Leaving a connection (Disconnect / Switch connection) and opening the CockroachDB
//! documentation the screens cite in the system browser.
//!
//! Disconnecting forgets the current connection (sandbox or live) without touching the
//! credentials in the keychain, so the officer can pick another connection on Connect; an
//! operation already running keeps its own handle on the old connection and finishes.

use crate::Desk;
use cmek_core::{Error, ErrorCode, Result};

/// The only pages [`Desk::open_docs`] opens: CockroachDB's own documentation.
pub const DOCS_PREFIX: &str = "https://www.cockroachlabs.com/docs/";

impl Desk {
    /// Forgets the current connection (no-op when none) and records it in the activity log;
    /// every use case then answers `UNAUTHENTICATED` ("Not connected") until the next connect.
    /// The Google sign-in and the API key stay in the keychain.
    pub async fn disconnect(&self) {
        let previous = self.connection.write().await.take();
        self.leave_sandbox_aws().await;
        if let Some(connection) = previous {
            let info = &connection.info;
            self.activity.record(
                &info.google_identity,
                "disconnect",
                &info.organization.id,
                "Disconnected",
                &(),
            );
        }
    }

    /// Opens `url` in the system browser. Errors: `INVALID_INPUT` when the link is not a page
    /// of the CockroachDB documentation (`DOCS_PREFIX`); `INTERNAL` with the reason when no
    /// browser could be opened (the window then shows the link to copy).
    pub fn open_docs(&self, url: &str) -> Result<()> {
        let safe = url.starts_with(DOCS_PREFIX)
            && url
                .chars()
                .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '<' | '>' | '\\'));
        if !safe {
            return Err(Error::new(
                ErrorCode::InvalidInput,
                format!("Link: only pages under {DOCS_PREFIX} are opened from the app."),
            ));
        }
        self.session
            .open_in_browser(url)
            .map_err(|reason| Error::new(ErrorCode::Internal, reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{Keychain, Session};
    use crate::settings::Settings;
    use cmek_keychain::InMemoryStore;
    use std::sync::{Arc, Mutex};

    struct Recorder(Arc<Mutex<Vec<String>>>);
    impl cmek_auth::BrowserOpener for Recorder {
        fn open(&self, url: &str) -> std::result::Result<(), String> {
            self.0.lock().unwrap().push(url.to_string());
            Ok(())
        }
    }

    fn desk(dir: &std::path::Path) -> (Desk, Arc<Mutex<Vec<String>>>) {
        let settings = Settings::from_pairs([("CMEK_DESK_DATA_DIR", dir.display().to_string())]);
        let session = Session::new(
            settings,
            Keychain::Given(Arc::new(InMemoryStore::default())),
        );
        let opened = Arc::new(Mutex::new(Vec::new()));
        session.set_opener(Arc::new(Recorder(opened.clone())));
        (Desk::new(session), opened)
    }

    #[test]
    fn opens_only_cockroachdb_docs() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (desk, opened) = desk(dir.path());
        let page = "https://www.cockroachlabs.com/docs/cockroachcloud/cmek";
        desk.open_docs(page).expect("a docs page opens");
        for bad in [
            "https://evil.example/docs/",
            "http://www.cockroachlabs.com/docs/x",
            "https://www.cockroachlabs.com.evil.example/docs/",
            "https://www.cockroachlabs.com/docs/a b",
            "file:///etc/passwd",
        ] {
            let e = desk.open_docs(bad).expect_err(bad);
            assert_eq!(e.code, ErrorCode::InvalidInput, "{bad}");
            assert!(e.message.starts_with("Link:"), "{}", e.message);
        }
        assert_eq!(*opened.lock().unwrap(), vec![page.to_string()]);
    }

    #[tokio::test]
    async fn disconnect_forgets_the_sandbox_connection() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (desk, _) = desk(dir.path());
        desk.connect_sandbox().await.expect("sandbox");
        assert!(desk.connection().await.is_ok());
        desk.disconnect().await;
        let e = desk.connection().await.err().expect("not connected");
        assert_eq!(e.code, ErrorCode::Unauthenticated);
        desk.connect_sandbox().await.expect("reconnect");
        assert!(desk.list_clusters().await.is_ok());
    }
}
