//! What the Models screen does: its keys, its requests and their answers.

use serde_json::{json, Value};

use super::{bytes, keys, view, Confirm, Ctx, Download, DownloadState, Entry, ModelsState, Request, HUB};
use ratatui::layout::Rect;
use ratatui::Frame;

use crate::action::{Action, Effect, Screen, Tone};
use crate::context::Seen;
use crate::input::TextInput;
use crate::keymap::Binding;
use crate::page::Page;
use crate::protocol::{
    cancel_line, DownloadProgress, InstalledModel, ModelInfo, Recommendation, RpcError, Written, CANCELLED,
};
use crate::screens::save::{scoped, Scope};
use crate::theme::Theme;

impl ModelsState {
    pub fn load(&mut self, ctx: &mut Ctx) -> Vec<Effect> {
        vec![
            ctx.request("models/list", Value::Null, Request::List),
            ctx.request("models/installed", Value::Null, Request::Installed),
            ctx.request("models/disk", Value::Null, Request::Disk),
        ]
    }

    fn disk(&mut self, ctx: &mut Ctx, outcome: Result<Value, RpcError>) -> Vec<Effect> {
        if let Some(v) = ctx.take::<Value>("models/disk", outcome) {
            let files = v["files"].as_array().cloned().unwrap_or_default();
            self.files =
                files.iter().filter_map(|f| Some((f["id"].as_str()?.to_string(), f["size_bytes"].as_u64()?))).collect();
        }
        Vec::new()
    }

    fn listed(&mut self, ctx: &mut Ctx, outcome: Result<Value, RpcError>) -> Vec<Effect> {
        if let Some(v) = ctx.take::<Vec<ModelInfo>>("models/list", outcome) {
            self.catalog = v;
            self.loaded = true;
        }
        self.clamp();
        Vec::new()
    }

    fn installed(&mut self, ctx: &mut Ctx, outcome: Result<Value, RpcError>) -> Vec<Effect> {
        if let Some(v) = ctx.take::<Vec<InstalledModel>>("models/installed", outcome) {
            self.installed = v;
        }
        self.clamp();
        Vec::new()
    }

    fn clamp(&mut self) {
        let count = self.entries().len();
        self.selected = self.selected.min(count.saturating_sub(1));
    }

    fn cycle_tag(&mut self) {
        let tags = self.tags();
        self.tag = match &self.tag {
            None => tags.first().cloned(),
            Some(now) => tags.iter().position(|t| t == now).and_then(|i| tags.get(i + 1).cloned()),
        };
        self.selected = 0;
    }

    fn download(&mut self, ctx: &mut Ctx) -> Vec<Effect> {
        let Some(entry) = self.chosen() else {
            return Vec::new();
        };
        if entry.catalog.is_none() && entry.installed.is_none() {
            return self.start(ctx, entry.id.clone(), None); // a hub download that stopped: resume it
        }
        if entry.catalog.is_none() {
            ctx.say(Tone::Info, format!("{} is already on this machine ({})", entry.id, origin(&entry)));
            return Vec::new();
        }
        if entry.downloaded() {
            ctx.say(Tone::Info, format!("{} is downloaded; s makes it the default", entry.id));
            return Vec::new();
        }
        if self
            .downloads
            .get(&entry.id)
            .is_some_and(|d| matches!(d.state, DownloadState::Running | DownloadState::Cancelling))
        {
            return Vec::new();
        }
        self.start(ctx, entry.id.clone(), entry.size())
    }

    /// Ask the bridge for `id` (a catalog id or a hub reference) with live progress.
    pub(crate) fn start(&mut self, ctx: &mut Ctx, id: String, total: Option<u64>) -> Vec<Effect> {
        let resuming = self.downloads.contains_key(&id);
        let (request, effect) =
            ctx.call("models/download", json!({"model": id}), Request::Download { model: id.clone() });
        let now = ctx.now;
        self.downloads.insert(
            id.clone(),
            Download {
                request,
                phase: "starting".into(),
                done: 0,
                total,
                state: DownloadState::Running,
                samples: vec![(now, 0)],
            },
        );
        ctx.say(Tone::Busy, format!("{} {id}… (c cancels)", if resuming { "Resuming" } else { "Downloading" }));
        vec![effect]
    }

    fn cancel(&mut self, ctx: &mut Ctx) -> Vec<Effect> {
        let Some(entry) = self.chosen() else {
            return Vec::new();
        };
        let Some(download) = self.downloads.get_mut(&entry.id) else {
            return Vec::new();
        };
        if download.state != DownloadState::Running {
            return Vec::new();
        }
        download.state = DownloadState::Cancelling;
        let line = cancel_line(download.request);
        ctx.say(Tone::Busy, format!("Cancelling the download of {}…", entry.id));
        vec![Effect::Send(line)]
    }

    pub fn progress(&mut self, ctx: &mut Ctx, params: Value) -> Vec<Effect> {
        let Ok(event) = serde_json::from_value::<DownloadProgress>(params) else {
            return Vec::new();
        };
        let now = ctx.now;
        let key = self.downloads.iter().find(|(_, d)| Some(d.request) == event.id.as_u64()).map(|(k, _)| k.clone());
        if let Some(download) = key.and_then(|k| self.downloads.get_mut(&k)) {
            download.phase = event.phase;
            download.done = event.done;
            download.total = event.total.or(download.total);
            download.samples.push((now, event.done));
            download.samples.retain(|(t, _)| now - t <= 3.0);
        }
        Vec::new()
    }

    fn downloaded(&mut self, ctx: &mut Ctx, model: String, outcome: Result<Value, RpcError>) -> Vec<Effect> {
        match outcome {
            Ok(value) => {
                // Known now, before the refreshed list arrives (a key pressed meanwhile sees it).
                let finished = self.downloads.remove(&model);
                let fetched = value["model"].as_str().unwrap_or(&model).to_string(); // a repository: the file chosen
                if let Some(entry) = self.catalog.iter_mut().find(|m| m.id == model) {
                    entry.downloaded = true;
                    entry.path = value["path"].as_str().map(String::from).or(entry.path.take());
                }
                if let Some(size) = finished.and_then(|d| d.total.filter(|t| *t == d.done)) {
                    self.files.insert(fetched.clone(), size);
                }
                match value["chosen"].as_str() {
                    Some(why) => ctx.say(Tone::Good, format!("{fetched} downloaded and verified: {why}")),
                    None => ctx.say(Tone::Good, format!("{fetched} downloaded and verified")),
                }
                self.load(ctx)
            }
            Err(error) => {
                let state = if error.code == CANCELLED {
                    ctx.say(Tone::Info, format!("Download of {model} cancelled; d resumes it"));
                    DownloadState::Cancelled
                } else {
                    ctx.say(Tone::Bad, format!("Download of {model} failed: {}", error.describe()));
                    DownloadState::Failed(error.describe())
                };
                if let Some(download) = self.downloads.get_mut(&model) {
                    download.state = state;
                }
                Vec::new()
            }
        }
    }

    fn ask_remove(&mut self, ctx: &mut Ctx) {
        let Some(entry) = self.chosen() else { return };
        match &entry.catalog {
            None if entry.installed.is_none() => {
                self.downloads.remove(&entry.id);
                ctx.say(
                    Tone::Info,
                    format!("Dropped {} from the list; its partial download stays (h resumes it)", entry.id),
                );
            }
            None => ctx.say(
                Tone::Bad,
                format!("{} belongs to {}: chi-llm never removes other tools' files", entry.id, origin(&entry)),
            ),
            Some(model) if !model.downloaded => ctx.say(Tone::Info, format!("{} is not downloaded", entry.id)),
            Some(model) => {
                self.confirm = Some(Confirm::Remove {
                    id: entry.id.clone(),
                    path: model.path.clone().unwrap_or_default(),
                    bytes: self.files.get(&entry.id).copied().or(model.size()).unwrap_or(0),
                })
            }
        }
    }

    fn confirming(&mut self, ctx: &mut Ctx, confirm: Confirm, action: Action) -> Vec<Effect> {
        match (confirm, action) {
            (Confirm::Remove { id, .. }, Action::Char('y') | Action::Enter) => {
                self.confirm = None;
                vec![ctx.request("models/remove", json!({"id": id}), Request::Remove { model: id.clone() })]
            }
            (Confirm::SetDefault { id }, Action::Char(c @ ('p' | 'g'))) => {
                self.confirm = None;
                let scope = if c == 'g' { Scope::Global } else { Scope::Project };
                let params = scoped(json!({"id": id}), scope);
                vec![ctx.request("models/set", params, Request::SetDefault { model: id })]
            }
            (_, Action::Esc | Action::Char('n') | Action::Char('q')) => {
                self.confirm = None;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn removed(&mut self, ctx: &mut Ctx, model: String, outcome: Result<Value, RpcError>) -> Vec<Effect> {
        if let Some(v) = ctx.take::<Value>("models/remove", outcome) {
            let freed = v["freed_bytes"].as_u64().unwrap_or(0);
            ctx.say(Tone::Good, format!("Removed {model}: {} freed", bytes(freed)));
            return self.load(ctx);
        }
        Vec::new()
    }

    fn default_set(&mut self, ctx: &mut Ctx, model: String, outcome: Result<Value, RpcError>) -> Vec<Effect> {
        if let Some(Written { path }) = ctx.take::<Written>("models/set", outcome) {
            ctx.say(Tone::Good, format!("{model} is the default model now (in {path})"));
            let mut effects = self.load(ctx);
            effects.push(ctx.reload_explain());
            return effects;
        }
        Vec::new()
    }

    fn recommended(&mut self, outcome: Result<Value, RpcError>) -> Vec<Effect> {
        self.recommending = false;
        let result = outcome
            .map_err(|e| e.describe())
            .and_then(|v| crate::protocol::decode::<Recommendation>("models/recommend", v));
        self.recommendation = Some(result);
        Vec::new()
    }
}

fn origin(entry: &Entry) -> String {
    entry.installed.as_ref().map_or("catalog".into(), |i| i.origin.clone())
}

impl Page for ModelsState {
    type Request = Request;
    const TITLE: &'static str = "Models";
    const HEARS: &'static [&'static str] = &["models/download/progress"];

    fn answered(&mut self, ctx: &mut Ctx, request: Request, outcome: Result<Value, RpcError>) -> Vec<Effect> {
        match request {
            Request::List => self.listed(ctx, outcome),
            Request::Installed => self.installed(ctx, outcome),
            Request::Disk => self.disk(ctx, outcome),
            Request::Download { model } => self.downloaded(ctx, model, outcome),
            Request::Remove { model } => self.removed(ctx, model, outcome),
            Request::SetDefault { model } => self.default_set(ctx, model, outcome),
            Request::Recommend => self.recommended(outcome),
        }
    }

    fn update(&mut self, ctx: &mut Ctx, action: Action) -> Vec<Effect> {
        if self.filtering {
            match action {
                Action::Enter | Action::Esc | Action::Down | Action::Up | Action::Tab => self.filtering = false,
                other => {
                    self.filter.edit(&other);
                    self.selected = 0;
                }
            }
            return Vec::new();
        }
        if self.hub.is_some() {
            return self.hub_prompt(ctx, action);
        }
        if let Some(confirm) = self.confirm.clone() {
            return self.confirming(ctx, confirm, action);
        }
        if self.recommendation.is_some() {
            if matches!(action, Action::Enter) {
                let id = self.recommendation.as_ref().and_then(|r| r.as_ref().ok()).map(|r| r.model.id.clone());
                if let Some(index) = id.and_then(|id| self.entries().iter().position(|e| e.id == id)) {
                    self.selected = index;
                }
            }
            self.recommendation = None;
            return Vec::new();
        }
        let count = self.entries().len();
        match action {
            Action::Up | Action::Char('k') if count > 0 => self.selected = (self.selected + count - 1) % count,
            Action::Down | Action::Char('j') if count > 0 => self.selected = (self.selected + 1) % count,
            Action::PageUp => self.selected = self.selected.saturating_sub(10),
            Action::PageDown if count > 0 => self.selected = (self.selected + 10).min(count - 1),
            Action::Char('/') => self.filtering = true,
            Action::Char('t') => self.cycle_tag(),
            Action::Char('d') | Action::Enter => return self.download(ctx),
            Action::Char('h') => self.hub = Some(TextInput::new(HUB)),
            Action::Char('c') => return self.cancel(ctx),
            Action::Char('x') => self.ask_remove(ctx),
            Action::Char('s') => {
                if let Some(entry) = self.chosen() {
                    self.confirm = Some(Confirm::SetDefault { id: entry.id });
                }
            }
            Action::Char('r') => {
                self.recommending = true;
                return vec![ctx.request("models/recommend", Value::Null, Request::Recommend)];
            }
            Action::Char('R') => return self.load(ctx),
            Action::Esc => ctx.go(Screen::Welcome),
            Action::Char('q') => return ctx.quit(),
            Action::Char('?') => ctx.open_help(),
            _ => {}
        }
        Vec::new()
    }

    fn notified(&mut self, ctx: &mut Ctx, _method: &str, params: Value) -> Vec<Effect> {
        self.progress(ctx, params)
    }

    fn opened(&mut self, ctx: &mut Ctx) -> Vec<Effect> {
        self.load(ctx)
    }

    /// The bridge died: running downloads stop where they are (the partial file stays).
    fn on_bridge_lost(&mut self) {
        for download in self.downloads.values_mut() {
            if matches!(download.state, DownloadState::Running | DownloadState::Cancelling) {
                download.state = DownloadState::Interrupted;
            }
        }
        self.recommending = false;
    }

    /// Keys are text while the filter or the hub prompt has focus.
    fn typing(&self, _seen: &Seen) -> bool {
        self.filtering || self.hub.is_some()
    }

    fn keys(&self, _seen: &Seen) -> Vec<Binding> {
        keys::keys(self)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, seen: &Seen, theme: Theme) {
        view::draw(frame, area, self, seen.spinner, theme)
    }
}
