//! What a screen sees of the rest of the app. Read-only, everywhere (`Seen`): what the bridge
//! reported, the clock, the spinner's frame and the few facts of other screens one shows. While
//! it changes something (`Ctx`, which also reads as a `Seen`): sending a bridge request, the
//! status line's note, moving to another screen, handing something to another screen, quitting.
//! A screen owns its state and takes these instead of the whole `App`, so it cannot reach into
//! another screen's fields; the app files the requests a screen sent under its name.

use std::ops::Deref;

use serde_json::Value;

use crate::action::{Effect, Note, Screen, Tone};
use crate::protocol::{decode, request_line, Explained, ModelInfo, ProviderSchema, ProviderView, RpcError, ToolList};

/// The rest of the app as a screen sees it, read-only.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    /// Seconds since start (speeds, ETAs).
    pub now: f64,
    /// Whether the bridge has answered the handshake.
    pub ready: bool,
    /// Why the bridge is down, when it is.
    pub bridge_down: Option<&'a str>,
    /// The busy marker's frame now.
    pub spinner: &'static str,
    /// Whether the help overlay is open over the screen.
    pub help: bool,
    pub profiles: &'a [ProviderView],
    pub schemas: &'a [ProviderSchema],
    /// What the configuration resolves the model to (`config/explain`).
    pub model: Option<&'a Explained>,
    /// The provider profile generation goes to first (`providers/current`).
    pub route: Option<&'a str>,
    /// The tools the bridge offers chats (`tools/list`, asked after each handshake).
    pub tools: Option<&'a ToolList>,
    /// The models' catalog (the wizard picks from it) and whether it was read. Empty while the
    /// Models screen itself runs: a screen reads its own state, not itself through `Seen`.
    pub catalog: &'a [ModelInfo],
    pub catalog_loaded: bool,
    /// How many profiles Build/Save holds unsaved (Welcome shows the count).
    pub unsaved: usize,
}

/// A request a screen sent: its own kind, answered back to it, or a shared refresh the app
/// answers itself (the profile list and the route, which several screens show).
#[derive(Debug, Clone, PartialEq)]
pub enum Ask<P> {
    Own(P),
    Profiles,
    Route,
    Explain,
}

/// Something a screen hands to another screen; the app delivers it after the call.
#[derive(Debug, Clone, PartialEq)]
pub enum Handoff {
    /// A profile the provider form saved, for Build/Save to stage (`id`: the profile's id).
    Stage { profile: Value, id: String },
    /// Open a screen and let it read what it shows (`Page::opened`).
    Open(Screen),
    /// Have the Models screen read the catalog, without opening it (the wizard picks from it).
    ReadCatalog,
}

impl<P> Ask<P> {
    /// The same ask, its own kind wrapped (as the app files it).
    pub fn map<Q>(self, wrap: impl FnOnce(P) -> Q) -> Ask<Q> {
        match self {
            Ask::Own(request) => Ask::Own(wrap(request)),
            Ask::Profiles => Ask::Profiles,
            Ask::Route => Ask::Route,
            Ask::Explain => Ask::Explain,
        }
    }
}

/// The app's shell, borrowed for one call into a screen. `P` is the screen's pending-request kind.
pub struct Ctx<'a, P> {
    next_id: &'a mut u64,
    asked: Vec<(u64, Ask<P>)>,
    handed: Vec<Handoff>,
    note: &'a mut Option<Note>,
    screen: &'a mut Screen,
    help: &'a mut bool,
    quitting: &'a mut bool,
    seen: Seen<'a>,
}

impl<'a, P> Deref for Ctx<'a, P> {
    type Target = Seen<'a>;

    fn deref(&self) -> &Seen<'a> {
        &self.seen
    }
}

/// The shell's fields a `Ctx` borrows mutably (the app's own fields, lent for one call).
pub struct Shell<'a> {
    pub next_id: &'a mut u64,
    pub note: &'a mut Option<Note>,
    pub screen: &'a mut Screen,
    pub help: &'a mut bool,
    pub quitting: &'a mut bool,
}

impl Shell<'_> {
    /// The same fields, lent again for a shorter while (one shell serves several screens).
    pub fn reborrow(&mut self) -> Shell<'_> {
        Shell {
            next_id: &mut *self.next_id,
            note: &mut *self.note,
            screen: &mut *self.screen,
            help: &mut *self.help,
            quitting: &mut *self.quitting,
        }
    }
}

impl<'a, P> Ctx<'a, P> {
    pub fn new(shell: Shell<'a>, seen: Seen<'a>) -> Self {
        let Shell { next_id, note, screen, help, quitting } = shell;
        Ctx { next_id, asked: Vec::new(), handed: Vec::new(), note, screen, help, quitting, seen }
    }

    /// The requests sent through this context, with their ids, for the app to file; and what
    /// was handed to other screens, for the app to deliver.
    pub fn into_parts(self) -> (Vec<(u64, Ask<P>)>, Vec<Handoff>) {
        (self.asked, self.handed)
    }

    pub fn hand(&mut self, handoff: Handoff) {
        self.handed.push(handoff);
    }

    fn send(&mut self, method: &str, params: Value, ask: Ask<P>) -> Effect {
        let id = *self.next_id;
        *self.next_id += 1;
        self.asked.push((id, ask));
        Effect::Send(request_line(id, method, params))
    }

    /// A request whose answer comes back to the screen as `pending`.
    pub fn request(&mut self, method: &str, params: Value, pending: P) -> Effect {
        self.send(method, params, Ask::Own(pending))
    }

    /// `request`, with the id (to cancel it or to match its notifications).
    pub fn call(&mut self, method: &str, params: Value, pending: P) -> (u64, Effect) {
        let id = *self.next_id;
        (id, self.request(method, params, pending))
    }

    /// Ask again for the profiles and the route (after the configuration changed).
    pub fn reload_profiles(&mut self) -> Vec<Effect> {
        vec![
            self.send("providers/list", Value::Null, Ask::Profiles),
            self.send("providers/current", Value::Null, Ask::Route),
        ]
    }

    /// Ask again what the configuration resolves to (after the default model changed).
    pub fn reload_explain(&mut self) -> Effect {
        self.send("config/explain", Value::Null, Ask::Explain)
    }

    pub fn say(&mut self, tone: Tone, text: impl Into<String>) {
        *self.note = Some(Note { tone, text: text.into() });
    }

    /// A result decoded, or `None` with the reason on the status line.
    pub fn take<T: serde::de::DeserializeOwned>(
        &mut self,
        method: &str,
        outcome: Result<Value, RpcError>,
    ) -> Option<T> {
        match outcome.map_err(|e| e.describe()).and_then(|v| decode::<T>(method, v)) {
            Ok(value) => Some(value),
            Err(reason) => {
                self.say(Tone::Bad, reason);
                None
            }
        }
    }

    pub fn clear_note(&mut self) {
        *self.note = None;
    }

    pub fn go(&mut self, screen: Screen) {
        *self.screen = screen;
    }

    pub fn open_help(&mut self) {
        *self.help = true;
    }

    pub fn quit(&mut self) -> Vec<Effect> {
        *self.quitting = true;
        vec![Effect::Quit]
    }
}
