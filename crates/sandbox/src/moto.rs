//! Test support: moto in server mode (PyPI `moto[server]`, pinned [`MOTO_VERSION`], installed
//! by `scripts/lib.sh ensure_moto`), the AWS reference the sandbox's AWS fake and the AWS
//! flows are held to. Started on a free loopback port; never used by the app itself.
//!
//! Missing moto is a test FAILURE naming the install command, unless
//! [`ALLOW_MISSING_ENV`]`=1` (then the caller is told to skip, and says so on stderr). The
//! process is stopped when its [`Moto`] is dropped, and in any case when the test process
//! exits: moto reads its stdin, which only the test process holds, and exits at end of file,
//! so a shared instance ([`shared`], one per test binary) never outlives its tests.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The pinned moto version (scripts/lib.sh `MOTO_VERSION`).
pub const MOTO_VERSION: &str = "5.2.1";
/// Set to `1` to let moto tests pass without moto installed (they print that they skipped).
pub const ALLOW_MISSING_ENV: &str = "CMEK_DESK_ALLOW_MISSING";
/// What to run when moto is missing.
pub const INSTALL_HINT: &str = "python3 -m pip install 'moto[server]==5.2.1' (or `. scripts/lib.sh && ensure_moto`; scripts/test.sh does it)";

/// moto's server started with a watchdog thread that ends the process when stdin closes.
const LAUNCH: &str = "import sys, os, threading\nthreading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()\nfrom moto.server import main\nmain(sys.argv[1:])";

/// A running moto server (account fixed at start through `MOTO_ACCOUNT_ID`).
pub struct Moto {
    child: Mutex<Child>,
    /// Held open: moto exits when it closes (end of the test process or drop).
    _stdin: Mutex<Option<ChildStdin>>,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The account every call acts in.
    pub account: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Ok(mut s) = self._stdin.lock() {
            drop(s.take());
        }
        if let Ok(mut c) = self.child.lock() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Whether `python3` can import moto's server.
pub fn installed() -> bool {
    Command::new("python3")
        .args(["-c", "import moto.server, flask, flask_cors"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Starts a fresh moto acting as `account`. `Ok(None)` only when moto is missing and
/// [`ALLOW_MISSING_ENV`]`=1`; `Err` (with [`INSTALL_HINT`]) when it is missing otherwise or
/// does not listen within 60 s.
pub fn start(account: &str) -> Result<Option<Moto>, String> {
    if !installed() {
        if std::env::var(ALLOW_MISSING_ENV).as_deref() == Ok("1") {
            eprintln!("{ALLOW_MISSING_ENV}=1 and moto is missing: this moto test is SKIPPED");
            return Ok(None);
        }
        return Err(format!(
            "moto is not installed: {INSTALL_HINT}; or set {ALLOW_MISSING_ENV}=1 to skip"
        ));
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let mut child = Command::new("python3")
        .args(["-c", LAUNCH, "-H", "127.0.0.1", "-p", &port.to_string()])
        .env("MOTO_ACCOUNT_ID", account)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start python3 -m moto.server: {e}"))?;
    let stdin = child.stdin.take();
    let moto = Moto {
        child: Mutex::new(child),
        _stdin: Mutex::new(stdin),
        endpoint: format!("http://127.0.0.1:{port}"),
        account: account.to_owned(),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("moto did not listen within 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(Some(moto))
}

/// [`start`], failing the test on `Err`.
pub fn start_or_fail(account: &str) -> Option<Moto> {
    start(account).unwrap_or_else(|e| panic!("{e}"))
}

/// One moto for the whole test process (the first caller's `account`; a later caller asking
/// for another account fails). Tests sharing it must use resource names of their own.
/// `None` only when moto is missing and [`ALLOW_MISSING_ENV`]`=1`.
pub fn shared(account: &str) -> Option<&'static Moto> {
    static MOTO: OnceLock<Option<Moto>> = OnceLock::new();
    let m = MOTO.get_or_init(|| start_or_fail(account)).as_ref();
    if let Some(m) = m {
        assert_eq!(
            m.account, account,
            "the shared moto acts as account {}",
            m.account
        );
    }
    m
}
