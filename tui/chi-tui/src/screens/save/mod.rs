//! Build/Save configuration: review the profiles (configured and new) with their tags and
//! priorities, pick the default and the file (project or global), merge the new profiles into
//! it through the bridge, and show what the file holds afterwards. Each row says where it lives:
//! `new` (written now), `saved` (in a file) or `built-in` (the embedded model, in no file).

use ratatui::layout::Rect;
use ratatui::Frame;
use serde_json::{json, Value};

mod keys;
mod view;

use crate::action::{Action, Effect, Screen, Tone};
use crate::context::Seen;
use crate::keymap::Binding;
use crate::page::Page;
use crate::protocol::{ProviderSchema, ProviderView, RpcError, Written};
use crate::theme::Theme;

/// The requests this screen sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// One step of the write (`providers/add` or `config/write`).
    Write,
    /// The file read back after the last step.
    ReadBack { path: String },
}

type Ctx<'a> = crate::context::Ctx<'a, Request>;

/// Params for a request that names a configuration scope.
pub fn scoped(mut params: Value, scope: Scope) -> Value {
    params["scope"] = json!(scope.name());
    params
}

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
    /// A profile the provider form saved: staged, and the default when it is the first one
    /// (no default chosen here, none among `profiles`).
    pub fn stage_new(&mut self, profile: Value, id: String, profiles: &[ProviderView]) {
        self.stage(profile);
        let has_default = profiles.iter().any(|p| p.default && p.kind != "fake");
        if self.default_id.is_none() && !has_default {
            self.default_id = Some(id); // the first provider becomes the default
        }
    }

    /// Add (or replace, by id) a profile to write.
    pub fn stage(&mut self, profile: Value) {
        let id = profile["id"].clone();
        self.staged.retain(|p| p["id"] != id);
        self.staged.push(profile);
        self.written = None;
    }
}

/// The review table: the profiles the bridge reported, then the new ones.
pub fn rows(profiles: &[ProviderView], save: &SaveState) -> Vec<Row> {
    let chosen = save.default_id.as_deref();
    let mut out: Vec<Row> = Vec::new();
    for p in profiles {
        if p.kind == "fake" || save.staged.iter().any(|s| s["id"] == json!(p.id)) {
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
    for s in &save.staged {
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

impl SaveState {
    fn write(&mut self, ctx: &mut Ctx) -> Vec<Effect> {
        if self.busy {
            return Vec::new();
        }
        if !ctx.ready {
            ctx.say(Tone::Bad, "The bridge is not ready yet; wait a moment and try again");
            return Vec::new();
        }
        let default_is_existing =
            self.default_id.as_ref().is_some_and(|d| !self.staged.iter().any(|s| s["id"] == json!(d)));
        if self.staged.is_empty() && !default_is_existing {
            ctx.say(Tone::Info, "Nothing new to write: add a provider first (p)");
            return Vec::new();
        }
        if self.scope == Scope::Project {
            if let Some((id, field)) = self.secret_in(ctx.schemas) {
                ctx.say(
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
        let mut steps: Vec<Step> = self.staged.iter().cloned().map(Step::Add).collect();
        if default_is_existing {
            if let Some(default) = self.default_id.clone() {
                steps.push(Step::Default(default));
            }
        }
        self.queue = steps;
        self.busy = true;
        ctx.say(Tone::Busy, format!("Writing the {} configuration…", self.scope.name()));
        self.next(ctx)
    }

    /// A staged profile with a secret setting filled in: (profile id, field name).
    fn secret_in(&self, schemas: &[ProviderSchema]) -> Option<(String, String)> {
        for profile in &self.staged {
            let Some(schema) = schemas.iter().find(|s| profile["type"] == json!(s.kind)) else {
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
    fn next(&mut self, ctx: &mut Ctx) -> Vec<Effect> {
        let scope = self.scope;
        if self.queue.is_empty() {
            let path = self.path.clone();
            let mut effects = vec![ctx.request("config/read", scoped(json!({}), scope), Request::ReadBack { path })];
            effects.extend(ctx.reload_profiles());
            return effects;
        }
        match self.queue.remove(0) {
            Step::Add(profile) => {
                let default = self.default_id.as_ref().is_some_and(|d| profile["id"] == json!(d));
                let params = scoped(json!({"profile": profile, "default": default}), scope);
                vec![ctx.request("providers/add", params, Request::Write)]
            }
            Step::Default(id) => {
                let params = scoped(json!({"values": {"default_provider": id}}), scope);
                vec![ctx.request("config/write", params, Request::Write)]
            }
        }
    }

    fn wrote(&mut self, ctx: &mut Ctx, outcome: Result<Value, RpcError>) -> Vec<Effect> {
        let Some(written) = ctx.take::<Written>("providers/add", outcome) else {
            self.busy = false;
            self.queue.clear();
            return Vec::new(); // the reason is on the status line; nothing staged is lost
        };
        self.path = written.path;
        self.next(ctx)
    }

    fn read_back(&mut self, ctx: &mut Ctx, path: String, outcome: Result<Value, RpcError>) -> Vec<Effect> {
        self.busy = false;
        if let Some(content) = ctx.take::<Value>("config/read", outcome) {
            self.staged.clear();
            self.default_id = None;
            self.selected = 0;
            ctx.say(Tone::Good, format!("Wrote {path}"));
            self.written = Some(WrittenView { path, content });
        }
        Vec::new()
    }
}

impl Page for SaveState {
    type Request = Request;
    const TITLE: &'static str = "Build / Save configuration";

    fn update(&mut self, ctx: &mut Ctx, action: Action) -> Vec<Effect> {
        let count = rows(ctx.profiles, self).len();
        match action {
            Action::Up | Action::Char('k') if count > 0 => self.selected = (self.selected + count - 1) % count,
            Action::Down | Action::Char('j') if count > 0 => self.selected = (self.selected + 1) % count,
            Action::Char('g') | Action::Tab | Action::Left | Action::Right => {
                self.scope = if self.scope == Scope::Project { Scope::Global } else { Scope::Project };
                self.written = None;
            }
            Action::Char('d') | Action::Char(' ') => {
                if let Some(row) = rows(ctx.profiles, self).get(self.selected) {
                    self.default_id = Some(row.id.clone());
                }
            }
            Action::Char('p') | Action::Char('a') => ctx.go(Screen::Providers),
            Action::Enter | Action::Char('w') | Action::Save => return self.write(ctx),
            Action::Esc => ctx.go(Screen::Welcome),
            Action::Char('q') => return ctx.quit(),
            Action::Char('?') => ctx.open_help(),
            _ => {}
        }
        Vec::new()
    }

    fn answered(&mut self, ctx: &mut Ctx, request: Request, outcome: Result<Value, RpcError>) -> Vec<Effect> {
        match request {
            Request::Write => self.wrote(ctx, outcome),
            Request::ReadBack { path } => self.read_back(ctx, path, outcome),
        }
    }

    /// The bridge died: the write in progress will not be answered.
    fn on_bridge_lost(&mut self) {
        self.busy = false;
    }

    fn keys(&self, _seen: &Seen) -> Vec<Binding> {
        keys::SAVE.to_vec()
    }

    fn draw(&self, frame: &mut Frame, area: Rect, seen: &Seen, theme: Theme) {
        view::draw(frame, area, self, seen.profiles, seen.spinner, theme)
    }
}
