//! The Models screen's `h` prompt: pull any GGUF from the Hugging Face hub by reference
//! (`hf:owner/repo/file.gguf[@revision]`, or `hf:owner/repo` for the quantization the bridge
//! chooses for this machine). The download then runs as a row of the table like any other.

use crate::app::{Action, App, Effect, Tone};
use crate::models::DownloadState;

/// What a hub reference starts with.
pub const HUB: &str = "hf:";

/// The `h` prompt: Enter pulls the reference (the bridge checks it and says what is wrong), Esc closes.
pub fn prompt(app: &mut App, action: Action) -> Vec<Effect> {
    let Some(input) = app.models.hub.as_mut() else {
        return Vec::new();
    };
    match action {
        Action::Esc => app.models.hub = None,
        Action::Enter => {
            let reference = input.value.trim().to_string();
            if reference.len() <= HUB.len() || !reference.starts_with(HUB) {
                app.say(Tone::Bad, "Type hf:owner/repo/file.gguf, or hf:owner/repo for the quantization that fits");
                return Vec::new();
            }
            app.models.hub = None;
            if app
                .models
                .downloads
                .get(&reference)
                .is_some_and(|d| matches!(d.state, DownloadState::Running | DownloadState::Cancelling))
            {
                return Vec::new();
            }
            let effects = crate::models::start(app, reference.clone(), None);
            if let Some(index) = app.models.entries().iter().position(|e| e.id == reference) {
                app.models.selected = index;
            }
            return effects;
        }
        other => {
            input.edit(&other);
        }
    }
    Vec::new()
}
