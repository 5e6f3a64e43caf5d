//! Serving a router on 127.0.0.1 with an ephemeral port, stopped when the sim is dropped.

use std::net::SocketAddr;

use tokio::task::JoinHandle;

use crate::SimError;

pub struct Server {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Server {
    pub async fn start(router: axum::Router) -> Result<Self, SimError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| SimError::Io(e.to_string()))?;
        let addr = listener
            .local_addr()
            .map_err(|e| SimError::Io(e.to_string()))?;
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::warn!(error = %e, "paysim: server stopped");
            }
        });
        Ok(Self { addr, task })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}
