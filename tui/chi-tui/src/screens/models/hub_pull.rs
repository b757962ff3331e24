//! The Models screen's `h` prompt: pull any GGUF from the Hugging Face hub by reference
//! (`hf:owner/repo/file.gguf[@revision]`, or `hf:owner/repo` for the quantization the bridge
//! chooses for this machine). The download then runs as a row of the table like any other.

use super::{Ctx, DownloadState, ModelsState};
use crate::action::{Action, Effect, Tone};

/// What a hub reference starts with.
pub const HUB: &str = "hf:";

/// The `h` prompt: Enter pulls the reference (the bridge checks it and says what is wrong), Esc closes.
impl ModelsState {
    pub(super) fn hub_prompt(&mut self, ctx: &mut Ctx, action: Action) -> Vec<Effect> {
        let Some(input) = self.hub.as_mut() else {
            return Vec::new();
        };
        match action {
            Action::Esc => self.hub = None,
            Action::Enter => {
                let reference = input.value.trim().to_string();
                if reference.len() <= HUB.len() || !reference.starts_with(HUB) {
                    ctx.say(Tone::Bad, "Type hf:owner/repo/file.gguf, or hf:owner/repo for the quantization that fits");
                    return Vec::new();
                }
                self.hub = None;
                if self
                    .downloads
                    .get(&reference)
                    .is_some_and(|d| matches!(d.state, DownloadState::Running | DownloadState::Cancelling))
                {
                    return Vec::new();
                }
                let effects = self.start(ctx, reference.clone(), None);
                if let Some(index) = self.entries().iter().position(|e| e.id == reference) {
                    self.selected = index;
                }
                return effects;
            }
            other => {
                input.edit(&other);
            }
        }
        Vec::new()
    }
}
