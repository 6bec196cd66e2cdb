//! What the client's CPU examples share: a canned server on its own thread and runtime, and
//! the calling thread's CPU time (the whole client, which runs on a single-threaded runtime
//! there).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

/// Writes one answer on the socket and gives it back for the next request.
pub type Answer = Box<
    dyn Fn(TcpStream) -> Pin<Box<dyn Future<Output = std::io::Result<TcpStream>> + Send>>
        + Send
        + Sync,
>;

/// Serves every request (read up to the `}` ending its JSON body) with `answer`; returns the
/// server's URL.
pub fn start_server(answer: Answer) -> String {
    let answer = std::sync::Arc::new(answer);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            while let Ok((mut socket, _)) = listener.accept().await {
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 65536];
                    loop {
                        let mut got = Vec::new();
                        while !got.ends_with(b"}") {
                            match socket.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => got.extend_from_slice(&buf[..n]),
                            }
                        }
                        socket = match answer(socket).await {
                            Ok(socket) => socket,
                            Err(_) => return,
                        };
                    }
                });
            }
        });
    });
    format!("http://{}", rx.recv().unwrap())
}

/// This thread's CPU time so far (`/proc/thread-self/schedstat`, Linux).
pub fn thread_cpu() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    Duration::from_nanos(text.split_whitespace().next().unwrap().parse().unwrap())
}
