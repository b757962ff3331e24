//! Screens that own their state: each folder holds a screen's state, its pending-request kind,
//! `update`, `view` (`draw`), its keys (`keys.rs`) and `on_bridge_lost`, behind the `Page`
//! trait (`crate::page`), and sees the rest of the app through a `Ctx` or a `Seen` (`crate::context`), never
//! `App`. The list below is the one place that names every screen: adding a screen is a folder,
//! a line here and a `Screen` variant (`action.rs`); the app dispatches through the registry.

pub mod chat;
pub mod diagnostics;
pub mod models;
pub mod providers;
mod registry;
pub mod save;
pub mod welcome;
pub mod wizard;

use ratatui::layout::Rect;
use ratatui::Frame;
use serde_json::Value;

use crate::action::{Action, Effect, Screen};
use crate::context::{Ctx, Seen, Shell};
use crate::keymap::Binding;
pub use crate::page::Page;
use crate::protocol::RpcError;
use crate::theme::Theme;
use registry::registry;
pub use registry::Lent;

registry! {
    Welcome: welcome => welcome::WelcomeState,
    Chat: chat => chat::ChatState,
    Models: models => models::ModelsState,
    Providers: providers => providers::ProvidersState,
    Save: save => save::SaveState,
    Diagnostics: diag => diagnostics::DiagState,
    Wizard: wizard => wizard::WizardState,
}

/// Where a screen's state is kept and how its requests are filed (written by `registry!`).
pub trait Slot: Page {
    fn slot(screens: &mut Screens) -> &mut Self;
    fn wrap(request: Self::Request) -> Request;
}

impl Screens {
    /// The rest of the app as one screen sees it: the app's part (`base`) and the few facts of
    /// other screens that a screen shows.
    pub fn seen<'a>(&'a self, base: Seen<'a>) -> Seen<'a> {
        Seen {
            catalog: &self.models.catalog,
            catalog_loaded: self.models.loaded,
            unsaved: self.save.staged.len(),
            ..base
        }
    }

    /// Lend screen `S` its state and a `Ctx` for one call. The state is taken out of `Screens`
    /// for the call (so the `Seen` can read the other screens) and put back after it.
    pub fn lend<S: Slot>(
        &mut self,
        shell: Shell<'_>,
        base: Seen<'_>,
        call: impl FnOnce(&mut S, &mut Ctx<'_, S::Request>) -> Vec<Effect>,
    ) -> Lent<Request> {
        let mut state = std::mem::take(S::slot(self));
        let mut ctx = Ctx::new(shell, self.seen(base));
        let effects = call(&mut state, &mut ctx);
        let (asked, handed) = ctx.into_parts();
        *S::slot(self) = state;
        Lent { effects, asked: asked.into_iter().map(|(id, ask)| (id, ask.map(S::wrap))).collect(), handed }
    }
}
