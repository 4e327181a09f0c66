//! Thin entry point: parse the command line, start logging, run the command.

use clap::Parser;

#[actix_web::main]
async fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = bouncer::Cli::parse();
    if let Err(e) = bouncer::run_cli(cli).await {
        // One line an operator can act on; no panic, no backtrace.
        eprintln!("bouncer: {e}");
        std::process::exit(1);
    }
}
