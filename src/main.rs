//! Thin entry point: parse the command line, start logging, run the command.

use clap::Parser;

#[actix_web::main]
async fn main() {
    // Plain until the settings say otherwise (`log_format`).
    bouncer::init_logging();
    let cli = bouncer::Cli::parse();
    if let Err(e) = bouncer::run_cli(cli).await {
        // One line an operator can act on; no panic, no backtrace.
        eprintln!("bouncer: {e}");
        std::process::exit(1);
    }
}
