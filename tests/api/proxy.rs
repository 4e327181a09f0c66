//! A TCP proxy the test controls, to put between an instance and PostgreSQL and cut.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

/// Forwards every connection to `upstream` until [`Proxy::cut`]; dropped with all its
/// connections. Needs a multi-threaded runtime if the test ever blocks its own thread.
pub struct Proxy {
    /// `127.0.0.1:<port>`, to put in a database URL in place of the server's address.
    pub address: String,
    links: Arc<Mutex<Links>>,
    accept: JoinHandle<()>,
}

#[derive(Default)]
struct Links {
    cut: bool,
    open: Vec<AbortHandle>,
}

impl Proxy {
    pub async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("proxy listens");
        let address = listener.local_addr().expect("proxy address").to_string();
        let links = Arc::new(Mutex::new(Links::default()));
        let accept = tokio::spawn(accept_loop(listener, upstream, links.clone()));
        Proxy {
            address,
            links,
            accept,
        }
    }

    /// Aborts every open connection (the peer sees it closed) and closes new ones at once,
    /// as a database that went away would.
    pub fn cut(&self) {
        let mut links = lock(&self.links);
        links.cut = true;
        for link in links.open.drain(..) {
            link.abort();
        }
    }

    /// Forwards new connections again.
    pub fn restore(&self) {
        lock(&self.links).cut = false;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

fn lock(links: &Mutex<Links>) -> MutexGuard<'_, Links> {
    links
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn accept_loop(listener: TcpListener, upstream: String, links: Arc<Mutex<Links>>) {
    while let Ok((mut client, _)) = listener.accept().await {
        // Decided under the lock, so a connection is either refused or aborted by `cut`.
        let mut guard = lock(&links);
        if guard.cut {
            drop(client);
            continue;
        }
        let upstream = upstream.clone();
        let link = tokio::spawn(async move {
            if let Ok(mut server) = TcpStream::connect(&upstream).await {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            }
        });
        guard.open.retain(|l| !l.is_finished());
        guard.open.push(link.abort_handle());
    }
}
