//! chi-tui: the terminal UI of chi-llm. Usually started by `chi-llm ui`, which passes the
//! Python that has chi-llm installed (CHI_LLM_PYTHON).

use std::path::PathBuf;
use std::time::Duration;

use chi_tui::app::{update, Action, App, BridgeState, Effect};
use chi_tui::bridge::{Bridge, BridgeConfig, Tagged};
use chi_tui::keys::action_for;
use chi_tui::theme::Theme;
use chi_tui::ui;
use color_eyre::eyre::{bail, Result};
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;

const USAGE: &str = "chi-tui — chi-llm's terminal UI

Usage: chi-tui [--python PATH] [--bridge-arg ARG]... [--log FILE]

  --python PATH      the Python with chi-llm installed (default: $CHI_LLM_PYTHON, else python3)
  --bridge-arg ARG   an argument for `chi-llm bridge` (e.g. --bridge-arg=--backend --bridge-arg=fake)
  --log FILE         where the bridge's log goes (default: $XDG_STATE_HOME/chi-llm/chi-tui.log,
                     else ~/.local/state/chi-llm/chi-tui.log)
  -h, --help         this help
  -V, --version      the version

Start it with `chi-llm ui`.";

fn parse_args() -> Result<Option<BridgeConfig>> {
    let mut python = std::env::var("CHI_LLM_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut args = Vec::new();
    let mut log = default_log();
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| match inline.clone().or_else(|| given.next()) {
            Some(v) => Ok(v),
            None => bail!("{what} needs a value\n\n{USAGE}"),
        };
        match name.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            "-V" | "--version" => {
                println!("chi-tui {}", env!("CARGO_PKG_VERSION"));
                return Ok(None);
            }
            "--python" => python = value("--python")?,
            "--bridge-arg" => args.push(value("--bridge-arg")?),
            "--log" => log = PathBuf::from(value("--log")?),
            other => bail!("unknown argument {other}\n\n{USAGE}"),
        }
    }
    Ok(Some(BridgeConfig { python, args, log }))
}

/// The user's state folder (XDG), else the temporary folder; started afresh when it grew large.
fn default_log() -> PathBuf {
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local").join("state")));
    let folder = match state {
        Some(state) if std::fs::create_dir_all(state.join("chi-llm")).is_ok() => state.join("chi-llm"),
        _ => std::env::temp_dir(),
    };
    let log = folder.join("chi-tui.log");
    if std::fs::metadata(&log).is_ok_and(|m| m.len() > 1 << 20) {
        let _ = std::fs::remove_file(&log);
    }
    log
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    color_eyre::install()?;
    let Some(config) = parse_args()? else { return Ok(()) };
    let terminal = ratatui::init(); // raw mode, alternate screen; its panic hook restores them
    let outcome = run(terminal, config).await;
    ratatui::restore();
    outcome
}

async fn run(mut terminal: DefaultTerminal, config: BridgeConfig) -> Result<()> {
    let theme = Theme::from_env();
    let mut app = App::new(&config.log.display().to_string());
    let (sender, mut receiver) = mpsc::unbounded_channel::<Tagged>();
    let mut bridge = match Bridge::spawn(&config, 1, sender.clone()) {
        Ok(bridge) => Some(bridge),
        Err(error) => {
            app.bridge = BridgeState::Down(error.to_string());
            None
        }
    };
    let mut effects = if bridge.is_some() { app.start() } else { Vec::new() };
    let mut keys = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(120));
    let started = std::time::Instant::now();
    loop {
        for effect in std::mem::take(&mut effects) {
            match effect {
                Effect::Send(line) => {
                    if let Some(live) = bridge.as_mut() {
                        if live.send(&line).await.is_err() {
                            let how = live.exit_status().await;
                            effects.extend(update(&mut app, Action::BridgeExited(how)));
                        }
                    }
                }
                Effect::RestartBridge => {
                    let generation = bridge.as_ref().map_or(1, |b| b.generation + 1);
                    drop(bridge.take()); // kills what is left of the old process
                    match Bridge::spawn(&config, generation, sender.clone()) {
                        Ok(fresh) => bridge = Some(fresh),
                        Err(error) => app.bridge = BridgeState::Down(error.to_string()),
                    }
                }
                Effect::WriteFile { path, content } => {
                    let outcome = write_atomically(&path, &content);
                    effects.extend(update(&mut app, Action::FileWritten(outcome)));
                }
                Effect::Quit => {
                    if let Some(live) = bridge.take() {
                        live.shutdown().await;
                    }
                    return Ok(());
                }
            }
        }
        if !effects.is_empty() {
            continue;
        }
        terminal.draw(|frame| ui::draw(frame, &app, theme))?;
        let action = tokio::select! {
            event = keys.next() => match event {
                Some(Ok(Event::Key(key))) => action_for(key, app.typing()),
                Some(Ok(_)) => None, // a resize: the next draw uses the new size
                Some(Err(error)) => return Err(error.into()),
                None => Some(Action::Quit),
            },
            tagged = receiver.recv() => match tagged {
                Some((generation, action)) if bridge.as_ref().is_some_and(|b| b.generation == generation) => {
                    match action {
                        Action::BridgeExited(_) => match bridge.as_mut() {
                            Some(live) => Some(Action::BridgeExited(live.exit_status().await)),
                            None => None,
                        },
                        other => Some(other),
                    }
                }
                _ => None,
            },
            _ = tick.tick() => Some(Action::Tick),
        };
        if let Some(action) = action {
            app.now = started.elapsed().as_secs_f64();
            effects = update(&mut app, action);
        }
    }
}

/// Write `content` to `path` (relative to the current folder) through a temporary file in the
/// same folder and a rename: a crash never leaves half a file. The absolute path, or why not.
fn write_atomically(path: &str, content: &str) -> Result<String, String> {
    let target = std::path::absolute(path).map_err(|e| e.to_string())?;
    let folder = target.parent().ok_or("no folder")?;
    let name = target.file_name().ok_or("no file name")?.to_string_lossy().to_string();
    let temporary = folder.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&temporary, content).map_err(|e| format!("{}: {e}", temporary.display()))?;
    std::fs::rename(&temporary, &target).map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        format!("{}: {e}", target.display())
    })?;
    Ok(target.display().to_string())
}
