//! The bridge client: one `python -m chi_llm bridge` child process. Lines go to its stdin; a
//! reader task turns each line it writes into an `Action` tagged with the process's generation
//! (so a dead process's last words never reach its successor). Its stderr goes to a log file,
//! never to the screen. The child is killed when the client is dropped.

use std::fs::OpenOptions;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc::UnboundedSender;

use crate::action::Action;
use crate::protocol::parse_incoming;

#[derive(Debug, Clone)]
pub struct BridgeConfig {
    pub python: String,
    pub args: Vec<String>,
    pub log: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error("could not start `{python} -m chi_llm bridge` ({source}); run chi-tui through `chi-llm ui`, or pass --python with the Python that has chi-llm installed")]
    Spawn { python: String, source: std::io::Error },
    #[error("could not open the log file {path}: {source}")]
    Log { path: String, source: std::io::Error },
    #[error("the bridge is not reading its input: {0}")]
    Write(std::io::Error),
}

pub struct Bridge {
    pub generation: u64,
    child: Child,
    stdin: ChildStdin,
}

/// What the reader task sends: the generation it belongs to and what happened.
pub type Tagged = (u64, Action);

impl Bridge {
    pub fn spawn(
        config: &BridgeConfig,
        generation: u64,
        events: UnboundedSender<Tagged>,
    ) -> Result<Bridge, BridgeError> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&config.log)
            .map_err(|source| BridgeError::Log { path: config.log.display().to_string(), source })?;
        let mut child = Command::new(&config.python)
            .args(["-m", "chi_llm", "bridge"])
            .args(&config.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| BridgeError::Spawn { python: config.python.clone(), source })?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(BridgeError::Spawn {
                python: config.python.clone(),
                source: std::io::Error::other("no pipes to the child"),
            });
        };
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            loop {
                let action = match lines.next_line().await {
                    Ok(Some(line)) if line.trim().is_empty() => continue,
                    Ok(Some(line)) => match parse_incoming(&line) {
                        Ok(incoming) => Action::Bridge(incoming),
                        Err(error) => Action::BridgeGarbled(error.to_string()),
                    },
                    Ok(None) | Err(_) => {
                        let _ = events.send((generation, Action::BridgeExited("it closed its output".into())));
                        return;
                    }
                };
                if events.send((generation, action)).is_err() {
                    return;
                }
            }
        });
        Ok(Bridge { generation, child, stdin })
    }

    pub async fn send(&mut self, line: &str) -> Result<(), BridgeError> {
        self.stdin.write_all(line.as_bytes()).await.map_err(BridgeError::Write)?;
        self.stdin.write_all(b"\n").await.map_err(BridgeError::Write)?;
        self.stdin.flush().await.map_err(BridgeError::Write)
    }

    /// How the process ended, when it has (waits a moment for it to finish dying).
    pub async fn exit_status(&mut self) -> String {
        match tokio::time::timeout(Duration::from_secs(2), self.child.wait()).await {
            Ok(Ok(status)) => match status.code() {
                Some(code) => format!("exit code {code}"),
                None => "killed by a signal".into(),
            },
            _ => "it stopped answering".into(),
        }
    }

    /// Ask it to finish (running calls end and are answered), then make sure it is gone.
    pub async fn shutdown(mut self) {
        let _ = self.send(r#"{"jsonrpc":"2.0","id":"shutdown","method":"shutdown"}"#).await;
        drop(self.stdin);
        if tokio::time::timeout(Duration::from_secs(3), self.child.wait()).await.is_err() {
            let _ = self.child.kill().await;
        }
    }
}
