//! Chat with the configured model or provider: answers stream token by token, Esc cancels a
//! running answer (the bridge stops decoding), /reset starts over, the status line shows the
//! model, the provider, the tokens and the speed, and when other processes keep the CPU busy.

use serde_json::{json, Value};

use crate::app::{Action, App, Effect, Pending, Screen, Tone};
use crate::input::TextInput;
use crate::protocol::{cancel_line, decode, GenerateDelta, GenerateResult, RpcError, ThreadUse, CANCELLED};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
    /// A note from chi-tui (an error, a cancellation), never sent to the model.
    Note,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub role: Role,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Streaming {
    pub request: u64,
    pub started: f64,
    /// When the first piece came: the rate leaves out the wait before it (a model loading).
    pub first: Option<f64>,
    pub pieces: u64,
    pub cancelling: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LastAnswer {
    pub model: Option<String>,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Seconds from the first piece to the answer (decoding, without the wait before it).
    pub seconds: f64,
    /// A local model's CPU threads (fewer while the CPU is busy elsewhere).
    pub threads: Option<ThreadUse>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatState {
    pub turns: Vec<Turn>,
    pub input: TextInput,
    pub streaming: Option<Streaming>,
    pub last: Option<LastAnswer>,
    /// Lines scrolled up from the bottom.
    pub scroll: u16,
}

pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    if app.chat.input.edit(&action) {
        return Vec::new();
    }
    match action {
        Action::Enter => send(app),
        Action::Esc => match &mut app.chat.streaming {
            Some(streaming) if !streaming.cancelling => {
                streaming.cancelling = true;
                vec![Effect::Send(cancel_line(streaming.request))]
            }
            Some(_) => Vec::new(),
            None => {
                app.screen = Screen::Welcome;
                Vec::new()
            }
        },
        Action::PageUp | Action::Up => {
            app.chat.scroll = app.chat.scroll.saturating_add(if action == Action::PageUp { 10 } else { 1 });
            Vec::new()
        }
        Action::PageDown | Action::Down => {
            app.chat.scroll = app.chat.scroll.saturating_sub(if action == Action::PageDown { 10 } else { 1 });
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn send(app: &mut App) -> Vec<Effect> {
    let text = app.chat.input.value.trim().to_string();
    if text.is_empty() || app.chat.streaming.is_some() {
        return Vec::new();
    }
    app.chat.input.clear();
    app.chat.scroll = 0;
    if text == "/reset" {
        app.chat.turns.clear();
        app.chat.last = None;
        app.say(Tone::Info, "New conversation");
        return Vec::new();
    }
    if text == "/help" {
        let help = "Enter sends; Esc stops an answer (or goes back); /reset starts over; PgUp/PgDn scroll.";
        app.chat.turns.push(Turn { role: Role::Note, text: help.into() });
        return Vec::new();
    }
    if !app.ready() {
        app.say(Tone::Bad, "The bridge is not ready yet; wait a moment and send again");
        app.chat.input = TextInput::new(&text);
        return Vec::new();
    }
    app.chat.turns.push(Turn { role: Role::User, text });
    let messages: Vec<Value> = app
        .chat
        .turns
        .iter()
        .filter(|t| t.role != Role::Note)
        .map(|t| json!({"role": if t.role == Role::User { "user" } else { "assistant" }, "content": t.text}))
        .collect();
    let (request, effect) = app.call("generate/start", json!({"messages": messages}), Pending::Generate);
    app.chat.turns.push(Turn { role: Role::Assistant, text: String::new() });
    app.chat.streaming = Some(Streaming { request, started: app.now, first: None, pieces: 0, cancelling: false });
    app.note = None;
    vec![effect]
}

pub fn delta(app: &mut App, params: Value) -> Vec<Effect> {
    let Ok(delta) = serde_json::from_value::<GenerateDelta>(params) else {
        return Vec::new();
    };
    let Some(streaming) = app.chat.streaming.as_mut() else {
        return Vec::new();
    };
    if delta.id.as_u64() != Some(streaming.request) {
        return Vec::new();
    }
    streaming.pieces += 1;
    streaming.first.get_or_insert(app.now);
    if let Some(turn) = app.chat.turns.last_mut().filter(|t| t.role == Role::Assistant) {
        turn.text.push_str(&delta.text);
    }
    Vec::new()
}

pub fn answered(app: &mut App, outcome: Result<Value, RpcError>) -> Vec<Effect> {
    let Some(streaming) = app.chat.streaming.take() else {
        return Vec::new();
    };
    let seconds = (app.now - streaming.first.unwrap_or(streaming.started)).max(0.0);
    let result = outcome.map(|v| (decode::<GenerateResult>("generate/start", v.clone()), v));
    match result {
        Ok((Ok(done), _)) => {
            if let Some(turn) = app.chat.turns.last_mut().filter(|t| t.role == Role::Assistant) {
                turn.text = done.text;
            }
            app.chat.last = Some(LastAnswer {
                model: done.model,
                prompt_tokens: done.usage.prompt_tokens,
                completion_tokens: done.usage.completion_tokens,
                seconds,
                threads: done.threads,
            });
        }
        Ok((Err(_), value)) if value.get("cancelled").is_some() => stopped(app, "stopped"),
        Ok((Err(reason), _)) => failed(app, reason),
        Err(error) if error.code == CANCELLED => stopped(app, "stopped"),
        Err(error) => failed(app, error.describe()),
    }
    Vec::new()
}

fn stopped(app: &mut App, how: &str) {
    app.chat.turns.push(Turn { role: Role::Note, text: format!("(answer {how})") });
}

fn failed(app: &mut App, reason: String) {
    if app.chat.turns.last().is_some_and(|t| t.role == Role::Assistant && t.text.is_empty()) {
        app.chat.turns.pop();
    }
    app.chat.turns.push(Turn { role: Role::Note, text: format!("error: {reason}") });
    app.say(Tone::Bad, reason);
}

/// The bridge died mid-answer: keep what came, say so.
pub fn interrupted(app: &mut App) {
    if app.chat.streaming.take().is_some() {
        stopped(app, "cut off: the bridge stopped");
    }
}

/// Tokens per second after the first one (as chi_llm's own timings count the decode rate).
fn rate(tokens: u64, seconds: f64) -> f64 {
    if tokens > 1 && seconds > 0.0 {
        (tokens - 1) as f64 / seconds
    } else {
        0.0
    }
}

/// "smollm2-135m · local · 12+34 tokens · 56.7 tok/s", then "· CPU busy: 1 thread" while the
/// last answer ran on fewer threads than the cores (the next one starts where it ended).
pub fn status(app: &App) -> String {
    let provider = app.route.clone().unwrap_or_else(|| "local".into());
    let model = app
        .chat
        .last
        .as_ref()
        .and_then(|l| l.model.clone())
        .or_else(|| app.model.as_ref().and_then(|m| m.value.as_str().map(String::from)))
        .unwrap_or_else(|| "…".into());
    let mut parts = vec![model, provider];
    if let Some(streaming) = &app.chat.streaming {
        let seconds = streaming.first.map_or(0.0, |first| app.now - first);
        parts.push(format!("{} tokens · {:.1} tok/s", streaming.pieces, rate(streaming.pieces, seconds)));
    } else if let Some(last) = &app.chat.last {
        let speed = rate(last.completion_tokens, last.seconds);
        parts.push(format!("{}+{} tokens · {speed:.1} tok/s", last.prompt_tokens, last.completion_tokens));
    }
    if let Some(threads) = app.chat.last.as_ref().and_then(|l| l.threads.as_ref()).filter(|t| t.contended) {
        let plural = if threads.used == 1 { "" } else { "s" };
        parts.push(format!("CPU busy: {} thread{plural}", threads.used));
    }
    parts.join(" · ")
}
