//! `cmek login aws [--profile P | --access-keys]` and `cmek logout aws`: the AWS part of the
//! Desk's session. Access keys are read from stdin only (two lines: the access key id, then the
//! secret access key; never echoed on a terminal, never arguments, never printed), proven with
//! `GetCallerIdentity`, then kept in the OS keychain. Without `--access-keys` the SDK's standard
//! chain (environment, profile, SSO) is proven and nothing is stored.

use crate::cancel::interruptible;
use crate::exit::{invalid, Outcome, OK};
use crate::output::{Out, Tone};
use cmek_core::{Error, Secret};
use cmek_desk_core::wire::AwsStatus;
use cmek_desk_core::Desk;
use std::io::{BufRead, IsTerminal};

pub async fn login(desk: &Desk, profile: Option<String>, access_keys: bool, out: &Out) -> Outcome {
    let status = if access_keys {
        let (id, secret) = read_keys()?;
        interruptible(desk.save_aws_access_keys(id, secret)).await?
    } else {
        interruptible(desk.use_aws_default_chain(profile)).await?
    };
    print(&status, out);
    Ok(OK)
}

pub async fn logout(desk: &Desk, out: &Out) -> Outcome {
    let status = desk.forget_aws_access_keys().await?;
    print(&status, out);
    Ok(OK)
}

fn print(status: &AwsStatus, out: &Out) {
    if out.json {
        out.print_json(status);
    } else {
        print_line(Some(status), out);
    }
}

/// The `AWS:` line of `cmek login status`.
pub fn print_line(status: Option<&AwsStatus>, out: &Out) {
    match status {
        Some(AwsStatus {
            account: Some(a), ..
        }) => println!(
            "AWS:         {} (account {}, {:?})",
            out.paint(&a.arn, Tone::Good),
            a.account,
            a.method
        ),
        Some(AwsStatus { error: Some(e), .. }) => println!(
            "AWS:         {} ({})",
            out.paint("credentials refused", Tone::Bad),
            e.message
        ),
        Some(s) if s.access_keys_stored => println!("AWS:         access keys stored"),
        _ => println!(
            "AWS:         {}",
            out.paint("standard credential chain, not checked yet", Tone::Dim)
        ),
    }
}

fn read_line(prompt: &str) -> Result<String, Error> {
    if std::io::stdin().is_terminal() {
        eprint!("{prompt} (input hidden): ");
        return console::Term::stderr()
            .read_secure_line()
            .map_err(|e| Error::internal(format!("cannot read from the terminal: {e}")));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::internal(format!("cannot read stdin: {e}")))?;
    Ok(line)
}

/// Two lines from stdin: the access key id, then the secret access key.
fn read_keys() -> Result<(String, Secret), Error> {
    let id = read_line("AWS access key id")?.trim().to_owned();
    let secret = Secret::new(read_line("AWS secret access key")?.trim());
    if id.is_empty() || secret.is_empty() {
        return Err(invalid("stdin", "expected the access key id and the secret access key on two lines (e.g. `cmek login aws --access-keys < keys.txt`)"));
    }
    Ok((id, secret))
}
