//! `crm-guard`: the IT admin's tool. Checks policy files with the extension's own validation,
//! writes deployment templates, prints the CRM catalog and scores passwords.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use crm_guard_cli::{admx, policy_file, templates};
use crm_guard_core::policy::{effective, Source};
use crm_guard_core::Catalog;
use serde_json::Value;

#[derive(Parser)]
#[command(name = "crm-guard", version, about = "CRM Guard for IT: policy files, catalog, password scores")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check or generate managed policy files.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Print the built-in CRM catalog.
    Catalog {
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Score a password as the extension does (zxcvbn).
    Score {
        /// The password (prefer --stdin: arguments end up in shell history).
        #[arg(required_unless_present_any = ["stdin", "each_line"])]
        password: Option<String>,
        /// Read the password from standard input (the first line).
        #[arg(long, conflicts_with = "password")]
        stdin: bool,
        /// Score every line of standard input: one JSON object per line, in order (audits and
        /// benchmarks of many passwords in one process).
        #[arg(long, conflicts_with_all = ["password", "stdin"])]
        each_line: bool,
        /// Words an attacker would try first (CRM name, company, e-mail); repeatable.
        #[arg(long = "user-input", value_name = "WORD")]
        user_inputs: Vec<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Validate a policy file (JSON, Firefox policies.json, .mobileconfig/.plist, .reg).
    /// Exit code 1 when a value is rejected, 2 when the file cannot be read.
    Check {
        file: PathBuf,
        /// Print the result as JSON (settings, locked keys, errors).
        #[arg(long)]
        json: bool,
    },
    /// Write a ready-to-deploy policy file with example values.
    Template {
        #[arg(long = "for", value_enum)]
        target: templates::Target,
        /// Directory to write into (default: the current directory).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Take the settings from this policy file (any format `policy check` reads) instead of
        /// the example values; refused when `policy check` would report an error.
        #[arg(long, value_name = "FILE")]
        settings: Option<PathBuf>,
        /// Firefox: where browsers download the .xpi that `ExtensionSettings` force-installs
        /// (https:// on your intranet, or file://).
        #[arg(long, value_name = "URL")]
        xpi_url: Option<String>,
        /// Firefox: a CA certificate (PEM) for `Certificates.Install` (e.g. a self-hosted CRM's
        /// internal CA), named by its path on the target machines.
        #[arg(long, value_name = "PATH")]
        ca_cert: Option<String>,
    },
}

/// `println!` that returns the error instead of panicking: `crm-guard catalog | head` closes the
/// pipe early, which is not a failure.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Policy(PolicyCommand::Check { file, json }) => check(&file, json),
        Command::Policy(PolicyCommand::Template { target, out, settings, xpi_url, ca_cert }) => {
            template(target, out, settings, templates::Firefox { xpi_url, ca_cert })
        }
        Command::Catalog { json } => catalog(json),
        Command::Score { each_line: true, user_inputs, .. } => score_each_line(&user_inputs),
        Command::Score { password, stdin, user_inputs, json, .. } => {
            score(password, stdin, &user_inputs, json)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn check(file: &std::path::Path, as_json: bool) -> Result<ExitCode> {
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if ext == "admx" || ext == "adml" {
        return check_template(file, &ext, as_json);
    }
    let (policy, notes) = policy_file::read(file)?;
    let e = effective(&Value::Null, &policy);
    if as_json {
        outln!("{}", serde_json::to_string_pretty(&e)?);
    } else {
        for note in &notes {
            eprintln!("{note}");
        }
        for err in &e.errors {
            debug_assert_eq!(err.source, Source::Managed);
            outln!("error: {}", err.key);
            outln!("  value:   {}", err.value);
            outln!("  why:     {}", err.reason);
            outln!("  applies: {}", err.applied);
        }
        if e.errors.is_empty() {
            outln!("ok: {} settings, no errors", e.locked.len());
        } else {
            outln!("{} error(s)", e.errors.len());
        }
        outln!(
            "\neffective settings (locked: {}):",
            e.locked.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
        );
        outln!("{}", serde_json::to_string_pretty(&e.settings)?);
    }
    Ok(if e.errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Reads an administrative template back: every key, at its registry key, of its type.
fn check_template(file: &std::path::Path, ext: &str, as_json: bool) -> Result<ExitCode> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let problems = if ext == "admx" { admx::check_admx(text)? } else { admx::check_adml(text)? };
    if as_json {
        outln!(
            "{}",
            serde_json::json!({ "template": ext, "keys": crm_guard_core::policy::Key::ALL.len(), "problems": problems })
        );
    } else {
        for p in &problems {
            outln!("error: {p}");
        }
        if problems.is_empty() {
            let what = if ext == "admx" {
                "for Chrome and Edge"
            } else {
                "with titles, explanations and presentations"
            };
            outln!(
                "ok: {} template names all {} settings {what}",
                ext.to_uppercase(),
                crm_guard_core::policy::Key::ALL.len()
            );
        }
    }
    Ok(if problems.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn template(
    target: templates::Target,
    out: Option<PathBuf>,
    settings: Option<PathBuf>,
    firefox: templates::Firefox,
) -> Result<ExitCode> {
    if target != templates::Target::Firefox && (firefox.xpi_url.is_some() || firefox.ca_cert.is_some()) {
        anyhow::bail!("--xpi-url and --ca-cert are for --for firefox");
    }
    let policy = match settings {
        None => crm_guard_core::policy::example_policy(),
        Some(file) => {
            let (policy, _) = policy_file::read(&file)?;
            let e = effective(&Value::Null, &policy);
            if let Some(err) = e.errors.first() {
                eprintln!("error: {}: {} ({})", err.key, err.reason, err.value);
                eprintln!("run `crm-guard policy check {}` for every error", file.display());
                return Ok(ExitCode::from(1));
            }
            policy
        }
    };
    let dir = out.unwrap_or_else(|| PathBuf::from("."));
    for (name, contents) in templates::render(target, &policy, &firefox)? {
        let path = dir.join(name);
        let parent = path.parent().unwrap_or(&dir);
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        std::fs::write(&path, contents).with_context(|| format!("cannot write {}", path.display()))?;
        outln!("wrote {}", path.display());
    }
    outln!("{}", templates::install_hint(target));
    Ok(ExitCode::SUCCESS)
}

fn catalog(as_json: bool) -> Result<ExitCode> {
    let catalog = Catalog::builtin();
    if as_json {
        let entries: Vec<_> = catalog.entries().collect();
        outln!("{}", serde_json::to_string_pretty(&entries)?);
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<[String; 5]> = catalog
        .entries()
        .map(|e| {
            let hosts: Vec<String> = e.hosts.iter().map(ToString::to_string).collect();
            [
                e.id.to_string(),
                e.name.to_string(),
                hosts.join(" "),
                e.path_prefix.as_deref().unwrap_or("-").to_owned(),
                e.logout_url.as_deref().unwrap_or("-").to_owned(),
            ]
        })
        .collect();
    let header = ["ID", "NAME", "HOSTS", "PATH", "LOGOUT"].map(String::from);
    let widths: Vec<usize> = (0..5)
        .map(|i| {
            rows.iter()
                .chain([&header])
                .map(|r| if i == 2 { 0 } else { r[i].chars().count() })
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(&header).chain(&rows) {
        // Hosts last: the only long column, left to wrap.
        outln!(
            "{:w0$}  {:w1$}  {:w3$}  {:w4$}  {}",
            row[0],
            row[1],
            row[3],
            row[4],
            row[2],
            w0 = widths[0],
            w1 = widths[1],
            w3 = widths[3],
            w4 = widths[4]
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn score(password: Option<String>, stdin: bool, user_inputs: &[String], as_json: bool) -> Result<ExitCode> {
    let password = if stdin {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).context("cannot read standard input")?;
        s.lines().next().unwrap_or("").to_owned()
    } else {
        password.unwrap_or_default()
    };
    let inputs: Vec<&str> = user_inputs.iter().map(String::as_str).collect();
    let s = crm_guard_score::score(&password, &inputs);
    if as_json {
        outln!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(ExitCode::SUCCESS);
    }
    outln!("score:       {}/4", s.score);
    outln!("crack time:  {} (offline, slow hash)", human_duration(s.crack_seconds));
    outln!("length:      {}", s.length);
    outln!("warning:     {}", s.warning.unwrap_or("-"));
    outln!("suggestions: {}", if s.suggestions.is_empty() { "-".into() } else { s.suggestions.join(", ") });
    Ok(ExitCode::SUCCESS)
}

fn score_each_line(user_inputs: &[String]) -> Result<ExitCode> {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s).context("cannot read standard input")?;
    let inputs: Vec<&str> = user_inputs.iter().map(String::as_str).collect();
    for password in s.lines() {
        outln!("{}", serde_json::to_string(&crm_guard_score::score(password, &inputs))?);
    }
    Ok(ExitCode::SUCCESS)
}

fn human_duration(secs: f64) -> String {
    if secs < 1.0 {
        return "less than a second".into();
    }
    for (name, unit) in crm_guard_core::password::CRACK_TIME_UNITS {
        if secs >= unit {
            return if name == "centuries" {
                name.into()
            } else {
                format!("{:.0} {name}", (secs / unit).floor())
            };
        }
    }
    format!("{secs:.0} seconds")
}
