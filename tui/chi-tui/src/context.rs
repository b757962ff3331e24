//! What a screen's update sees of the rest of the app (`Ctx`): sending a bridge request, the
//! status line's note, moving to another screen, quitting, the clock and the profiles the bridge
//! reported. A screen owns its state and takes a `Ctx` instead of the whole `App`, so it cannot
//! reach into another screen's fields; the app files the requests a screen sent under its name.

use serde_json::Value;

use crate::action::{Effect, Note, Screen, Tone};
use crate::protocol::{decode, request_line, ProviderSchema, ProviderView, RpcError};

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
    /// Open a screen that loads something when it opens (Models, Diagnostics, New project).
    Open(Screen),
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
    /// Seconds since start (speeds, ETAs).
    pub now: f64,
    /// Whether the bridge has answered the handshake.
    pub ready: bool,
    pub profiles: &'a [ProviderView],
    pub schemas: &'a [ProviderSchema],
}

/// The shell's fields a `Ctx` borrows mutably (the app's own fields, lent for one call).
pub struct Shell<'a> {
    pub next_id: &'a mut u64,
    pub note: &'a mut Option<Note>,
    pub screen: &'a mut Screen,
    pub help: &'a mut bool,
    pub quitting: &'a mut bool,
}

impl<'a, P> Ctx<'a, P> {
    pub fn new(
        shell: Shell<'a>,
        now: f64,
        ready: bool,
        profiles: &'a [ProviderView],
        schemas: &'a [ProviderSchema],
    ) -> Self {
        let Shell { next_id, note, screen, help, quitting } = shell;
        Ctx {
            next_id,
            asked: Vec::new(),
            handed: Vec::new(),
            note,
            screen,
            help,
            quitting,
            now,
            ready,
            profiles,
            schemas,
        }
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
