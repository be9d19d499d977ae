//! `facenet`: face detection, alignment, embedding, verification, identification, clustering, training
//! and evaluation from one binary. Each subcommand is a thin layer over the facenet-* libraries.
//!
//! Exit codes: 0 ok, 1 some inputs failed (or the command failed), 2 usage error.

mod cmd;
mod output;

use clap::Parser;
use std::process::ExitCode;

/// Face recognition with FaceNet and the dlib ResNet, in pure Rust.
#[derive(Debug, Parser)]
#[command(name = "facenet", version, about, propagate_version = true, max_term_width = 100)]
struct Cli {
    /// Print machine-readable JSON on stdout (logs still go to stderr).
    #[arg(long, global = true)]
    json: bool,
    /// More log output on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true, conflicts_with = "quiet")]
    verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: cmd::Command,
}

fn main() -> ExitCode {
    exit_quietly_on_closed_pipe();
    let cli = Cli::parse(); // usage errors exit with code 2 here
    facenet::kernels::memory::keep_freed_memory();
    init_logging(cli.verbose, cli.quiet);
    let ctx = output::Ctx { json: cli.json };
    match cmd::run(cli.command, &ctx) {
        Ok(cmd::Status::Ok) => ExitCode::SUCCESS,
        Ok(cmd::Status::SomeFailed) => ExitCode::from(1),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(1)
        }
    }
}

/// Writing to a closed pipe (`facenet … | head -1`) ends the process quietly, as Unix tools do; Rust's
/// default ignores SIGPIPE, so `println!` would panic with a backtrace instead.
fn exit_quietly_on_closed_pipe() {
    // SAFETY: the first call in main, before any thread starts; SIG_DFL is a valid disposition.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("FACENET_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
