//! Build/Save configuration: review the profiles (configured and new) with their tags and
//! priorities, pick the default and the file (project or global), merge the new profiles into
//! it through the bridge, and show what the file holds afterwards. Each row says where it lives:
//! `new` (written now), `saved` (in a file) or `built-in` (the embedded model, in no file).

use serde_json::{json, Value};

use crate::app::{scoped, take, Action, App, Effect, Pending, Screen, Tone};
use crate::protocol::{RpcError, Written};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    #[default]
    Project,
    Global,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Project => "project",
            Scope::Global => "global",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Scope::Project => "project — .chi_llm.json in this folder",
            Scope::Global => "global — your user configuration",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SaveState {
    pub selected: usize,
    pub scope: Scope,
    /// The profile that becomes `default_provider`, when the user picked one.
    pub default_id: Option<String>,
    /// Profiles Saved from the form, not yet written.
    pub staged: Vec<Value>,
    /// What is being written now, in order.
    pub queue: Vec<Step>,
    /// The file the last step wrote.
    pub path: String,
    pub busy: bool,
    pub written: Option<WrittenView>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Merge this profile into the file (`providers/add`).
    Add(Value),
    /// Make an already configured profile the default (`config/write`).
    Default(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct WrittenView {
    pub path: String,
    pub content: Value,
}

/// One row of the review table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: String,
    pub kind: String,
    pub tags: Vec<String>,
    pub priority: i64,
    pub model: String,
    pub new: bool,
    /// In no file: the embedded model, tried after the others (`fallback_to_local`).
    pub builtin: bool,
    pub default: bool,
}

impl SaveState {
    /// Add (or replace, by id) a profile to write.
    pub fn stage(&mut self, profile: Value) {
        let id = profile["id"].clone();
        self.staged.retain(|p| p["id"] != id);
        self.staged.push(profile);
        self.written = None;
    }
}

pub fn rows(app: &App) -> Vec<Row> {
    let chosen = app.save.default_id.as_deref();
    let mut out: Vec<Row> = Vec::new();
    for p in &app.profiles {
        if p.kind == "fake" || app.save.staged.iter().any(|s| s["id"] == json!(p.id)) {
            continue;
        }
        let model = p.settings.get("model").and_then(Value::as_str).unwrap_or("").to_string();
        let default = chosen.map_or(p.default, |c| c == p.id);
        out.push(Row {
            id: p.id.clone(),
            kind: p.kind.clone(),
            tags: p.tags.clone(),
            priority: p.priority,
            model,
            new: false,
            builtin: p.fallback,
            default,
        });
    }
    for s in &app.save.staged {
        let text = |k: &str| s[k].as_str().unwrap_or("").to_string();
        let tags = s["tags"].as_array().map(|a| a.iter().filter_map(|t| t.as_str().map(String::from)).collect());
        out.push(Row {
            id: text("id"),
            kind: text("type"),
            tags: tags.unwrap_or_default(),
            priority: s["priority"].as_i64().unwrap_or(100),
            model: text("model"),
            new: true,
            builtin: false,
            default: chosen == Some(text("id").as_str()),
        });
    }
    out
}

pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    let count = rows(app).len();
    match action {
        Action::Up | Action::Char('k') if count > 0 => app.save.selected = (app.save.selected + count - 1) % count,
        Action::Down | Action::Char('j') if count > 0 => app.save.selected = (app.save.selected + 1) % count,
        Action::Char('g') | Action::Tab | Action::Left | Action::Right => {
            app.save.scope = if app.save.scope == Scope::Project { Scope::Global } else { Scope::Project };
            app.save.written = None;
        }
        Action::Char('d') | Action::Char(' ') => {
            if let Some(row) = rows(app).get(app.save.selected) {
                app.save.default_id = Some(row.id.clone());
            }
        }
        Action::Char('p') | Action::Char('a') => app.screen = Screen::Providers,
        Action::Enter | Action::Char('w') | Action::Save => return write(app),
        Action::Esc => app.screen = Screen::Welcome,
        Action::Char('q') => return crate::app::update(app, Action::Quit),
        Action::Char('?') => app.help = true,
        _ => {}
    }
    Vec::new()
}

fn write(app: &mut App) -> Vec<Effect> {
    if app.save.busy {
        return Vec::new();
    }
    if !app.ready() {
        app.say(Tone::Bad, "The bridge is not ready yet; wait a moment and try again");
        return Vec::new();
    }
    let default_is_existing =
        app.save.default_id.as_ref().is_some_and(|d| !app.save.staged.iter().any(|s| s["id"] == json!(d)));
    if app.save.staged.is_empty() && !default_is_existing {
        app.say(Tone::Info, "Nothing new to write: add a provider first (p)");
        return Vec::new();
    }
    if app.save.scope == Scope::Project {
        if let Some((id, field)) = secret_in(app) {
            app.say(
                Tone::Bad,
                format!(
                    "'{id}' has its {field} filled in: a key does not go into this folder's .chi_llm.json \
                     (it may end up in git). Press g to write to your global configuration, or clear the \
                     field and use the environment variable."
                ),
            );
            return Vec::new();
        }
    }
    let mut steps: Vec<Step> = app.save.staged.iter().cloned().map(Step::Add).collect();
    if default_is_existing {
        if let Some(default) = app.save.default_id.clone() {
            steps.push(Step::Default(default));
        }
    }
    app.save.queue = steps;
    app.save.busy = true;
    app.say(Tone::Busy, format!("Writing the {} configuration…", app.save.scope.name()));
    next(app)
}

/// A staged profile with a secret setting filled in: (profile id, field name).
fn secret_in(app: &App) -> Option<(String, String)> {
    for profile in &app.save.staged {
        let Some(schema) = app.schemas.iter().find(|s| profile["type"] == json!(s.kind)) else {
            continue;
        };
        for field in schema.fields.iter().filter(|f| f.kind == "secret") {
            if profile.get(&field.name).is_some_and(|v| !v.is_null()) {
                return Some((profile["id"].as_str().unwrap_or("").to_string(), field.name.clone()));
            }
        }
    }
    None
}

/// The next step of the write; when none is left, read the file back.
fn next(app: &mut App) -> Vec<Effect> {
    let scope = app.save.scope;
    if app.save.queue.is_empty() {
        let path = app.save.path.clone();
        return vec![
            app.request("config/read", scoped(json!({}), scope), Pending::ReadBack { path }),
            app.request("providers/list", Value::Null, Pending::Profiles),
            app.request("providers/current", Value::Null, Pending::Route),
        ];
    }
    match app.save.queue.remove(0) {
        Step::Add(profile) => {
            let default = app.save.default_id.as_ref().is_some_and(|d| profile["id"] == json!(d));
            let params = scoped(json!({"profile": profile, "default": default}), scope);
            vec![app.request("providers/add", params, Pending::Write)]
        }
        Step::Default(id) => {
            let params = scoped(json!({"values": {"default_provider": id}}), scope);
            vec![app.request("config/write", params, Pending::Write)]
        }
    }
}

pub fn wrote(app: &mut App, outcome: Result<Value, RpcError>) -> Vec<Effect> {
    let mut written = None;
    if !take(app, "providers/add", outcome, |_, v: Written| written = Some(v)) {
        app.save.busy = false;
        app.save.queue.clear();
        return Vec::new(); // the reason is on the status line; nothing staged is lost
    }
    if let Some(written) = written {
        app.save.path = written.path;
    }
    next(app)
}

pub fn read_back(app: &mut App, path: String, outcome: Result<Value, RpcError>) -> Vec<Effect> {
    app.save.busy = false;
    let mut content = None;
    if take(app, "config/read", outcome, |_, v: Value| content = Some(v)) {
        app.save.staged.clear();
        app.save.default_id = None;
        app.save.selected = 0;
        app.say(Tone::Good, format!("Wrote {path}"));
        app.save.written = Some(WrittenView { path, content: content.unwrap_or(Value::Null) });
    }
    Vec::new()
}
