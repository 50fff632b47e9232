//! Property tests of the grammar (issue 13, hostile input): random and malformed arguments to
//! every subcommand. Parsing never panics; a refusal is a clap error whose message names the
//! argument, and a value one of our parsers refuses is refused with our rule; an accepted value
//! passed the same `cmek_core::input` rule. (Running the commands is the CLI tests' job.)

use super::Cli;
use clap::{CommandFactory, Parser};
use proptest::prelude::*;

/// Every subcommand path of the grammar (`["drift", "fix"]`, …), read from clap itself so a new
/// subcommand is fuzzed without touching this file.
fn subcommand_paths() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
        for sub in cmd.get_subcommands() {
            let mut path = prefix.to_vec();
            path.push(sub.get_name().to_owned());
            out.push(path.clone());
            walk(sub, &path, out);
        }
    }
    let mut out = Vec::new();
    walk(&Cli::command(), &[], &mut out);
    out
}

/// The long flags of the subcommand at `path` (and the global ones).
fn flags(path: &[String]) -> Vec<String> {
    let mut cmd = Cli::command();
    for name in path {
        cmd = cmd.find_subcommand(name).expect("subcommand").clone();
    }
    let mut out: Vec<String> = cmd
        .get_arguments()
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect();
    out.extend(["--json".into(), "--sandbox".into()]);
    out
}

fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,30}",
        "[a-z0-9-]{1,70}",
        "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
        "drift-[0-9a-f]{14,18}",
        "[a-z]{2}-[a-z]{3,9}-[0-9]{1,3}",
        "-?[0-9]{1,12}d?",
        Just("a\u{7}b".to_owned()),
        Just("../../x\ny".to_owned()),
        Just(String::new()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn random_arguments_to_every_subcommand_parse_or_are_refused_by_name(
        which in any::<prop::sample::Index>(),
        picks in prop::collection::vec((any::<prop::sample::Index>(), any::<bool>(), hostile()), 0..6),
    ) {
        let paths = subcommand_paths();
        let path = which.get(&paths);
        let flags = flags(path);
        let mut argv: Vec<String> = vec!["cmek".into()];
        argv.extend(path.iter().cloned());
        for (flag, positional, value) in &picks {
            if !*positional {
                argv.push(flag.get(&flags).clone());
            }
            argv.push(value.clone());
        }
        match Cli::try_parse_from(&argv) {
            Ok(_) => {}
            Err(e) => {
                let text = e.to_string();
                prop_assert!(!text.is_empty());
                prop_assert!(!text.contains("panicked"), "{argv:?}: {text}");
                // A value refused by one of our parsers names the argument and states the rule.
                if e.kind() == clap::error::ErrorKind::ValueValidation {
                    prop_assert!(text.contains("invalid value"), "{argv:?}: {text}");
                    prop_assert!(text.contains("for '"), "{argv:?}: the argument is not named: {text}");
                }
            }
        }
    }
}

#[test]
fn every_subcommand_is_reached() {
    let paths = subcommand_paths();
    for expected in [
        vec!["plan"],
        vec!["revoke"],
        vec!["drift", "fix"],
        vec!["audit"],
        vec!["recover"],
    ] {
        assert!(
            paths.iter().any(|p| p == &expected),
            "{expected:?} in {paths:?}"
        );
    }
}

#[test]
fn hostile_values_are_refused_with_our_rule() {
    for (argv, rule) in [
        (vec!["cmek", "recover", "op-1"], "UUID"),
        (vec!["cmek", "status", "a\u{7}b"], "control characters"),
        (vec!["cmek", "plan", "c", "--out", "a\nb"], "line breaks"),
        (
            vec!["cmek", "drift", "fix", "drift-xyz", "--confirm", "k"],
            "16 hex digits",
        ),
        (
            vec![
                "cmek",
                "audit",
                "--project",
                "cmek-demo-project",
                "--aws-region",
                "moon-1",
            ],
            "us-east-1",
        ),
        (
            vec![
                "cmek",
                "audit",
                "--project",
                "cmek-demo-project",
                "--reads-per-minute",
                "0",
            ],
            "from 1 to 60000",
        ),
        (
            vec!["cmek", "status", "c", "--wait", "--timeout", "999999"],
            "from 1 to 86400",
        ),
        (
            vec!["cmek", "revoke", "c", "--confirm", "x\u{0}"],
            "control characters",
        ),
    ] {
        let e = Cli::try_parse_from(&argv).expect_err(&format!("{argv:?}"));
        assert_eq!(
            e.kind(),
            clap::error::ErrorKind::ValueValidation,
            "{argv:?}: {e}"
        );
        assert!(e.to_string().contains(rule), "{argv:?}: {e}");
    }
    assert!(
        Cli::try_parse_from(["cmek", "recover", "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"]).is_ok()
    );
}
