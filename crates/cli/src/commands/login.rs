//! `cmek login google|cockroach|status` and `cmek logout`: the Desk's session, so the refresh
//! token and the API key land in (and are removed from) the same OS keychain entries the
//! desktop app uses. The API key is read from stdin only (one line; never echoed on a
//! terminal, never an argument, never printed).

use crate::args::{Login, LogoutWhich};
use crate::cancel::interruptible;
use crate::exit::{invalid, Outcome, CANCELLED, OK};
use crate::output::{Out, Tone};
use cmek_core::{Error, Secret};
use cmek_desk_core::wire::{SessionStatus, SignInEvent};
use cmek_desk_core::Desk;
use std::io::{BufRead, IsTerminal};
use std::sync::Arc;

pub async fn run(desk: &Desk, login: Login, out: &Out) -> Outcome {
    match login {
        Login::Google { no_browser } => google(desk, no_browser, out).await,
        Login::Cockroach => cockroach(desk, out).await,
        Login::Aws {
            profile,
            access_keys,
        } => super::login_aws::login(desk, profile, access_keys, out).await,
        Login::Status => {
            let status = desk.session_status().await;
            print_status(&status, out);
            Ok(OK)
        }
    }
}

async fn google(desk: &Desk, no_browser: bool, out: &Out) -> Outcome {
    if !no_browser {
        desk.session().set_opener(Arc::new(SystemBrowser));
    }
    let json = out.json;
    let on_event = move |event: SignInEvent| {
        let SignInEvent::Waiting {
            authorization_url,
            browser_error,
        } = event;
        if no_browser && !json {
            eprintln!("Open this link in a browser to sign in (waiting up to 5 minutes):");
            println!("{authorization_url}");
        } else {
            match browser_error {
                Some(why) if !no_browser => eprintln!(
                    "Could not open a browser ({why}). Open this link to sign in:\n  {authorization_url}"
                ),
                _ => eprintln!(
                    "Sign in in your browser (waiting up to 5 minutes). If it did not open, visit:\n  {authorization_url}"
                ),
            }
        }
    };
    let result = tokio::select! {
        r = desk.sign_in_google(on_event) => r,
        _ = tokio::signal::ctrl_c() => {
            desk.cancel_sign_in();
            eprintln!("\nsign-in cancelled");
            return Ok(CANCELLED);
        }
    };
    let status = result?;
    print_status(&status, out);
    Ok(OK)
}

async fn cockroach(desk: &Desk, out: &Out) -> Outcome {
    let key = read_key()?;
    let status = interruptible(desk.save_cockroach_key(key)).await?;
    print_status(&status, out);
    Ok(OK)
}

/// One line from stdin; on a terminal, prompted on stderr and read without echo.
fn read_key() -> Result<Secret, Error> {
    let line = if std::io::stdin().is_terminal() {
        eprint!("CockroachDB Cloud API key (input hidden): ");
        console::Term::stderr()
            .read_secure_line()
            .map_err(|e| Error::internal(format!("cannot read the key from the terminal: {e}")))?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Error::internal(format!("cannot read the key from stdin: {e}")))?;
        line
    };
    let key = line.trim();
    if key.is_empty() {
        return Err(invalid(
            "stdin",
            "expected the CockroachDB Cloud API key on one line (e.g. `cmek login cockroach < key.txt`)",
        ));
    }
    Ok(Secret::new(key))
}

pub async fn logout(desk: &Desk, which: Option<LogoutWhich>, out: &Out) -> Outcome {
    if which == Some(LogoutWhich::Aws) {
        return super::login_aws::logout(desk, out).await;
    }
    let google = which.is_none_or(|w| w == LogoutWhich::Google);
    let cockroach = which.is_none_or(|w| w == LogoutWhich::Cockroach);
    let mut status = None;
    if google {
        status = Some(desk.sign_out().await?);
    }
    if cockroach {
        status = Some(desk.forget_cockroach_key().await?);
    }
    if let Some(status) = status {
        print_status(&status, out);
    }
    Ok(OK)
}

/// The session as JSON (`SessionStatus`, no secret in it) or as lines for people.
fn print_status(status: &SessionStatus, out: &Out) {
    if out.json {
        out.print_json(status);
        return;
    }
    match &status.google {
        Some(g) => println!(
            "Google:      {} ({:?})",
            out.paint(&g.identity, Tone::Good),
            g.method
        ),
        None => println!("Google:      {}", out.paint("not signed in", Tone::Dim)),
    }
    match (&status.cockroach_organization, &status.cockroach_key_error) {
        (Some(org), _) => println!(
            "CockroachDB: {} ({})",
            out.paint(&org.name, Tone::Good),
            org.id
        ),
        (None, Some(e)) => println!(
            "CockroachDB: {} ({})",
            out.paint("stored key refused", Tone::Bad),
            e.message
        ),
        (None, None) if status.cockroach_key_stored => println!("CockroachDB: API key stored"),
        (None, None) => println!("CockroachDB: {}", out.paint("no API key stored", Tone::Dim)),
    }
    super::login_aws::print_line(status.aws.as_ref(), out);
    for e in [&status.keychain_error, &status.problem]
        .into_iter()
        .flatten()
    {
        println!("{} {}", out.paint("Problem:", Tone::Bad), e.message);
    }
    if let (None, Some(e)) = (&status.google, &status.oauth_config_error) {
        println!("{} {}", out.paint("Note:", Tone::Warn), e.message);
    }
}

/// Opens the system browser: `xdg-open` (Linux, BSD), `open` (macOS), the URL handler (Windows).
struct SystemBrowser;

impl cmek_auth::BrowserOpener for SystemBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        let mut command = if cfg!(target_os = "macos") {
            std::process::Command::new("open")
        } else if cfg!(windows) {
            let mut c = std::process::Command::new("rundll32");
            c.arg("url.dll,FileProtocolHandler");
            c
        } else {
            std::process::Command::new("xdg-open")
        };
        command
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map(drop)
            .map_err(|e| format!("could not start the browser opener: {e}"))
    }
}
