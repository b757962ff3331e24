//! The whole state (`App`) and `update`, which routes an `Action` to the screen it is for and
//! a bridge answer to the screen that asked. `update` does no I/O: the event loop performs the
//! returned `Effect`s. The screens own their state (`screens/`) and see the app through a `Ctx`
//! or a `Seen`; the app reaches them through the registry (`Screens`), naming none of them
//! except to deliver what one hands to another.

use std::collections::HashMap;

use serde_json::Value;

pub use crate::action::{Action, Effect, Note, Screen, Tone};
use crate::context::{Ask, Ctx, Handoff, Seen, Shell};
use crate::keymap::{self, Binding, HELP_OPEN};
use crate::protocol::{
    decode, request_line, Explained, Incoming, InitializeResult, ProviderSchema, ProviderView, RpcError, ToolList,
    PROTOCOL_VERSION,
};
use crate::screens::models::ModelsState;
use crate::screens::{self, Lent, Screens, Slot};
use crate::theme::spinner;

#[derive(Debug, Clone, PartialEq, Default)]
pub enum BridgeState {
    #[default]
    Starting,
    Ready {
        version: String,
    },
    Down(String),
}

/// What an answered request was for: the app's own (the handshake and the shared refreshes),
/// or a screen's, under the screen's name.
#[derive(Debug, Clone, PartialEq)]
pub enum Pending {
    Initialize,
    Schema,
    Profiles,
    Explain,
    Route,
    Tools,
    Screen(screens::Request),
}

pub const MAX_RESTARTS: u32 = 3;

/// `seen!(app)`: what the screens see of the app itself (the registry adds what they see of
/// each other). A macro, not a method, so the same body works beside mutable borrows of the
/// app's other fields.
macro_rules! seen {
    ($app:expr) => {
        Seen {
            now: $app.now,
            ready: matches!($app.bridge, BridgeState::Ready { .. }),
            bridge_down: match &$app.bridge {
                BridgeState::Down(reason) => Some(reason.as_str()),
                _ => None,
            },
            spinner: spinner($app.tick),
            help: $app.help,
            profiles: &$app.profiles,
            schemas: &$app.schemas,
            model: $app.model.as_ref(),
            route: $app.route.as_deref(),
            tools: $app.tools.as_ref(),
            catalog: &[],
            catalog_loaded: false,
            unsaved: 0,
        }
    };
}

/// `Default` is the state before the handshake, on Welcome; `new` adds the log path.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct App {
    pub screen: Screen,
    pub help: bool,
    pub quitting: bool,
    pub note: Option<Note>,
    pub bridge: BridgeState,
    pub restarts: u32,
    /// When the bridge was (re)started, and whether a slow handshake was reported.
    pub starting_since: f64,
    pub slow_start_said: bool,
    pub log_path: String,
    pub next_id: u64,
    pub pending: HashMap<u64, Pending>,
    pub tick: u64,
    /// Seconds since start, set by the event loop (speeds, ETAs, tokens per second).
    pub now: f64,
    // what the bridge told us
    pub schemas: Vec<ProviderSchema>,
    pub profiles: Vec<ProviderView>,
    pub model: Option<Explained>,
    /// The provider profile generation goes to first (`providers/current`).
    pub route: Option<String>,
    /// The tools the bridge offers chats (`chi-llm ui --tool`), once it said.
    pub tools: Option<ToolList>,
    /// The screens, each owning its state.
    pub screens: Screens,
}

impl App {
    pub fn new(log_path: &str) -> Self {
        App { log_path: log_path.to_string(), next_id: 1, ..App::default() }
    }

    /// The first effects: the handshake.
    pub fn start(&mut self) -> Vec<Effect> {
        vec![self.request("initialize", Value::Null, Pending::Initialize)]
    }

    /// One of the app's own requests (the handshake and the shared refreshes); screens send
    /// theirs through a `Ctx`.
    fn request(&mut self, method: &str, params: Value, pending: Pending) -> Effect {
        let id = self.next_id;
        self.next_id += 1;
        self.pending.insert(id, pending);
        Effect::Send(request_line(id, method, params))
    }

    pub fn say(&mut self, tone: Tone, text: impl Into<String>) {
        self.note = Some(Note { tone, text: text.into() });
    }

    /// What the current screen sees of the rest of the app.
    pub fn seen(&self) -> Seen<'_> {
        self.screens.seen(seen!(self))
    }

    /// Whether keys are text for a field now (global shortcuts are off).
    pub fn typing(&self) -> bool {
        !self.help && self.screens.typing(self.screen, &self.seen())
    }

    /// The keys that work now: the help overlay's while it is open, else the screen's.
    pub fn keys(&self) -> Vec<Binding> {
        if self.help {
            return HELP_OPEN.to_vec();
        }
        self.screen_keys()
    }

    /// The keys the screen answers to in its present state (what the help overlay lists).
    pub fn screen_keys(&self) -> Vec<Binding> {
        self.screens.keys(self.screen, &self.seen())
    }

    /// The current screen's name, as the header and the help overlay say it.
    pub fn title(&self) -> &'static str {
        Screens::title(self.screen)
    }

    fn refresh(&mut self) -> Vec<Effect> {
        vec![
            self.request("providers/schema", Value::Null, Pending::Schema),
            self.request("providers/list", Value::Null, Pending::Profiles),
            self.request("config/explain", Value::Null, Pending::Explain),
            self.request("providers/current", Value::Null, Pending::Route),
            self.request("tools/list", Value::Null, Pending::Tools),
        ]
    }

    pub fn ready(&self) -> bool {
        matches!(self.bridge, BridgeState::Ready { .. })
    }

    /// Lend the screens the app's shell and what they see for one call through the registry,
    /// then file the requests they sent and deliver what they handed to each other.
    fn through(
        &mut self,
        call: impl FnOnce(&mut Screens, Shell<'_>, Seen<'_>) -> Lent<screens::Request>,
    ) -> Vec<Effect> {
        let seen = seen!(self);
        let shell = Shell {
            next_id: &mut self.next_id,
            note: &mut self.note,
            screen: &mut self.screen,
            help: &mut self.help,
            quitting: &mut self.quitting,
        };
        let Lent { mut effects, asked, handed } = call(&mut self.screens, shell, seen);
        self.file(asked);
        for handoff in handed {
            effects.extend(self.deliver(handoff));
        }
        effects
    }

    /// One call into screen `S` (the registry's `lend`).
    fn lend<S: Slot>(&mut self, call: impl FnOnce(&mut S, &mut Ctx<'_, S::Request>) -> Vec<Effect>) -> Vec<Effect> {
        self.through(|screens, shell, seen| screens.lend::<S>(shell, seen, call))
    }

    /// What one screen handed to another.
    fn deliver(&mut self, handoff: Handoff) -> Vec<Effect> {
        match handoff {
            Handoff::Stage { profile, id } => {
                self.screens.save.stage_new(profile, id, &self.profiles);
                Vec::new()
            }
            Handoff::Open(screen) => {
                self.screen = screen;
                self.through(|screens, shell, seen| screens.opened(screen, shell, seen))
            }
            Handoff::ReadCatalog => self.lend(|models: &mut ModelsState, ctx| models.load(ctx)),
        }
    }

    /// File the requests screens sent: their own under their name, the shared refreshes as the app's.
    fn file(&mut self, asked: Vec<(u64, Ask<screens::Request>)>) {
        for (id, ask) in asked {
            let pending = match ask {
                Ask::Own(request) => Pending::Screen(request),
                Ask::Profiles => Pending::Profiles,
                Ask::Route => Pending::Route,
                Ask::Explain => Pending::Explain,
            };
            self.pending.insert(id, pending);
        }
    }
}

/// What an action does. A key the current screen's table (`Page::keys`) does not list does nothing.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    if !keymap::allows(&action, app.typing(), || app.keys()) {
        return Vec::new();
    }
    dispatch(app, action)
}

/// `update` without the key table's check: the screens' own handling (tests compare the two).
pub fn dispatch(app: &mut App, action: Action) -> Vec<Effect> {
    match action {
        Action::Tick => {
            app.tick = app.tick.wrapping_add(1);
            slow_start(app);
            Vec::new()
        }
        Action::Quit => {
            app.quitting = true;
            vec![Effect::Quit]
        }
        Action::Bridge(incoming) => bridge_message(app, incoming),
        Action::BridgeGarbled(text) => {
            app.say(Tone::Bad, text);
            Vec::new()
        }
        Action::BridgeExited(how) => bridge_exited(app, &how),
        Action::FileWritten(outcome) => app.through(|screens, shell, seen| screens.written(shell, seen, &outcome)),
        Action::Help => {
            app.help = !app.help;
            Vec::new()
        }
        _ if app.help => {
            if matches!(action, Action::Esc | Action::Enter | Action::Char('q') | Action::Char('?')) {
                app.help = false;
            }
            Vec::new()
        }
        _ => {
            let screen = app.screen;
            app.through(|screens, shell, seen| screens.update(screen, shell, seen, action))
        }
    }
}

fn bridge_message(app: &mut App, incoming: Incoming) -> Vec<Effect> {
    let (id, outcome) = match incoming {
        Incoming::Notification { method, params } => {
            return app.through(|screens, shell, seen| screens.notified(shell, seen, &method, params));
        }
        Incoming::Response { id, outcome } => (id, outcome),
    };
    let Some(pending) = id.as_u64().and_then(|id| app.pending.remove(&id)) else {
        return Vec::new(); // an answer to a request the app no longer waits for
    };
    match pending {
        Pending::Initialize => initialized(app, outcome),
        Pending::Schema => {
            take(app, "providers/schema", outcome, |app, v| app.schemas = v);
            Vec::new()
        }
        Pending::Profiles => {
            take(app, "providers/list", outcome, |app, v| app.profiles = v);
            Vec::new()
        }
        Pending::Explain => {
            take(app, "config/explain", outcome, |app, v: HashMap<String, Explained>| {
                app.model = v.get("model").cloned();
            });
            Vec::new()
        }
        Pending::Route => {
            take(app, "providers/current", outcome, |app, v: Vec<ProviderView>| {
                app.route = v.first().map(|p| p.id.clone());
            });
            Vec::new()
        }
        Pending::Tools => {
            take(app, "tools/list", outcome, |app, list: ToolList| {
                if let Some(error) = list.errors.first() {
                    app.say(Tone::Bad, format!("Tools from {} not loaded: {}", error.source, error.message));
                }
                app.tools = Some(list);
            });
            Vec::new()
        }
        Pending::Screen(request) => app.through(|screens, shell, seen| screens.answered(request, shell, seen, outcome)),
    }
}

/// A result decoded into what the app keeps, or the reason shown.
fn take<T: serde::de::DeserializeOwned>(
    app: &mut App,
    method: &str,
    outcome: Result<Value, RpcError>,
    keep: impl FnOnce(&mut App, T),
) -> bool {
    match outcome.map_err(|e| e.describe()).and_then(|v| decode::<T>(method, v)) {
        Ok(value) => {
            keep(app, value);
            true
        }
        Err(reason) => {
            app.say(Tone::Bad, reason);
            false
        }
    }
}

fn initialized(app: &mut App, outcome: Result<Value, RpcError>) -> Vec<Effect> {
    let mut hello = None;
    if !take(app, "initialize", outcome, |_, v: InitializeResult| hello = Some(v)) {
        app.bridge = BridgeState::Down("the bridge refused the handshake".into());
        return Vec::new();
    }
    let Some(hello) = hello else { return Vec::new() };
    if hello.protocol_version != PROTOCOL_VERSION {
        app.bridge = BridgeState::Down(format!(
            "chi-llm {} speaks bridge protocol {}, this chi-tui speaks {PROTOCOL_VERSION}: install matching versions (scripts/setup.sh)",
            hello.chi_llm_version, hello.protocol_version
        ));
        return Vec::new();
    }
    app.bridge = BridgeState::Ready { version: hello.chi_llm_version };
    app.refresh()
}

fn bridge_exited(app: &mut App, how: &str) -> Vec<Effect> {
    if app.quitting {
        return Vec::new();
    }
    app.pending.clear();
    app.tools = None; // the fresh bridge is asked again
    app.screens.on_bridge_lost();
    app.restarts += 1;
    if app.restarts > MAX_RESTARTS {
        let reason = format!("the bridge stopped {} times ({how}); see {}", app.restarts, app.log_path);
        app.bridge = BridgeState::Down(reason.clone());
        app.say(Tone::Bad, reason);
        return Vec::new();
    }
    app.bridge = BridgeState::Starting;
    app.starting_since = app.now;
    app.slow_start_said = false;
    app.say(Tone::Bad, format!("The bridge stopped ({how}); restarted it. Details: {}", app.log_path));
    let mut effects = vec![Effect::RestartBridge];
    effects.extend(app.start());
    effects
}

/// Seconds without a handshake before the wait is explained (importing chi_llm takes a second
/// or two; a cold disk or a broken environment much longer).
pub const SLOW_START: f64 = 30.0;

/// A slow start and a hung one look the same from here: say what is happening, once, and keep
/// waiting.
fn slow_start(app: &mut App) {
    if app.bridge == BridgeState::Starting && !app.slow_start_said && app.now - app.starting_since > SLOW_START {
        app.slow_start_said = true;
        let waited = app.now - app.starting_since;
        app.say(
            Tone::Bad,
            format!("The bridge has not answered for {waited:.0} s; still waiting. Details: {}", app.log_path),
        );
    }
}
