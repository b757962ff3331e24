//! The whole state (`App`) and `update`, which routes an `Action` to the screen it is for and
//! a bridge answer to the screen that asked. `update` does no I/O: the event loop performs the
//! returned `Effect`s. Screens that own their state (`screens/`) see the app through a `Ctx`.

use std::collections::HashMap;

use serde_json::Value;

pub use crate::action::{Action, Effect, Note, Screen, Tone};
use crate::context::{Ask, Ctx, Handoff, Shell};
use crate::protocol::{
    decode, request_line, Explained, Incoming, InitializeResult, ModelInfo, ProviderSchema, ProviderView, RpcError,
    PROTOCOL_VERSION,
};
pub use crate::screens::providers::{Browser, Pane};
use crate::screens::{chat, diagnostics, models, providers, save, welcome, wizard};

#[derive(Debug, Clone, PartialEq, Default)]
pub enum BridgeState {
    #[default]
    Starting,
    Ready {
        version: String,
    },
    Down(String),
}

/// What an answered request was for.
#[derive(Debug, Clone, PartialEq)]
pub enum Pending {
    Initialize,
    Schema,
    Profiles,
    Explain,
    Providers(providers::Request),
    Save(save::Request),
    Route,
    Models(models::Request),
    Diagnostics(diagnostics::Request),
    Wizard(wizard::Request),
    Chat(chat::Request),
}

pub const MAX_RESTARTS: u32 = 3;

/// `app.$method(|state, ctx| ...)`: lend the shell to the screen whose state is `app.$field`
/// for one call, then file the requests it sent as `$wrap(request)`.
/// After `$wrap`, `seen: Type = field.path` lends another part of the state read-only (the
/// wizard picks from the models' catalog), as one more argument of the call.
macro_rules! lend {
    ($method:ident, $field:ident, $state:ty, $request:ty, $wrap:expr $(, $seen:ident: $ty:ty = $($path:ident).+)?) => {
        pub fn $method(
            &mut self,
            call: impl FnOnce(&mut $state, &mut Ctx<'_, $request> $(, &$ty)?) -> Vec<Effect>,
        ) -> Vec<Effect> {
            let ready = self.ready();
            let shell = Shell {
                next_id: &mut self.next_id,
                note: &mut self.note,
                screen: &mut self.screen,
                help: &mut self.help,
                quitting: &mut self.quitting,
            };
            let mut ctx = Ctx::new(shell, self.now, ready, &self.profiles, &self.schemas);
            let mut out = call(&mut self.$field, &mut ctx $(, &self.$($path).+)?);
            let (asked, handed) = ctx.into_parts();
            self.file(asked, $wrap);
            for handoff in handed {
                out.extend(self.deliver(handoff));
            }
            out
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
    // the screens that own their state
    pub welcome: welcome::WelcomeState,
    pub providers: providers::ProvidersState,
    pub save: save::SaveState,
    pub models: models::ModelsState,
    pub diag: diagnostics::DiagState,
    pub wizard: wizard::WizardState,
    pub chat: chat::ChatState,
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

    /// Whether keys are text for a field now (global shortcuts are off).
    pub fn typing(&self) -> bool {
        if self.help {
            return false;
        }
        match self.screen {
            Screen::Providers => self.providers.typing(),
            Screen::Chat => true,
            Screen::Models => self.models.typing(),
            Screen::Diagnostics => self.diag.typing(),
            Screen::Wizard => self.wizard.typing(&self.profiles),
            Screen::Welcome | Screen::Save => false,
        }
    }

    /// The provider types a user can configure (the test double is not one of them).
    pub fn types(&self) -> Vec<&ProviderSchema> {
        providers::types(&self.schemas)
    }

    fn refresh(&mut self) -> Vec<Effect> {
        vec![
            self.request("providers/schema", Value::Null, Pending::Schema),
            self.request("providers/list", Value::Null, Pending::Profiles),
            self.request("config/explain", Value::Null, Pending::Explain),
            self.request("providers/current", Value::Null, Pending::Route),
        ]
    }

    /// The New-project wizard from its first step (the catalog read first when not yet read).
    pub fn open_wizard(&mut self) -> Vec<Effect> {
        self.screen = Screen::Wizard;
        self.wizard = wizard::WizardState::opened();
        if !self.models.loaded {
            return self.in_models(|models, ctx| models.load(ctx));
        }
        Vec::new()
    }

    pub fn ready(&self) -> bool {
        matches!(self.bridge, BridgeState::Ready { .. })
    }

    lend!(in_welcome, welcome, welcome::WelcomeState, welcome::Request, |request: welcome::Request| match request {});
    lend!(in_providers, providers, providers::ProvidersState, providers::Request, Pending::Providers);
    lend!(in_diag, diag, diagnostics::DiagState, diagnostics::Request, Pending::Diagnostics);
    lend!(in_save, save, save::SaveState, save::Request, Pending::Save);
    lend!(in_models, models, models::ModelsState, models::Request, Pending::Models);
    lend!(in_wizard, wizard, wizard::WizardState, wizard::Request, Pending::Wizard, catalog: [ModelInfo] = models.catalog);
    lend!(in_chat, chat, chat::ChatState, chat::Request, Pending::Chat);

    /// The chat's status line (model, provider, tokens, speed).
    pub fn chat_status(&self) -> String {
        self.chat.status(self.route.as_deref(), self.model.as_ref(), self.now)
    }

    /// What one screen handed to another.
    fn deliver(&mut self, handoff: Handoff) -> Vec<Effect> {
        match handoff {
            Handoff::Stage { profile, id } => {
                self.save.stage_new(profile, id, &self.profiles);
                Vec::new()
            }
            Handoff::Open(Screen::Models) => {
                self.screen = Screen::Models;
                self.in_models(|models, ctx| models.load(ctx))
            }
            Handoff::Open(Screen::Diagnostics) => self.in_diag(|diag, ctx| diag.open(ctx)),
            Handoff::Open(Screen::Wizard) => self.open_wizard(),
            Handoff::Open(screen) => {
                self.screen = screen;
                Vec::new()
            }
        }
    }

    /// File the requests a screen sent: its own under its name, the shared refreshes as the app's.
    fn file<P>(&mut self, asked: Vec<(u64, Ask<P>)>, wrap: fn(P) -> Pending) {
        for (id, ask) in asked {
            let pending = match ask {
                Ask::Own(request) => wrap(request),
                Ask::Profiles => Pending::Profiles,
                Ask::Route => Pending::Route,
                Ask::Explain => Pending::Explain,
            };
            self.pending.insert(id, pending);
        }
    }
}

/// What an action does. A key the current screen's table (`keymap`) does not list does nothing.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    if !crate::keymap::allows(app, &action) {
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
        Action::FileWritten(outcome) => app.in_diag(|diag, ctx| diag.exported(ctx, outcome)),
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
        _ => match app.screen {
            Screen::Welcome => app.in_welcome(|welcome, ctx| welcome.update(ctx, action)),
            Screen::Providers => app.in_providers(|providers, ctx| providers.update(ctx, action)),
            Screen::Save => app.in_save(|save, ctx| save.update(ctx, action)),
            Screen::Models => app.in_models(|models, ctx| models.update(ctx, action)),
            Screen::Diagnostics => app.in_diag(|diag, ctx| diag.update(ctx, action)),
            Screen::Wizard => app.in_wizard(|wizard, ctx, catalog| wizard.update(ctx, catalog, action)),
            Screen::Chat => app.in_chat(|chat, ctx| chat.update(ctx, action)),
        },
    }
}

fn bridge_message(app: &mut App, incoming: Incoming) -> Vec<Effect> {
    let (id, outcome) = match incoming {
        Incoming::Notification { method, params } => {
            return match method.as_str() {
                "models/download/progress" => app.in_models(|models, ctx| models.progress(ctx, params)),
                "generate/delta" => app.in_chat(|chat, ctx| chat.delta(ctx, params)),
                _ => Vec::new(),
            }
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
        Pending::Providers(request) => app.in_providers(|providers, ctx| providers.answered(ctx, request, outcome)),
        Pending::Save(request) => app.in_save(|save, ctx| save.answered(ctx, request, outcome)),
        Pending::Route => {
            take(app, "providers/current", outcome, |app, v: Vec<ProviderView>| {
                app.route = v.first().map(|p| p.id.clone());
            });
            Vec::new()
        }
        Pending::Models(request) => app.in_models(|models, ctx| models.answered(ctx, request, outcome)),
        Pending::Diagnostics(request) => app.in_diag(|diag, ctx| diag.answered(ctx, request, outcome)),
        Pending::Wizard(request) => app.in_wizard(|wizard, ctx, _| wizard.answered(ctx, request, outcome)),
        Pending::Chat(request) => app.in_chat(|chat, ctx| chat.answered(ctx, request, outcome)),
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
    app.providers.on_bridge_lost();
    app.save.on_bridge_lost();
    app.diag.on_bridge_lost();
    app.wizard.on_bridge_lost();
    app.models.on_bridge_lost();
    app.chat.on_bridge_lost();
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
