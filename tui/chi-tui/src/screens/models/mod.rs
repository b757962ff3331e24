//! Models: the catalog and the other GGUF files on this machine in one table; filter by text
//! and tag; download with live progress (cancellable, resumable), remove with a confirmation,
//! set as default (project or global), the advisor's recommendation, and pulling any GGUF from
//! the Hugging Face hub by reference (`h`: `hf:owner/repo/file.gguf`, or `hf:owner/repo` for the
//! quantization that fits this machine, chosen by the bridge).

use std::collections::HashMap;

mod hub_pull;
mod keys;
mod update;
mod view;

pub use hub_pull::HUB;

use crate::input::TextInput;
use crate::protocol::{InstalledModel, ModelInfo, Recommendation};

/// The requests this screen sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    List,
    Installed,
    Disk,
    Download { model: String },
    Remove { model: String },
    SetDefault { model: String },
    Recommend,
}

type Ctx<'a> = crate::context::Ctx<'a, Request>;

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
}

/// Sizes in the CLI's units (one formatter for the whole TUI).
pub use crate::text::size as bytes;
