//! The project bootstrap wizard: folder, provider (local, a configured profile or a new one),
//! model, format, extras; then a preview of exactly the files `bootstrap/preview` returns, with
//! a diff against what is there; then Write, which sends the preview's `digest` back so the bridge
//! writes exactly what was shown (or refuses). Files left alone (`skip`) are replaced only after a
//! confirmation, which first previews the forced plan (overwrites with `.bak`, another
//! configuration file moved aside) and writes only when that one is accepted.

use ratatui::layout::Rect;
use ratatui::Frame;
use serde_json::{json, Value};

mod keys;
mod view;

use crate::action::{Action, Effect, Screen, Tone};
use crate::context::{Handoff, Seen};
use crate::input::TextInput;
use crate::keymap::Binding;
use crate::page::Page;
use crate::protocol::{decode, ModelInfo, ProjectPlan, ProviderView, RpcError};
use crate::theme::Theme;

/// The requests this screen sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// `bootstrap/preview`: the plan to show.
    Preview,
    /// `bootstrap/write`: the plan shown, written.
    Write,
    /// `providers/discover`: the chosen server's models (Ctrl+O on the model step).
    Discover,
}

type Ctx<'a> = crate::context::Ctx<'a, Request>;

pub const EXTRAS: [&str; 4] = ["standard", "rag", "full", "none"];
const NEW_TYPES: [&str; 5] = ["ollama", "lmstudio", "openai", "anthropic", "gemini"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Step {
    #[default]
    Folder,
    Provider,
    Model,
    Format,
    Extras,
    Preview,
    Done,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProviderChoice {
    pub label: String,
    pub kind: String,
    /// The configured profile this choice is, if any.
    pub profile: Option<String>,
    pub base_url: Option<String>,
    pub model: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct WizardState {
    pub step: Step,
    pub folder: TextInput,
    pub provider: usize,
    pub model: TextInput,
    pub local_model: usize,
    pub yaml: bool,
    pub extras: usize,
    pub plan: Option<ProjectPlan>,
    pub loading: bool,
    pub error: Option<String>,
    pub confirm: bool,
    /// The plan shown was asked for with `force`; its digest goes back with the write.
    pub forced: bool,
    pub digest: Option<String>,
    pub scroll: u16,
    /// The server's models (Ctrl+O on the model step), once listed; the chosen one.
    pub served: Option<Result<Vec<String>, String>>,
    pub served_selected: usize,
    pub discovering: bool,
}

/// The provider step's list: local, each configured profile, then each type at its defaults.
pub fn choices(profiles: &[ProviderView]) -> Vec<ProviderChoice> {
    let mut out = vec![ProviderChoice {
        label: "local — the embedded llama.cpp model".into(),
        kind: "local".into(),
        profile: None,
        base_url: None,
        model: None,
    }];
    for p in profiles.iter().filter(|p| p.kind != "fake" && p.kind != "local") {
        let url = p.settings.get("base_url").and_then(Value::as_str).map(String::from);
        let model = p.settings.get("model").and_then(Value::as_str).map(String::from);
        let at = url.as_ref().map_or(String::new(), |u| format!(" at {u}"));
        out.push(ProviderChoice {
            label: format!("profile {} — {}{at}", p.id, p.kind),
            kind: p.kind.clone(),
            profile: Some(p.id.clone()),
            base_url: url,
            model,
        });
    }
    for kind in NEW_TYPES {
        out.push(ProviderChoice {
            label: format!("{kind} — its default address"),
            kind: kind.into(),
            profile: None,
            base_url: None,
            model: None,
        });
    }
    out
}

impl WizardState {
    /// A fresh wizard, at the first step.
    pub fn fresh() -> Self {
        WizardState { folder: TextInput::new("."), ..WizardState::default() }
    }

    /// Whether keys are text now: the folder, or a server's model name.
    pub fn types_text(&self, profiles: &[ProviderView]) -> bool {
        match self.step {
            Step::Folder => true,
            Step::Model => !self.local(profiles) && self.served.is_none(),
            _ => false,
        }
    }

    fn local(&self, profiles: &[ProviderView]) -> bool {
        choices(profiles).get(self.provider).is_some_and(|c| c.kind == "local")
    }

    fn back(&mut self, ctx: &mut Ctx) {
        let w = self;
        w.confirm = false;
        w.step = match w.step {
            Step::Folder | Step::Done => {
                ctx.go(Screen::Welcome);
                Step::Folder
            }
            Step::Provider => Step::Folder,
            Step::Model => Step::Provider,
            Step::Format => Step::Model,
            Step::Extras => Step::Format,
            Step::Preview => Step::Extras,
        };
    }

    /// Ask the chosen provider which models it serves (a configured profile by its id, with its
    /// address and key; a new one at its type's defaults).
    fn discover(&mut self, ctx: &mut Ctx) -> Vec<Effect> {
        let Some(choice) = choices(ctx.profiles).get(self.provider).cloned() else { return Vec::new() };
        let provider = match &choice.profile {
            Some(id) => json!(id),
            None => json!({"type": choice.kind}),
        };
        self.discovering = true;
        self.served = Some(Ok(Vec::new()));
        vec![ctx.request("providers/discover", json!({"provider": provider}), Request::Discover)]
    }

    fn discovered(&mut self, outcome: Result<Value, RpcError>) {
        self.discovering = false;
        let listed = outcome
            .map_err(|e| e.describe())
            .and_then(|v| decode::<Vec<crate::protocol::ServedModel>>("providers/discover", v))
            .map(|models| models.into_iter().map(|m| m.id).collect::<Vec<_>>());
        if self.served.is_some() {
            let current = self.model.value.clone();
            self.served_selected = listed.as_ref().ok().and_then(|l| l.iter().position(|m| *m == current)).unwrap_or(0);
            self.served = Some(listed);
        }
    }

    fn served_keys(&mut self, action: Action) -> Vec<Effect> {
        let w = self;
        let count = match &w.served {
            Some(Ok(list)) => list.len(),
            _ => 0,
        };
        match action {
            Action::Up | Action::Char('k') => w.served_selected = w.served_selected.saturating_sub(1),
            Action::Down | Action::Char('j') => {
                w.served_selected = (w.served_selected + 1).min(count.saturating_sub(1))
            }
            Action::Enter => {
                if let Some(Ok(list)) = &w.served {
                    if let Some(model) = list.get(w.served_selected) {
                        w.model = TextInput::new(model);
                    }
                }
                w.served = None;
            }
            Action::Esc => w.served = None,
            _ => {}
        }
        Vec::new()
    }

    /// Files the plan leaves alone (`skip`: one that exists with other content, or the
    /// configuration file another one blocks), with why; `force` would change them.
    pub fn held_back(&self) -> Vec<(String, String)> {
        let Some(plan) = &self.plan else {
            return Vec::new();
        };
        plan.files
            .iter()
            .filter(|f| f.action == "skip")
            .map(|f| (f.path.clone(), f.reason.clone().unwrap_or_default()))
            .collect()
    }

    fn params(&self, profiles: &[ProviderView], catalog: &[ModelInfo], force: bool) -> Value {
        let choice = choices(profiles).get(self.provider).cloned();
        let kind = choice.as_ref().map_or("local".to_string(), |c| c.kind.clone());
        let model = if kind == "local" {
            catalog.get(self.local_model).map(|m| m.id.clone())
        } else {
            Some(self.model.value.trim().to_string()).filter(|m| !m.is_empty())
        };
        let mut out = json!({
            "path": self.folder.value.trim(),
            "provider": kind,
            "yaml": self.yaml,
            "extras": EXTRAS[self.extras],
            "force": force,
        });
        if let Some(model) = model {
            out["model"] = json!(model);
        }
        if let Some(url) = choice.and_then(|c| c.base_url) {
            out["base_url"] = json!(url);
        }
        out
    }

    fn preview(&mut self, ctx: &mut Ctx, catalog: &[ModelInfo], force: bool) -> Vec<Effect> {
        let w = &mut *self;
        w.step = Step::Preview;
        w.confirm = false;
        w.forced = force;
        w.loading = true;
        w.error = None;
        w.plan = None;
        w.digest = None;
        w.scroll = 0;
        let params = self.params(ctx.profiles, catalog, force);
        vec![ctx.request("bootstrap/preview", params, Request::Preview)]
    }

    /// Write the plan on screen: the same request, with its digest as `expect`.
    fn write(&mut self, ctx: &mut Ctx, catalog: &[ModelInfo]) -> Vec<Effect> {
        self.confirm = false;
        self.loading = true;
        let mut params = self.params(ctx.profiles, catalog, self.forced);
        if let Some(digest) = &self.digest {
            params["expect"] = json!(digest);
        }
        vec![ctx.request("bootstrap/write", params, Request::Write)]
    }

    fn planned(&mut self, ctx: &mut Ctx, written: bool, outcome: Result<Value, RpcError>) {
        self.loading = false;
        let digest = outcome.as_ref().ok().and_then(|v| v.get("digest")).and_then(Value::as_str).map(String::from);
        match outcome.map_err(|e| e.describe()).and_then(|v| decode::<ProjectPlan>("bootstrap", v)) {
            Ok(plan) => {
                self.digest = digest;
                if written {
                    ctx.say(Tone::Good, format!("Wrote the project files in {}", plan.folder));
                    self.step = Step::Done;
                }
                self.plan = Some(plan);
            }
            Err(reason) => {
                self.error = Some(reason.clone());
                ctx.say(Tone::Bad, reason);
            }
        }
    }
}

impl Page for WizardState {
    type Request = Request;
    const TITLE: &'static str = "New project";

    /// A key; the local choice picks from the models' catalog (`ctx.catalog`).
    fn update(&mut self, ctx: &mut Ctx, action: Action) -> Vec<Effect> {
        let catalog = ctx.catalog;
        if self.served.is_some() {
            return self.served_keys(action);
        }
        if action == Action::Esc {
            self.back(ctx);
            return Vec::new();
        }
        if self.step == Step::Model && action == Action::Browse && !self.local(ctx.profiles) {
            return self.discover(ctx);
        }
        if self.types_text(ctx.profiles) {
            let input = if self.step == Step::Folder { &mut self.folder } else { &mut self.model };
            if input.edit(&action) {
                return Vec::new();
            }
        } else if matches!(action, Action::Char('q')) {
            return ctx.quit();
        }
        let is_local = self.local(ctx.profiles);
        let count = catalog.len();
        let w = &mut *self;
        match (w.step, action) {
            (Step::Folder, Action::Enter) if !w.folder.value.trim().is_empty() => w.step = Step::Provider,
            (Step::Provider, Action::Up | Action::Char('k')) => w.provider = w.provider.saturating_sub(1),
            (Step::Provider, Action::Down | Action::Char('j')) => w.provider += 1,
            (Step::Provider, Action::Enter) => {
                if let Some(choice) = choices(ctx.profiles).get(w.provider).cloned() {
                    w.model = TextInput::new(choice.model.as_deref().unwrap_or(""));
                    w.local_model = catalog.iter().position(|m| m.current).unwrap_or(0);
                    w.step = Step::Model;
                }
            }
            (Step::Model, Action::Up | Action::Char('k')) if is_local => {
                w.local_model = w.local_model.saturating_sub(1)
            }
            (Step::Model, Action::Down | Action::Char('j')) if is_local => {
                w.local_model = (w.local_model + 1).min(count.saturating_sub(1));
            }
            (Step::Model, Action::Enter) => w.step = Step::Format,
            (Step::Format, Action::Up | Action::Down | Action::Left | Action::Right | Action::Char('j' | 'k')) => {
                w.yaml = !w.yaml
            }
            (Step::Format, Action::Enter) => w.step = Step::Extras,
            (Step::Extras, Action::Up | Action::Char('k')) => w.extras = w.extras.saturating_sub(1),
            (Step::Extras, Action::Down | Action::Char('j')) => w.extras = (w.extras + 1).min(EXTRAS.len() - 1),
            (Step::Extras, Action::Enter) => return w.preview(ctx, catalog, false),
            (Step::Preview, Action::Up | Action::Char('k')) => w.scroll = w.scroll.saturating_sub(1),
            (Step::Preview, Action::Down | Action::Char('j')) => w.scroll = w.scroll.saturating_add(1),
            (Step::Preview, Action::PageUp) => w.scroll = w.scroll.saturating_sub(10),
            (Step::Preview, Action::PageDown) => w.scroll = w.scroll.saturating_add(10),
            (Step::Preview, Action::Char('y')) if w.confirm => return w.preview(ctx, catalog, true),
            (Step::Preview, Action::Char('n')) if w.confirm => return w.write(ctx, catalog),
            (Step::Preview, Action::Enter | Action::Char('w')) if !w.loading && w.plan.is_some() => {
                if w.forced || w.held_back().is_empty() {
                    return w.write(ctx, catalog);
                }
                w.confirm = true;
            }
            (Step::Done, Action::Enter) => ctx.go(Screen::Welcome),
            _ => {}
        }
        let count = choices(ctx.profiles).len();
        self.provider = self.provider.min(count.saturating_sub(1));
        Vec::new()
    }

    fn answered(&mut self, ctx: &mut Ctx, request: Request, outcome: Result<Value, RpcError>) -> Vec<Effect> {
        match request {
            Request::Preview => self.planned(ctx, false, outcome),
            Request::Write => self.planned(ctx, true, outcome),
            Request::Discover => self.discovered(outcome),
        }
        Vec::new()
    }

    /// From the first step; the models' catalog is read first when not yet read.
    fn opened(&mut self, ctx: &mut Ctx) -> Vec<Effect> {
        *self = WizardState::fresh();
        if !ctx.catalog_loaded {
            ctx.hand(Handoff::ReadCatalog);
        }
        Vec::new()
    }

    /// The bridge died: the plan and the server's models it was asked for will not come.
    fn on_bridge_lost(&mut self) {
        self.loading = false;
        self.discovering = false;
    }

    fn typing(&self, seen: &Seen) -> bool {
        self.types_text(seen.profiles)
    }

    fn keys(&self, seen: &Seen) -> Vec<Binding> {
        keys::keys(self, seen.profiles)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, seen: &Seen, theme: Theme) {
        view::draw(frame, area, self, seen.profiles, seen.catalog, seen.spinner, theme)
    }
}

/// A line diff (longest common subsequence): ' ' kept, '-' removed, '+' added.
pub fn diff(old: &str, new: &str) -> Vec<(char, String)> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut table = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            table[i][j] = if a[i] == b[j] { table[i + 1][j + 1] + 1 } else { table[i + 1][j].max(table[i][j + 1]) };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push((' ', a[i].to_string()));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || table[i][j + 1] >= table[i + 1][j]) {
            out.push(('+', b[j].to_string()));
            j += 1;
        } else {
            out.push(('-', a[i].to_string()));
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::diff;

    #[test]
    fn a_diff_keeps_what_is_common() {
        let got = diff("a\nb\nc\n", "a\nx\nc\nd\n");
        let want = vec![(' ', "a"), ('+', "x"), ('-', "b"), (' ', "c"), ('+', "d")];
        assert_eq!(got, want.into_iter().map(|(c, s)| (c, s.to_string())).collect::<Vec<_>>());
    }
}
