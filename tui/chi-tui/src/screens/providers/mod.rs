//! Configure Provider: the type list, the generated form, the model browser, find-url, and a
//! Test that must pass before Save adds the profile to the configuration being built.

use ratatui::layout::Rect;
use ratatui::Frame;
use serde_json::{json, Value};

mod form_view;
mod keys;
mod view;

use crate::action::{Action, Effect, Screen, Tone};
use crate::context::Handoff;
use crate::context::Seen;
use crate::form::{Button, Form, Tested};
use crate::keymap::Binding;
use crate::page::Page;
use crate::protocol::{decode, ConnectionReport, ProviderSchema, RpcError, ServedModel, UrlSearch};
use crate::theme::Theme;

/// The requests this screen sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// `providers/test` of the form as it was (`fingerprint`: the profile sent).
    Test { fingerprint: String },
    /// `providers/discover`: the model browser's list.
    Discover,
    /// `providers/find_url`: a server of the form's type on this machine.
    FindUrl,
}

type Ctx<'a> = crate::context::Ctx<'a, Request>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Types,
    Form,
}

/// The model browser: the server's models, to pick the form's `model` from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Browser {
    pub models: Vec<ServedModel>,
    pub selected: usize,
    pub loading: bool,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProvidersState {
    pub pane: Pane,
    pub type_selected: usize,
    pub form: Option<Form>,
    pub browser: Option<Browser>,
    /// A connection test is running (its answer is awaited; another is not sent).
    pub testing: bool,
}

impl Default for ProvidersState {
    fn default() -> Self {
        ProvidersState { pane: Pane::Types, type_selected: 0, form: None, browser: None, testing: false }
    }
}

/// The provider types a user can configure (the test double is not one of them).
pub fn types(schemas: &[ProviderSchema]) -> Vec<&ProviderSchema> {
    schemas.iter().filter(|s| s.kind != "fake").collect()
}

impl ProvidersState {
    fn type_keys(&mut self, ctx: &mut Ctx, action: Action) -> Vec<Effect> {
        let count = types(ctx.schemas).len();
        match action {
            Action::Up | Action::Char('k') if count > 0 => {
                self.type_selected = (self.type_selected + count - 1) % count
            }
            Action::Down | Action::Char('j') if count > 0 => self.type_selected = (self.type_selected + 1) % count,
            Action::Enter | Action::Tab | Action::Right => {
                let schema = types(ctx.schemas).get(self.type_selected).map(|s| (*s).clone());
                if let Some(schema) = schema {
                    self.form = Some(Form::new(&schema));
                    self.pane = Pane::Form;
                    ctx.clear_note();
                }
            }
            Action::Esc | Action::Left => ctx.go(Screen::Welcome),
            Action::Char('q') => return ctx.quit(),
            Action::Char('?') => ctx.open_help(),
            Action::Char('s') => ctx.go(Screen::Save),
            _ => {}
        }
        Vec::new()
    }

    fn form_keys(&mut self, ctx: &mut Ctx, action: Action) -> Vec<Effect> {
        let Some(form) = self.form.as_mut() else {
            self.pane = Pane::Types;
            return Vec::new();
        };
        match action {
            Action::Up | Action::BackTab => form.previous(),
            Action::Down | Action::Tab => form.next(),
            Action::Left => form.horizontal(-1),
            Action::Right => form.horizontal(1),
            Action::Insert(c) => form.insert(c),
            Action::Backspace => form.backspace(),
            Action::Delete => form.delete(),
            Action::ClearLine => form.clear_line(),
            Action::Home => form.home(false),
            Action::End => form.home(true),
            Action::Esc => {
                self.pane = Pane::Types;
                ctx.clear_note();
            }
            Action::Char('k') => form.previous(),
            Action::Char('j') => form.next(),
            Action::Char('q') => return ctx.quit(),
            Action::Char('?') => ctx.open_help(),
            Action::Test => return self.press(ctx, Button::Test),
            Action::Save => return self.press(ctx, Button::Save),
            Action::FindUrl => return self.press(ctx, Button::FindUrl),
            Action::Browse => return self.press(ctx, Button::Models),
            Action::Enter => {
                if let Some(button) = form.focused_button() {
                    return self.press(ctx, button);
                }
                if form.focused_field().is_some_and(|f| f.name == "model") && form.buttons.contains(&Button::Models) {
                    return self.press(ctx, Button::Models);
                }
                if !form.toggle() {
                    form.next();
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn press(&mut self, ctx: &mut Ctx, button: Button) -> Vec<Effect> {
        let Some(form) = self.form.as_ref() else {
            return Vec::new();
        };
        if !form.buttons.contains(&button) {
            return Vec::new();
        }
        if !ctx.ready {
            ctx.say(Tone::Bad, "The bridge is not ready yet; wait a moment and try again");
            return Vec::new();
        }
        match button {
            Button::Test => self.test(ctx),
            Button::Save => self.save(ctx),
            Button::FindUrl => self.find_url(ctx),
            Button::Models => self.browse(ctx),
        }
    }

    /// The form's profile, or the reason it is not one yet (shown; nothing is sent).
    fn checked_profile(&self, ctx: &mut Ctx) -> Option<Value> {
        let outcome = self.form.as_ref()?.profile();
        outcome.map_err(|reason| ctx.say(Tone::Bad, reason)).ok()
    }

    fn test(&mut self, ctx: &mut Ctx) -> Vec<Effect> {
        if self.testing {
            return Vec::new();
        }
        let Some(profile) = self.checked_profile(ctx) else {
            return Vec::new();
        };
        let fingerprint = profile.to_string();
        ctx.say(Tone::Busy, format!("Testing {}…", profile["type"].as_str().unwrap_or("the provider")));
        self.testing = true;
        vec![ctx.request("providers/test", json!({"provider": profile}), Request::Test { fingerprint })]
    }

    fn tested(&mut self, ctx: &mut Ctx, fingerprint: String, outcome: Result<Value, RpcError>) {
        self.testing = false;
        let report = match outcome {
            Ok(value) => serde_json::from_value::<ConnectionReport>(value).unwrap_or_else(|e| failed(e.to_string())),
            Err(error) => failed(error.describe()),
        };
        if report.ok {
            let served =
                if report.models.is_empty() { String::new() } else { format!(", {} model(s)", report.models.len()) };
            ctx.say(Tone::Good, format!("Test passed ({:.0} ms{served}): {}", report.latency_ms, report.message));
        } else {
            ctx.say(Tone::Bad, format!("Test failed — {}", report.message));
        }
        if let Some(form) = self.form.as_mut() {
            form.tested = Some(Tested { fingerprint, report });
        }
    }

    /// Save: hand the profile to Build/Save (which stages it) and go there.
    fn save(&mut self, ctx: &mut Ctx) -> Vec<Effect> {
        let Some(form) = self.form.as_ref() else {
            return Vec::new();
        };
        match form.save_check() {
            Err(reason) => ctx.say(Tone::Bad, reason),
            Ok(profile) => {
                let id = form.profile_id();
                ctx.hand(Handoff::Stage { profile, id: id.clone() });
                self.form = None;
                self.pane = Pane::Types;
                ctx.go(Screen::Save);
                ctx.say(Tone::Good, format!("Profile '{id}' is ready: choose where to write it and press Enter"));
            }
        }
        Vec::new()
    }

    fn find_url(&mut self, ctx: &mut Ctx) -> Vec<Effect> {
        let Some(form) = self.form.as_ref() else {
            return Vec::new();
        };
        let kind = form.provider_type.clone();
        ctx.say(Tone::Busy, format!("Looking for a {kind} server on this machine…"));
        vec![ctx.request("providers/find_url", json!({"type": kind}), Request::FindUrl)]
    }

    fn found_url(&mut self, ctx: &mut Ctx, outcome: Result<Value, RpcError>) {
        if let Some(search) = ctx.take::<UrlSearch>("providers/find_url", outcome) {
            match (&search.base_url, self.form.as_mut()) {
                (Some(url), Some(form)) if search.ok => {
                    form.set("base_url", url);
                    ctx.say(Tone::Good, format!("Found {} at {url}", search.provider));
                }
                _ => ctx.say(Tone::Bad, search.message),
            }
        }
    }

    fn browse(&mut self, ctx: &mut Ctx) -> Vec<Effect> {
        let Some(profile) = self.checked_profile(ctx) else {
            return Vec::new();
        };
        self.browser = Some(Browser { loading: true, ..Browser::default() });
        vec![ctx.request("providers/discover", json!({"provider": profile}), Request::Discover)]
    }

    fn discovered(&mut self, ctx: &mut Ctx, outcome: Result<Value, RpcError>) {
        let listed =
            outcome.map_err(|e| e.describe()).and_then(|v| decode::<Vec<ServedModel>>("providers/discover", v));
        let current = self.form.as_ref().and_then(|f| f.field("model")).map(|f| f.value.clone());
        let Some(browser) = self.browser.as_mut() else { return };
        browser.loading = false;
        match listed {
            Ok(models) => {
                browser.selected = models.iter().position(|m| Some(&m.id) == current.as_ref()).unwrap_or(0);
                browser.models = models;
                ctx.clear_note();
            }
            Err(reason) => {
                browser.error = Some(reason.clone());
                ctx.say(Tone::Bad, reason);
            }
        }
    }

    fn browse_keys(&mut self, ctx: &mut Ctx, action: Action) -> Vec<Effect> {
        let Some(browser) = self.browser.as_mut() else {
            return Vec::new();
        };
        let count = browser.models.len();
        match action {
            Action::Up | Action::Char('k') | Action::BackTab if count > 0 => {
                browser.selected = (browser.selected + count - 1) % count;
            }
            Action::Down | Action::Char('j') | Action::Tab if count > 0 => {
                browser.selected = (browser.selected + 1) % count
            }
            Action::Enter => {
                let chosen = browser.models.get(browser.selected).map(|m| m.id.clone());
                self.browser = None;
                if let (Some(id), Some(form)) = (chosen, self.form.as_mut()) {
                    form.set("model", &id);
                    ctx.say(Tone::Info, format!("Model set to {id}; Test again before saving"));
                }
            }
            Action::Esc | Action::Char('q') => self.browser = None,
            _ => {}
        }
        Vec::new()
    }
}

impl Page for ProvidersState {
    type Request = Request;
    const TITLE: &'static str = "Configure Provider";

    fn update(&mut self, ctx: &mut Ctx, action: Action) -> Vec<Effect> {
        if self.browser.is_some() {
            return self.browse_keys(ctx, action);
        }
        match self.pane {
            Pane::Types => self.type_keys(ctx, action),
            Pane::Form => self.form_keys(ctx, action),
        }
    }

    fn answered(&mut self, ctx: &mut Ctx, request: Request, outcome: Result<Value, RpcError>) -> Vec<Effect> {
        match request {
            Request::Test { fingerprint } => self.tested(ctx, fingerprint, outcome),
            Request::Discover => self.discovered(ctx, outcome),
            Request::FindUrl => self.found_url(ctx, outcome),
        }
        Vec::new()
    }

    /// The bridge died: the test, the browser's list and the search it waited for will not come.
    fn on_bridge_lost(&mut self) {
        self.testing = false;
        if let Some(browser) = self.browser.as_mut() {
            browser.loading = false;
            browser.error = Some("the bridge stopped while listing models".into());
        }
    }

    /// Whether keys are text for a field now (a text field of the form has focus).
    fn typing(&self, _seen: &Seen) -> bool {
        self.browser.is_none() && self.pane == Pane::Form && self.form.as_ref().is_some_and(Form::typing)
    }

    fn keys(&self, _seen: &Seen) -> Vec<Binding> {
        keys::keys(self)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, seen: &Seen, theme: Theme) {
        view::draw(frame, area, self, seen.schemas, seen.ready, seen.spinner, theme)
    }
}

fn failed(message: String) -> ConnectionReport {
    ConnectionReport { ok: false, status: "error".into(), latency_ms: 0.0, message, models: Vec::new() }
}
