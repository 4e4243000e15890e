//! What the mock server and the mock proxy share: a listener served until the handle is dropped,
//! on the caller's runtime or on a runtime thread of its own, each connection in its own task.

use std::future::Future;
use std::io;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A running listener; dropping it stops the accept loop and every connection.
pub(crate) struct Running {
    pub port: u16,
    stop: Option<watch::Sender<bool>>,
    /// The runtime thread of a blocking start.
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(true);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Waits until the listener is told to stop (the sender was dropped or set).
async fn stopped(mut rx: watch::Receiver<bool>) {
    while !*rx.borrow_and_update() {
        if rx.changed().await.is_err() {
            return;
        }
    }
}

/// Accepts connections until stopped, serving each with `serve` in its own task (which ends
/// when the listener stops, too).
async fn accept_loop<F, Fut>(listener: TcpListener, rx: watch::Receiver<bool>, serve: F)
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stopped(rx.clone()) => return,
        };
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors and the like: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let work = serve(stream);
        let rx = rx.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = work => {}
                _ = stopped(rx) => {}
            }
        });
    }
}

/// Binds `127.0.0.1:port` (0: any free port) and serves on the current runtime.
pub(crate) async fn start<F, Fut>(port: u16, serve: F) -> io::Result<Running>
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let port = listener.local_addr()?.port();
    let (tx, rx) = watch::channel(false);
    tokio::spawn(accept_loop(listener, rx, serve));
    Ok(Running {
        port,
        stop: Some(tx),
        thread: None,
    })
}

/// Binds `127.0.0.1:0` and serves on a runtime thread named `name-PORT` (for synchronous
/// tests, e.g. ones that spawn the `ccrs` binary).
pub(crate) fn start_blocking<F, Fut>(name: &str, serve: F) -> io::Result<Running>
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let std_listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    std_listener.set_nonblocking(true)?;
    let port = std_listener.local_addr()?.port();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let listener = {
        let _guard = rt.enter();
        TcpListener::from_std(std_listener)?
    };
    let (tx, rx) = watch::channel(false);
    let thread = std::thread::Builder::new()
        .name(format!("{name}-{port}"))
        .spawn(move || rt.block_on(accept_loop(listener, rx, serve)))?;
    Ok(Running {
        port,
        stop: Some(tx),
        thread: Some(thread),
    })
}
