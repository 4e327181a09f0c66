//! A single-page app on another origin than bouncer, using the JavaScript client
//! (`clients/js/bouncer.js`) through CORS with credentials: register, log in, call a protected
//! route while the client refreshes silently, survive a reload (refresh token in an HttpOnly
//! cookie), list and end sessions, log out.
//!
//! ```sh
//! cargo run --example spa      # bouncer on http://127.0.0.1:8000, the page on http://127.0.0.1:8080
//! ```
//!
//! Two servers in one process, as in production where the API and the front end are deployed
//! apart: bouncer (as a library, like `examples/little_lemon`) and a tiny static server for
//! `index.html`, `app.js` and the client, compiled in with `include_str!`. The page's origin is
//! the only one in `cors.allowed_origins`, with `cors.allow_credentials = true`.
//!
//! Options (flag or environment variable): `--api-port`/`SPA_API_PORT` (8000),
//! `--page-port`/`SPA_PAGE_PORT` (8080), `--database`/`SPA_DATABASE` (a SQLite file; by default
//! one in a temporary directory removed on exit). Port 0 picks a free port; the two addresses
//! are printed on stdout either way (`bouncer: http://...`, `page: http://...`), which is how
//! `tests/browser/run` finds them. Every other setting is bouncer's own (`BOUNCER_*`, e.g.
//! `BOUNCER_ACCESS_TOKEN_LIFETIME=30s` to watch the silent refresh; `BOUNCER_CONFIG`); the
//! environment wins over the values this example sets (bind address, database, CORS).
//!
//! The refresh cookie keeps bouncer's default `refresh_cookie.secure = true` (name
//! `__Host-bouncer_refresh`): Chromium treats http://127.0.0.1 as a secure context and keeps
//! the `Secure` cookies it sets (`tests/browser` checks it). In a browser that does not, set
//! `BOUNCER_REFRESH_COOKIE__SECURE=false`. Open the page as http://127.0.0.1:8080, not
//! http://localhost:8080: a different site, so the `SameSite=Strict` cookie for 127.0.0.1
//! would not be sent.

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;

use actix_web::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use actix_web::{App, HttpResponse, HttpServer, web};
use bouncer::{Application, LoadOptions, Settings};
use clap::Parser;

const INDEX_HTML: &str = include_str!("index.html");
const APP_JS: &str = include_str!("app.js");
const CLIENT_JS: &str = include_str!("../../clients/js/bouncer.js");
/// Where `index.html` names bouncer's address (a `<meta>` that `app.js` reads).
const API_PLACEHOLDER: &str = "{{BOUNCER_URL}}";

#[derive(Debug, Parser)]
#[command(about = "bouncer and a demo single-page app on two local origins")]
struct Options {
    /// bouncer's port on 127.0.0.1 (0: any free port).
    #[arg(long, env = "SPA_API_PORT", default_value_t = 8000)]
    api_port: u16,
    /// The page's port on 127.0.0.1 (0: any free port).
    #[arg(long, env = "SPA_PAGE_PORT", default_value_t = 8080)]
    page_port: u16,
    /// bouncer's SQLite database (default: a file in a temporary directory, removed on exit).
    #[arg(long, env = "SPA_DATABASE")]
    database: Option<PathBuf>,
}

/// `key` = `value` unless the environment sets that key (`BOUNCER_CORS__ALLOWED_ORIGINS` for
/// `cors.allowed_origins`): the environment is applied first and overrides last.
fn unless_in_env(overrides: &mut Vec<(String, String)>, key: &str, value: String) {
    let env_name = format!("BOUNCER_{}", key.to_ascii_uppercase().replace('.', "__"));
    if std::env::var_os(env_name).is_none() {
        overrides.push((key.to_owned(), value));
    }
}

/// The page as served: `index.html` with bouncer's address filled in, and a policy that lets
/// it run its own scripts and talk to bouncer, nothing else.
struct Page {
    index: String,
    content_security_policy: String,
}

impl Page {
    fn new(api_origin: &str) -> Self {
        Page {
            index: INDEX_HTML.replace(API_PLACEHOLDER, api_origin),
            content_security_policy: format!(
                "default-src 'none'; script-src 'self'; connect-src {api_origin}; \
                 style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; \
                 frame-ancestors 'none'"
            ),
        }
    }
}

async fn index(page: web::Data<Page>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((
            CONTENT_SECURITY_POLICY,
            page.content_security_policy.clone(),
        ))
        .insert_header((CACHE_CONTROL, "no-cache"))
        .body(page.index.clone())
}

/// Module scripts must be served with a JavaScript MIME type or the browser refuses them.
async fn script(source: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/javascript; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "no-cache"))
        .body(source)
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let options = Options::parse();

    // The page's port first: bouncer's CORS settings need the page's origin.
    let page_listener = TcpListener::bind(("127.0.0.1", options.page_port))?;
    let page_origin = format!("http://127.0.0.1:{}", page_listener.local_addr()?.port());

    // Kept until the end of main, so the temporary database outlives the servers.
    let (database, _temp_dir) = match options.database {
        Some(path) => (path, None),
        None => {
            let dir = tempfile::Builder::new().prefix("bouncer-spa-").tempdir()?;
            (dir.path().join("bouncer.db"), Some(dir))
        }
    };
    let mut overrides = vec![("bind".to_owned(), format!("127.0.0.1:{}", options.api_port))];
    unless_in_env(
        &mut overrides,
        "database_url",
        format!("sqlite://{}", database.display()),
    );
    unless_in_env(&mut overrides, "cors.allowed_origins", page_origin.clone());
    unless_in_env(&mut overrides, "cors.allow_credentials", "true".to_owned());
    let settings = Settings::load(&LoadOptions {
        config_file: std::env::var_os("BOUNCER_CONFIG").map(Into::into),
        read_env: true,
        overrides,
    })?;
    let app = Application::build(settings).await?;
    let api_origin = format!("http://127.0.0.1:{}", app.port());

    let page_data = web::Data::new(Page::new(&api_origin));
    let page = HttpServer::new(move || {
        App::new()
            .app_data(page_data.clone())
            .route("/", web::get().to(index))
            .route("/app.js", web::get().to(|| script(APP_JS)))
            .route("/bouncer.js", web::get().to(|| script(CLIENT_JS)))
    })
    .workers(1)
    .listen(page_listener)?
    .run();

    println!("bouncer: {api_origin}");
    println!("page: {page_origin}");
    std::io::stdout().flush()?;
    tokio::try_join!(app.run_until_stopped(), page)?;
    Ok(())
}
