//! Models: the catalog and the other GGUF files on this machine in one table; filter by text
//! and tag; download with live progress (cancellable, resumable), remove with a confirmation,
//! set as default (project or global), the advisor's recommendation, and pulling any GGUF from
//! the Hugging Face hub by reference (`h`: `hf:owner/repo/file.gguf`, or `hf:owner/repo` for the
//! quantization that fits this machine, chosen by the bridge).

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::app::{scoped, take, Action, App, Effect, Pending, Screen, Tone};
use crate::input::TextInput;
use crate::protocol::{
    cancel_line, DownloadProgress, InstalledModel, ModelInfo, Recommendation, RpcError, Written, CANCELLED,
};
use crate::save::Scope;

/// One row: a catalog model, or a file another tool (or the user) put on this machine.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: String,
    pub catalog: Option<ModelInfo>,
    pub installed: Option<InstalledModel>,
}

impl Entry {
    /// A row that is only a hub download under way has neither a catalog entry nor a file yet.
    pub fn downloaded(&self) -> bool {
        self.catalog.as_ref().map_or(self.installed.is_some(), |m| m.downloaded)
    }
    pub fn current(&self) -> bool {
        self.catalog.as_ref().is_some_and(|m| m.current)
    }
    pub fn fits(&self) -> bool {
        self.catalog.as_ref().is_none_or(|m| m.fits)
    }
    pub fn size(&self) -> Option<u64> {
        self.catalog.as_ref().and_then(ModelInfo::size).or(self.installed.as_ref().map(|i| i.size_bytes))
    }
    pub fn tags(&self) -> &[String] {
        self.catalog.as_ref().map_or(&[], |m| m.tags.as_slice())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum DownloadState {
    Running,
    Cancelling,
    Cancelled,
    Failed(String),
    /// The bridge died under it; a new download resumes the partial file.
    Interrupted,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Download {
    pub request: u64,
    pub phase: String,
    pub done: u64,
    pub total: Option<u64>,
    pub state: DownloadState,
    /// (seconds, bytes) over the last few seconds, for the speed.
    pub samples: Vec<(f64, u64)>,
}

impl Download {
    /// Bytes per second over the recent samples.
    pub fn speed(&self) -> Option<f64> {
        let (first, last) = (self.samples.first()?, self.samples.last()?);
        let seconds = last.0 - first.0;
        (seconds > 0.2 && last.1 >= first.1).then(|| (last.1 - first.1) as f64 / seconds)
    }

    pub fn eta(&self) -> Option<f64> {
        let speed = self.speed().filter(|s| *s > 0.0)?;
        Some(self.total?.saturating_sub(self.done) as f64 / speed)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Confirm {
    Remove { id: String, path: String, bytes: u64 },
    SetDefault { id: String },
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelsState {
    pub catalog: Vec<ModelInfo>,
    pub installed: Vec<InstalledModel>,
    /// The files in chi-llm's models folder (`models/disk`): their real sizes.
    pub files: HashMap<String, u64>,
    pub loaded: bool,
    pub selected: usize,
    pub filter: TextInput,
    pub filtering: bool,
    pub tag: Option<String>,
    pub downloads: HashMap<String, Download>,
    pub confirm: Option<Confirm>,
    pub recommendation: Option<Result<Recommendation, String>>,
    pub recommending: bool,
    /// The hub reference being typed (`h`), None when the prompt is closed.
    pub hub: Option<TextInput>,
}

impl ModelsState {
    /// The rows the table shows, after the text and tag filters.
    pub fn entries(&self) -> Vec<Entry> {
        let mut out: Vec<Entry> = self
            .catalog
            .iter()
            .map(|m| {
                let mut model = m.clone();
                if let Some(size) = self.files.get(&m.id).filter(|_| m.downloaded) {
                    model.size_bytes = Some(*size); // the file's own size, not the estimate
                }
                Entry { id: m.id.clone(), catalog: Some(model), installed: None }
            })
            .collect();
        for file in self.installed.iter().filter(|f| !f.owned) {
            out.push(Entry { id: file.id.clone(), catalog: None, installed: Some(file.clone()) });
        }
        let mut pulling: Vec<&String> =
            self.downloads.keys().filter(|id| id.starts_with(HUB) && !out.iter().any(|e| &e.id == *id)).collect();
        pulling.sort();
        for id in pulling {
            out.push(Entry { id: id.clone(), catalog: None, installed: None });
        }
        let needle = self.filter.value.to_lowercase();
        out.retain(|e| {
            let text = format!("{} {}", e.id, e.catalog.as_ref().map_or("", |m| m.name.as_str())).to_lowercase();
            (needle.is_empty() || text.contains(&needle)) && self.tag.as_ref().is_none_or(|t| e.tags().contains(t))
        });
        out
    }

    pub fn tags(&self) -> Vec<String> {
        let mut tags: Vec<String> = self.catalog.iter().flat_map(|m| m.tags.iter().cloned()).collect();
        tags.sort();
        tags.dedup();
        tags
    }

    pub fn chosen(&self) -> Option<Entry> {
        self.entries().into_iter().nth(self.selected)
    }

    /// Keys are text while the filter or the hub prompt has focus.
    pub fn typing(&self) -> bool {
        self.filtering || self.hub.is_some()
    }
}

pub use crate::hub_pull::HUB;

pub fn load(app: &mut App) -> Vec<Effect> {
    vec![
        app.request("models/list", Value::Null, Pending::ModelList),
        app.request("models/installed", Value::Null, Pending::Installed),
        app.request("models/disk", Value::Null, Pending::Disk),
    ]
}

pub fn disk(app: &mut App, outcome: Result<Value, RpcError>) -> Vec<Effect> {
    take(app, "models/disk", outcome, |app, v: Value| {
        let files = v["files"].as_array().cloned().unwrap_or_default();
        app.models.files =
            files.iter().filter_map(|f| Some((f["id"].as_str()?.to_string(), f["size_bytes"].as_u64()?))).collect();
    });
    Vec::new()
}

pub fn listed(app: &mut App, outcome: Result<Value, RpcError>) -> Vec<Effect> {
    take(app, "models/list", outcome, |app, v: Vec<ModelInfo>| {
        app.models.catalog = v;
        app.models.loaded = true;
    });
    clamp(app);
    Vec::new()
}

pub fn installed(app: &mut App, outcome: Result<Value, RpcError>) -> Vec<Effect> {
    take(app, "models/installed", outcome, |app, v: Vec<InstalledModel>| app.models.installed = v);
    clamp(app);
    Vec::new()
}

fn clamp(app: &mut App) {
    let count = app.models.entries().len();
    app.models.selected = app.models.selected.min(count.saturating_sub(1));
}

pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    if app.models.filtering {
        match action {
            Action::Enter | Action::Esc | Action::Down | Action::Up | Action::Tab => app.models.filtering = false,
            other => {
                app.models.filter.edit(&other);
                app.models.selected = 0;
            }
        }
        return Vec::new();
    }
    if app.models.hub.is_some() {
        return crate::hub_pull::prompt(app, action);
    }
    if let Some(confirm) = app.models.confirm.clone() {
        return confirming(app, confirm, action);
    }
    if app.models.recommendation.is_some() {
        if matches!(action, Action::Enter) {
            let id = app.models.recommendation.as_ref().and_then(|r| r.as_ref().ok()).map(|r| r.model.id.clone());
            if let Some(index) = id.and_then(|id| app.models.entries().iter().position(|e| e.id == id)) {
                app.models.selected = index;
            }
        }
        app.models.recommendation = None;
        return Vec::new();
    }
    let count = app.models.entries().len();
    match action {
        Action::Up | Action::Char('k') if count > 0 => app.models.selected = (app.models.selected + count - 1) % count,
        Action::Down | Action::Char('j') if count > 0 => app.models.selected = (app.models.selected + 1) % count,
        Action::PageUp => app.models.selected = app.models.selected.saturating_sub(10),
        Action::PageDown if count > 0 => app.models.selected = (app.models.selected + 10).min(count - 1),
        Action::Char('/') => app.models.filtering = true,
        Action::Char('t') => cycle_tag(app),
        Action::Char('d') | Action::Enter => return download(app),
        Action::Char('h') => app.models.hub = Some(TextInput::new(HUB)),
        Action::Char('c') => return cancel(app),
        Action::Char('x') => ask_remove(app),
        Action::Char('s') => {
            if let Some(entry) = app.models.chosen() {
                app.models.confirm = Some(Confirm::SetDefault { id: entry.id });
            }
        }
        Action::Char('r') => {
            app.models.recommending = true;
            return vec![app.request("models/recommend", Value::Null, Pending::Recommend)];
        }
        Action::Char('R') => return load(app),
        Action::Esc => app.screen = Screen::Welcome,
        Action::Char('q') => return crate::app::update(app, Action::Quit),
        Action::Char('?') => app.help = true,
        _ => {}
    }
    Vec::new()
}

fn cycle_tag(app: &mut App) {
    let tags = app.models.tags();
    app.models.tag = match &app.models.tag {
        None => tags.first().cloned(),
        Some(now) => tags.iter().position(|t| t == now).and_then(|i| tags.get(i + 1).cloned()),
    };
    app.models.selected = 0;
}

fn download(app: &mut App) -> Vec<Effect> {
    let Some(entry) = app.models.chosen() else {
        return Vec::new();
    };
    if entry.catalog.is_none() && entry.installed.is_none() {
        return start(app, entry.id.clone(), None); // a hub download that stopped: resume it
    }
    if entry.catalog.is_none() {
        app.say(Tone::Info, format!("{} is already on this machine ({})", entry.id, origin(&entry)));
        return Vec::new();
    }
    if entry.downloaded() {
        app.say(Tone::Info, format!("{} is downloaded; s makes it the default", entry.id));
        return Vec::new();
    }
    if app
        .models
        .downloads
        .get(&entry.id)
        .is_some_and(|d| matches!(d.state, DownloadState::Running | DownloadState::Cancelling))
    {
        return Vec::new();
    }
    start(app, entry.id.clone(), entry.size())
}

/// Ask the bridge for `id` (a catalog id or a hub reference) with live progress.
pub(crate) fn start(app: &mut App, id: String, total: Option<u64>) -> Vec<Effect> {
    let resuming = app.models.downloads.contains_key(&id);
    let (request, effect) = app.call("models/download", json!({"model": id}), Pending::Download { model: id.clone() });
    let now = app.now;
    app.models.downloads.insert(
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
    app.say(Tone::Busy, format!("{} {id}… (c cancels)", if resuming { "Resuming" } else { "Downloading" }));
    vec![effect]
}

fn origin(entry: &Entry) -> String {
    entry.installed.as_ref().map_or("catalog".into(), |i| i.origin.clone())
}

fn cancel(app: &mut App) -> Vec<Effect> {
    let Some(entry) = app.models.chosen() else {
        return Vec::new();
    };
    let Some(download) = app.models.downloads.get_mut(&entry.id) else {
        return Vec::new();
    };
    if download.state != DownloadState::Running {
        return Vec::new();
    }
    download.state = DownloadState::Cancelling;
    let line = cancel_line(download.request);
    app.say(Tone::Busy, format!("Cancelling the download of {}…", entry.id));
    vec![Effect::Send(line)]
}

pub fn progress(app: &mut App, params: Value) -> Vec<Effect> {
    let Ok(event) = serde_json::from_value::<DownloadProgress>(params) else {
        return Vec::new();
    };
    let now = app.now;
    let key = app.models.downloads.iter().find(|(_, d)| Some(d.request) == event.id.as_u64()).map(|(k, _)| k.clone());
    if let Some(download) = key.and_then(|k| app.models.downloads.get_mut(&k)) {
        download.phase = event.phase;
        download.done = event.done;
        download.total = event.total.or(download.total);
        download.samples.push((now, event.done));
        download.samples.retain(|(t, _)| now - t <= 3.0);
    }
    Vec::new()
}

pub fn downloaded(app: &mut App, model: String, outcome: Result<Value, RpcError>) -> Vec<Effect> {
    match outcome {
        Ok(value) => {
            // Known now, before the refreshed list arrives (a key pressed meanwhile sees it).
            let finished = app.models.downloads.remove(&model);
            let fetched = value["model"].as_str().unwrap_or(&model).to_string(); // a repository: the file chosen
            if let Some(entry) = app.models.catalog.iter_mut().find(|m| m.id == model) {
                entry.downloaded = true;
                entry.path = value["path"].as_str().map(String::from).or(entry.path.take());
            }
            if let Some(size) = finished.and_then(|d| d.total.filter(|t| *t == d.done)) {
                app.models.files.insert(fetched.clone(), size);
            }
            match value["chosen"].as_str() {
                Some(why) => app.say(Tone::Good, format!("{fetched} downloaded and verified: {why}")),
                None => app.say(Tone::Good, format!("{fetched} downloaded and verified")),
            }
            load(app)
        }
        Err(error) => {
            let state = if error.code == CANCELLED {
                app.say(Tone::Info, format!("Download of {model} cancelled; d resumes it"));
                DownloadState::Cancelled
            } else {
                app.say(Tone::Bad, format!("Download of {model} failed: {}", error.describe()));
                DownloadState::Failed(error.describe())
            };
            if let Some(download) = app.models.downloads.get_mut(&model) {
                download.state = state;
            }
            Vec::new()
        }
    }
}

/// The bridge died: running downloads stop where they are (the partial file stays).
pub fn interrupted(app: &mut App) {
    for download in app.models.downloads.values_mut() {
        if matches!(download.state, DownloadState::Running | DownloadState::Cancelling) {
            download.state = DownloadState::Interrupted;
        }
    }
    app.models.recommending = false;
}

fn ask_remove(app: &mut App) {
    let Some(entry) = app.models.chosen() else { return };
    match &entry.catalog {
        None if entry.installed.is_none() => {
            app.models.downloads.remove(&entry.id);
            app.say(
                Tone::Info,
                format!("Dropped {} from the list; its partial download stays (h resumes it)", entry.id),
            );
        }
        None => app.say(
            Tone::Bad,
            format!("{} belongs to {}: chi-llm never removes other tools' files", entry.id, origin(&entry)),
        ),
        Some(model) if !model.downloaded => app.say(Tone::Info, format!("{} is not downloaded", entry.id)),
        Some(model) => {
            app.models.confirm = Some(Confirm::Remove {
                id: entry.id.clone(),
                path: model.path.clone().unwrap_or_default(),
                bytes: app.models.files.get(&entry.id).copied().or(model.size()).unwrap_or(0),
            })
        }
    }
}

fn confirming(app: &mut App, confirm: Confirm, action: Action) -> Vec<Effect> {
    match (confirm, action) {
        (Confirm::Remove { id, .. }, Action::Char('y') | Action::Enter) => {
            app.models.confirm = None;
            vec![app.request("models/remove", json!({"id": id}), Pending::Remove { model: id.clone() })]
        }
        (Confirm::SetDefault { id }, Action::Char(c @ ('p' | 'g'))) => {
            app.models.confirm = None;
            let scope = if c == 'g' { Scope::Global } else { Scope::Project };
            let params = scoped(json!({"id": id}), scope);
            vec![app.request("models/set", params, Pending::SetDefault { model: id })]
        }
        (_, Action::Esc | Action::Char('n') | Action::Char('q')) => {
            app.models.confirm = None;
            Vec::new()
        }
        _ => Vec::new(),
    }
}

pub fn removed(app: &mut App, model: String, outcome: Result<Value, RpcError>) -> Vec<Effect> {
    let mut freed = 0;
    if take(app, "models/remove", outcome, |_, v: Value| freed = v["freed_bytes"].as_u64().unwrap_or(0)) {
        app.say(Tone::Good, format!("Removed {model}: {} freed", bytes(freed)));
        return load(app);
    }
    Vec::new()
}

pub fn default_set(app: &mut App, model: String, outcome: Result<Value, RpcError>) -> Vec<Effect> {
    let mut path = String::new();
    if take(app, "models/set", outcome, |_, v: Written| path = v.path) {
        app.say(Tone::Good, format!("{model} is the default model now (in {path})"));
        let mut effects = load(app);
        effects.push(app.request("config/explain", Value::Null, Pending::Explain));
        return effects;
    }
    Vec::new()
}

pub fn recommended(app: &mut App, outcome: Result<Value, RpcError>) -> Vec<Effect> {
    app.models.recommending = false;
    let result = outcome
        .map_err(|e| e.describe())
        .and_then(|v| crate::protocol::decode::<Recommendation>("models/recommend", v));
    app.models.recommendation = Some(result);
    Vec::new()
}

/// Sizes in the CLI's units (one formatter for the whole TUI).
pub use crate::text::size as bytes;
