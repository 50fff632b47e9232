//! Per-build namespaces of keychain entries (the keychain "service" name).

/// Which build's entries to use. Each maps to its own keychain service name, so builds
/// never share entries: a `cargo tauri dev` session cannot clobber the installed app's
/// refresh token, and tests never touch either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Namespace {
    /// Debug builds (`cargo tauri dev`): service `dev.cmekdesk.app.development`.
    Development,
    /// Automated tests: service `dev.cmekdesk.app.test`.
    Test,
    /// Release builds: service `dev.cmekdesk.app.release`.
    Release,
}

impl Namespace {
    /// The keychain service name of this namespace (`dev.cmekdesk.app.<build>`).
    pub fn service_name(self) -> &'static str {
        match self {
            Self::Development => "dev.cmekdesk.app.development",
            Self::Test => "dev.cmekdesk.app.test",
            Self::Release => "dev.cmekdesk.app.release",
        }
    }

    /// The sub-folder of the app data folder that holds this namespace's data (activity log,
    /// exports): `None` for `Release` (the installed app's data folder itself), `development`
    /// and `test` otherwise. The activity log is chained under its namespace's keychain key, so
    /// builds that shared one folder would each see the other's log as not trustworthy.
    pub fn data_subfolder(self) -> Option<&'static str> {
        match self {
            Self::Development => Some("development"),
            Self::Test => Some("test"),
            Self::Release => None,
        }
    }

    /// The namespace of the running build: `Development` with debug assertions, else `Release`.
    /// Tests pass [`Namespace::Test`] explicitly.
    pub fn for_this_build() -> Self {
        if cfg!(debug_assertions) {
            Self::Development
        } else {
            Self::Release
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_namespace_has_its_own_service_name() {
        let all = [Namespace::Development, Namespace::Test, Namespace::Release];
        let names: std::collections::HashSet<_> = all.iter().map(|n| n.service_name()).collect();
        assert_eq!(names.len(), all.len());
        assert!(names.iter().all(|n| n.starts_with("dev.cmekdesk.app.")));
    }

    #[test]
    fn only_release_keeps_its_data_in_the_app_data_folder_itself() {
        assert_eq!(Namespace::Release.data_subfolder(), None);
        let subs: std::collections::HashSet<_> = [Namespace::Development, Namespace::Test]
            .iter()
            .map(|n| n.data_subfolder().expect("a sub-folder"))
            .collect();
        assert_eq!(subs.len(), 2);
    }

    #[test]
    fn debug_test_builds_use_development() {
        assert_eq!(Namespace::for_this_build(), Namespace::Development);
    }
}
