//! The project bootstrap wizard: folder, provider (local, a configured profile or a new one),
//! model, format, extras; then a preview of exactly the files `bootstrap/preview` returns, with
//! a diff against what is there; then Write, which sends the preview's `digest` back so the bridge
//! writes exactly what was shown (or refuses). Files left alone (`skip`) are replaced only after a
//! confirmation, which first previews the forced plan (overwrites with `.bak`, another
//! configuration file moved aside) and writes only when that one is accepted.

use serde_json::{json, Value};

use crate::app::{Action, App, Effect, Pending, Screen, Tone};
use crate::input::TextInput;
use crate::protocol::{decode, ProjectPlan, RpcError};

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

pub fn open(app: &mut App) -> Vec<Effect> {
    app.screen = Screen::Wizard;
    app.wizard = WizardState { folder: TextInput::new("."), ..WizardState::default() };
    if !app.models.loaded {
        return app.in_models(|models, ctx| models.load(ctx));
    }
    Vec::new()
}

pub fn choices(app: &App) -> Vec<ProviderChoice> {
    let mut out = vec![ProviderChoice {
        label: "local — the embedded llama.cpp model".into(),
        kind: "local".into(),
        profile: None,
        base_url: None,
        model: None,
    }];
    for p in app.profiles.iter().filter(|p| p.kind != "fake" && p.kind != "local") {
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

/// Whether keys are text now: the folder, or a server's model name.
pub fn typing(app: &App) -> bool {
    match app.wizard.step {
        Step::Folder => true,
        Step::Model => !local(app) && app.wizard.served.is_none(),
        _ => false,
    }
}

fn local(app: &App) -> bool {
    choices(app).get(app.wizard.provider).is_some_and(|c| c.kind == "local")
}

fn back(app: &mut App) {
    let w = &mut app.wizard;
    w.confirm = false;
    w.step = match w.step {
        Step::Folder | Step::Done => {
            app.screen = Screen::Welcome;
            Step::Folder
        }
        Step::Provider => Step::Folder,
        Step::Model => Step::Provider,
        Step::Format => Step::Model,
        Step::Extras => Step::Format,
        Step::Preview => Step::Extras,
    };
}

pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    if app.wizard.served.is_some() {
        return served_keys(app, action);
    }
    if action == Action::Esc {
        back(app);
        return Vec::new();
    }
    if app.wizard.step == Step::Model && action == Action::Browse && !local(app) {
        return discover(app);
    }
    if typing(app) {
        let input = if app.wizard.step == Step::Folder { &mut app.wizard.folder } else { &mut app.wizard.model };
        if input.edit(&action) {
            return Vec::new();
        }
    } else if matches!(action, Action::Char('q')) {
        return crate::app::update(app, Action::Quit);
    }
    let is_local = local(app);
    let catalog = app.models.catalog.len();
    let w = &mut app.wizard;
    match (w.step, action) {
        (Step::Folder, Action::Enter) if !w.folder.value.trim().is_empty() => w.step = Step::Provider,
        (Step::Provider, Action::Up | Action::Char('k')) => w.provider = w.provider.saturating_sub(1),
        (Step::Provider, Action::Down | Action::Char('j')) => w.provider += 1,
        (Step::Provider, Action::Enter) => {
            let choice = choices(app).get(app.wizard.provider).cloned();
            if let Some(choice) = choice {
                app.wizard.model = TextInput::new(choice.model.as_deref().unwrap_or(""));
                let current = app.models.catalog.iter().position(|m| m.current).unwrap_or(0);
                app.wizard.local_model = current;
                app.wizard.step = Step::Model;
            }
        }
        (Step::Model, Action::Up | Action::Char('k')) if is_local => w.local_model = w.local_model.saturating_sub(1),
        (Step::Model, Action::Down | Action::Char('j')) if is_local => {
            w.local_model = (w.local_model + 1).min(catalog.saturating_sub(1));
        }
        (Step::Model, Action::Enter) => app.wizard.step = Step::Format,
        (Step::Format, Action::Up | Action::Down | Action::Left | Action::Right | Action::Char('j' | 'k')) => {
            w.yaml = !w.yaml
        }
        (Step::Format, Action::Enter) => w.step = Step::Extras,
        (Step::Extras, Action::Up | Action::Char('k')) => w.extras = w.extras.saturating_sub(1),
        (Step::Extras, Action::Down | Action::Char('j')) => w.extras = (w.extras + 1).min(EXTRAS.len() - 1),
        (Step::Extras, Action::Enter) => return preview(app, false),
        (Step::Preview, Action::Up | Action::Char('k')) => w.scroll = w.scroll.saturating_sub(1),
        (Step::Preview, Action::Down | Action::Char('j')) => w.scroll = w.scroll.saturating_add(1),
        (Step::Preview, Action::PageUp) => w.scroll = w.scroll.saturating_sub(10),
        (Step::Preview, Action::PageDown) => w.scroll = w.scroll.saturating_add(10),
        (Step::Preview, Action::Char('y')) if w.confirm => return preview(app, true),
        (Step::Preview, Action::Char('n')) if w.confirm => return write(app),
        (Step::Preview, Action::Enter | Action::Char('w')) if !w.loading && w.plan.is_some() => {
            if w.forced || held_back(app).is_empty() {
                return write(app);
            }
            app.wizard.confirm = true;
        }
        (Step::Done, Action::Enter) => app.screen = Screen::Welcome,
        _ => {}
    }
    let count = choices(app).len();
    app.wizard.provider = app.wizard.provider.min(count.saturating_sub(1));
    Vec::new()
}

/// Ask the chosen provider which models it serves (a configured profile by its id, with its
/// address and key; a new one at its type's defaults).
fn discover(app: &mut App) -> Vec<Effect> {
    let Some(choice) = choices(app).get(app.wizard.provider).cloned() else { return Vec::new() };
    let provider = match &choice.profile {
        Some(id) => json!(id),
        None => json!({"type": choice.kind}),
    };
    app.wizard.discovering = true;
    app.wizard.served = Some(Ok(Vec::new()));
    vec![app.request("providers/discover", json!({"provider": provider}), Pending::WizardModels)]
}

pub fn discovered(app: &mut App, outcome: Result<Value, RpcError>) -> Vec<Effect> {
    app.wizard.discovering = false;
    let listed = outcome
        .map_err(|e| e.describe())
        .and_then(|v| decode::<Vec<crate::protocol::ServedModel>>("providers/discover", v))
        .map(|models| models.into_iter().map(|m| m.id).collect::<Vec<_>>());
    if app.wizard.served.is_some() {
        let current = app.wizard.model.value.clone();
        app.wizard.served_selected =
            listed.as_ref().ok().and_then(|l| l.iter().position(|m| *m == current)).unwrap_or(0);
        app.wizard.served = Some(listed);
    }
    Vec::new()
}

fn served_keys(app: &mut App, action: Action) -> Vec<Effect> {
    let w = &mut app.wizard;
    let count = match &w.served {
        Some(Ok(list)) => list.len(),
        _ => 0,
    };
    match action {
        Action::Up | Action::Char('k') => w.served_selected = w.served_selected.saturating_sub(1),
        Action::Down | Action::Char('j') => w.served_selected = (w.served_selected + 1).min(count.saturating_sub(1)),
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

/// Files the plan leaves alone (`skip`: one that exists with other content, or the configuration
/// file another one blocks), with why; `force` would change them.
pub fn held_back(app: &App) -> Vec<(String, String)> {
    let Some(plan) = &app.wizard.plan else {
        return Vec::new();
    };
    plan.files
        .iter()
        .filter(|f| f.action == "skip")
        .map(|f| (f.path.clone(), f.reason.clone().unwrap_or_default()))
        .collect()
}

fn params(app: &App, force: bool) -> Value {
    let choice = choices(app).get(app.wizard.provider).cloned();
    let kind = choice.as_ref().map_or("local".to_string(), |c| c.kind.clone());
    let model = if kind == "local" {
        app.models.catalog.get(app.wizard.local_model).map(|m| m.id.clone())
    } else {
        Some(app.wizard.model.value.trim().to_string()).filter(|m| !m.is_empty())
    };
    let mut out = json!({
        "path": app.wizard.folder.value.trim(),
        "provider": kind,
        "yaml": app.wizard.yaml,
        "extras": EXTRAS[app.wizard.extras],
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

fn preview(app: &mut App, force: bool) -> Vec<Effect> {
    let w = &mut app.wizard;
    w.step = Step::Preview;
    w.confirm = false;
    w.forced = force;
    w.loading = true;
    w.error = None;
    w.plan = None;
    w.digest = None;
    w.scroll = 0;
    let params = params(app, force);
    vec![app.request("bootstrap/preview", params, Pending::Preview)]
}

/// Write the plan on screen: the same request, with its digest as `expect`.
fn write(app: &mut App) -> Vec<Effect> {
    app.wizard.confirm = false;
    app.wizard.loading = true;
    let mut params = params(app, app.wizard.forced);
    if let Some(digest) = &app.wizard.digest {
        params["expect"] = json!(digest);
    }
    vec![app.request("bootstrap/write", params, Pending::BootstrapWrite)]
}

pub fn planned(app: &mut App, written: bool, outcome: Result<Value, RpcError>) -> Vec<Effect> {
    app.wizard.loading = false;
    let digest = outcome.as_ref().ok().and_then(|v| v.get("digest")).and_then(Value::as_str).map(String::from);
    match outcome.map_err(|e| e.describe()).and_then(|v| decode::<ProjectPlan>("bootstrap", v)) {
        Ok(plan) => {
            app.wizard.digest = digest;
            if written {
                app.say(Tone::Good, format!("Wrote the project files in {}", plan.folder));
                app.wizard.step = Step::Done;
            }
            app.wizard.plan = Some(plan);
        }
        Err(reason) => {
            app.wizard.error = Some(reason.clone());
            app.say(Tone::Bad, reason);
        }
    }
    Vec::new()
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
