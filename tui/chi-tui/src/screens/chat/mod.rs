//! Chat with the configured model or provider: answers stream token by token, Esc cancels a
//! running answer (the bridge stops decoding), /reset starts over, the status line shows the
//! model, the provider, the tokens and the speed, and when other processes keep the CPU busy.
//! With tools (`chi-llm ui --tool FILE.py:function`) the model's calls show in the conversation
//! and each waits for the user's y, n or a before it runs (`tools.rs`).

use ratatui::layout::Rect;
use ratatui::Frame;
use serde_json::{json, Value};

mod keys;
mod tools;
mod view;

pub use tools::{shown_arguments, tool_names, Approval, ToolTurn};

use crate::action::{Action, Effect, Screen, Tone};
use crate::context::Seen;
use crate::input::TextInput;
use crate::keymap::Binding;
use crate::page::Page;
use crate::protocol::{cancel_line, decode, GenerateDelta, GenerateResult, RpcError, ThreadUse, CANCELLED};
use crate::theme::Theme;

/// The requests this screen sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// An answer (`generate/start`), streamed as `generate/delta` notifications.
    Generate,
    /// The user's answer to a tool call's approval (`generate/approve`).
    Approve,
}

type Ctx<'a> = crate::context::Ctx<'a, Request>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
    /// A note from chi-tui (an error, a cancellation), never sent to the model.
    Note,
    /// A tool call the model asked for (`call`), and its result.
    Tool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub role: Role,
    pub text: String,
    /// A tool turn's call.
    pub call: Option<ToolTurn>,
    /// What the turn is in the history sent to the model, when not its role and text: an
    /// answer with tools sends the turns the bridge returned (calls and results included).
    pub wire: Option<Vec<Value>>,
}

impl Turn {
    pub fn new(role: Role, text: &str) -> Turn {
        Turn { role, text: text.to_string(), call: None, wire: None }
    }

    /// The turn in the history sent to the model (notes and tool turns alone send nothing).
    fn sent(&self) -> Vec<Value> {
        if let Some(wire) = &self.wire {
            return wire.clone();
        }
        match self.role {
            Role::User => vec![json!({"role": "user", "content": self.text})],
            Role::Assistant => vec![json!({"role": "assistant", "content": self.text})],
            Role::Note | Role::Tool => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Streaming {
    pub request: u64,
    pub started: f64,
    /// When the first piece came: the rate leaves out the wait before it (a model loading).
    pub first: Option<f64>,
    pub pieces: u64,
    pub cancelling: bool,
    /// Where this answer's turns begin in the conversation.
    pub first_turn: usize,
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
    /// A tool call waiting for the user's y, n or a.
    pub approval: Option<Approval>,
}

impl ChatState {
    fn send(&mut self, ctx: &mut Ctx) -> Vec<Effect> {
        let text = self.input.value.trim().to_string();
        if text.is_empty() || self.streaming.is_some() {
            return Vec::new();
        }
        self.input.clear();
        self.scroll = 0;
        if text == "/reset" {
            self.turns.clear();
            self.last = None;
            ctx.say(Tone::Info, "New conversation");
            return Vec::new();
        }
        if text == "/help" {
            let help = "Enter sends; Esc stops an answer (or goes back); /reset starts over; PgUp/PgDn scroll; \
                        a tool call waits for y (run it), n (refuse it) or a (always run this tool).";
            self.turns.push(Turn::new(Role::Note, help));
            return Vec::new();
        }
        if !ctx.ready {
            ctx.say(Tone::Bad, "The bridge is not ready yet; wait a moment and send again");
            self.input = TextInput::new(&text);
            return Vec::new();
        }
        self.turns.push(Turn::new(Role::User, &text));
        let messages: Vec<Value> = self.turns.iter().flat_map(Turn::sent).collect();
        let mut params = json!({"messages": messages});
        let tools = tool_names(ctx.tools);
        if !tools.is_empty() {
            params["tools"] = json!(tools);
        }
        let (request, effect) = ctx.call("generate/start", params, Request::Generate);
        let first_turn = self.turns.len();
        self.turns.push(Turn::new(Role::Assistant, ""));
        let started = ctx.now;
        self.streaming = Some(Streaming { request, started, first: None, pieces: 0, cancelling: false, first_turn });
        ctx.clear_note();
        vec![effect]
    }

    /// A `generate/delta` notification: a piece of the answer being streamed.
    pub fn delta(&mut self, ctx: &mut Ctx, params: Value) -> Vec<Effect> {
        let Ok(delta) = serde_json::from_value::<GenerateDelta>(params) else {
            return Vec::new();
        };
        let Some(streaming) = self.streaming.as_mut() else {
            return Vec::new();
        };
        if delta.id.as_u64() != Some(streaming.request) {
            return Vec::new();
        }
        streaming.pieces += 1;
        streaming.first.get_or_insert(ctx.now);
        if self.turns.last().is_some_and(|t| t.role == Role::Tool) {
            self.turns.push(Turn::new(Role::Assistant, "")); // the answer after a call's result
        }
        if let Some(turn) = self.turns.last_mut().filter(|t| t.role == Role::Assistant) {
            turn.text.push_str(&delta.text);
        }
        Vec::new()
    }

    fn stopped(&mut self, how: &str) {
        self.approval = None;
        self.turns.push(Turn::new(Role::Note, &format!("(answer {how})")));
    }

    fn failed(&mut self, ctx: &mut Ctx, reason: String) {
        if self.turns.last().is_some_and(|t| t.role == Role::Assistant && t.text.is_empty()) {
            self.turns.pop();
        }
        self.approval = None;
        self.turns.push(Turn::new(Role::Note, &format!("error: {reason}")));
        ctx.say(Tone::Bad, reason);
    }

    /// "smollm2-135m · local · tools: add · 12+34 tokens · 56.7 tok/s", then "· CPU busy: 1
    /// thread" while the last answer ran on fewer threads than the cores (the next one starts
    /// where it ended). From `seen`: the provider generation goes to, the configured model, the
    /// bridge's tools and the clock.
    pub fn status(&self, seen: &Seen) -> String {
        let (model, now) = (seen.model, seen.now);
        let provider = seen.route.unwrap_or("local").to_string();
        let model = self
            .last
            .as_ref()
            .and_then(|l| l.model.clone())
            .or_else(|| model.and_then(|m| m.value.as_str().map(String::from)))
            .unwrap_or_else(|| "…".into());
        let mut parts = vec![model, provider];
        let tools = tool_names(seen.tools);
        if !tools.is_empty() {
            parts.push(format!("tools: {}", tools.join(", ")));
        }
        if let Some(streaming) = &self.streaming {
            let seconds = streaming.first.map_or(0.0, |first| now - first);
            parts.push(format!("{} tokens · {:.1} tok/s", streaming.pieces, rate(streaming.pieces, seconds)));
        } else if let Some(last) = &self.last {
            let speed = rate(last.completion_tokens, last.seconds);
            parts.push(format!("{}+{} tokens · {speed:.1} tok/s", last.prompt_tokens, last.completion_tokens));
        }
        if let Some(threads) = self.last.as_ref().and_then(|l| l.threads.as_ref()).filter(|t| t.contended) {
            let plural = if threads.used == 1 { "" } else { "s" };
            parts.push(format!("CPU busy: {} thread{plural}", threads.used));
        }
        parts.join(" · ")
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

impl Page for ChatState {
    type Request = Request;
    const TITLE: &'static str = "Chat";
    const HEARS: &'static [&'static str] =
        &["generate/delta", "generate/tool_call", "generate/tool_approval", "generate/tool_result"];

    fn update(&mut self, ctx: &mut Ctx, action: Action) -> Vec<Effect> {
        if self.approval.is_none() && self.input.edit(&action) {
            return Vec::new();
        }
        match action {
            Action::Char('y') if self.approval.is_some() => self.approve(ctx, true, false),
            Action::Char('n') if self.approval.is_some() => self.approve(ctx, false, false),
            Action::Char('a') if self.approval.is_some() => self.approve(ctx, true, true),
            Action::Enter => self.send(ctx),
            Action::Esc => match &mut self.streaming {
                Some(streaming) if !streaming.cancelling => {
                    streaming.cancelling = true;
                    self.approval = None; // the bridge denies the waiting call
                    vec![Effect::Send(cancel_line(streaming.request))]
                }
                Some(_) => Vec::new(),
                None => {
                    ctx.go(Screen::Welcome);
                    Vec::new()
                }
            },
            Action::PageUp | Action::Up => {
                self.scroll = self.scroll.saturating_add(if action == Action::PageUp { 10 } else { 1 });
                Vec::new()
            }
            Action::PageDown | Action::Down => {
                self.scroll = self.scroll.saturating_sub(if action == Action::PageDown { 10 } else { 1 });
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn answered(&mut self, ctx: &mut Ctx, request: Request, outcome: Result<Value, RpcError>) -> Vec<Effect> {
        match request {
            Request::Generate => {}
            Request::Approve => {
                if let Err(error) = outcome {
                    ctx.say(Tone::Bad, error.describe()); // it waits no more (answered too late)
                }
                return Vec::new();
            }
        }
        let Some(streaming) = self.streaming.take() else {
            return Vec::new();
        };
        let seconds = (ctx.now - streaming.first.unwrap_or(streaming.started)).max(0.0);
        let result = outcome.map(|v| (decode::<GenerateResult>("generate/start", v.clone()), v));
        match result {
            Ok((Ok(done), _)) => {
                self.approval = None;
                if let Some(turn) = self.turns.last_mut().filter(|t| t.role == Role::Assistant) {
                    turn.text = done.text;
                }
                if let Some(messages) = done.messages {
                    // the bridge's record of this answer (its calls and results) is what the model sees next
                    for turn in self.turns.iter_mut().skip(streaming.first_turn) {
                        turn.wire = Some(Vec::new());
                    }
                    if let Some(last) = self.turns.last_mut() {
                        last.wire = Some(messages);
                    }
                }
                self.last = Some(LastAnswer {
                    model: done.model,
                    prompt_tokens: done.usage.prompt_tokens,
                    completion_tokens: done.usage.completion_tokens,
                    seconds,
                    threads: done.threads,
                });
            }
            Ok((Err(_), value)) if value.get("cancelled").is_some() => self.stopped("stopped"),
            Ok((Err(reason), _)) => self.failed(ctx, reason),
            Err(error) if error.code == CANCELLED => self.stopped("stopped"),
            Err(error) => self.failed(ctx, error.describe()),
        }
        Vec::new()
    }

    fn notified(&mut self, ctx: &mut Ctx, method: &str, params: Value) -> Vec<Effect> {
        match method {
            "generate/tool_call" => self.tool_call(params),
            "generate/tool_approval" => self.tool_approval(params),
            "generate/tool_result" => self.tool_result(params),
            _ => return self.delta(ctx, params),
        }
        Vec::new()
    }

    /// The bridge died mid-answer: keep what came, say so.
    fn on_bridge_lost(&mut self) {
        if self.streaming.take().is_some() {
            self.stopped("cut off: the bridge stopped");
        }
    }

    /// The input line has focus, except while a tool call waits for y, n or a.
    fn typing(&self, _seen: &Seen) -> bool {
        self.approval.is_none()
    }

    fn keys(&self, _seen: &Seen) -> Vec<Binding> {
        if self.approval.is_some() {
            return keys::APPROVING.to_vec();
        }
        keys::CHAT.to_vec()
    }

    fn draw(&self, frame: &mut Frame, area: Rect, seen: &Seen, theme: Theme) {
        let status = self.status(seen);
        view::draw(frame, area, self, &status, seen, theme)
    }
}
