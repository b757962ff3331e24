//! What every screen is to the app (`Page`): its name, its keys, what it does with a key, an
//! answer, a notification or a written file, what it reads when opened, what it forgets when
//! the bridge is lost, and how it draws. The app dispatches through this trait and the registry
//! (`screens/mod.rs`), so it names no screen to route to it. It sits beside `action` and
//! `context`, the other vocabulary the screens share, so a screen imports nothing above it.

use ratatui::layout::Rect;
use ratatui::Frame;
use serde_json::Value;

use crate::action::{Action, Effect};
use crate::context::{Ctx, Seen};
use crate::keymap::Binding;
use crate::protocol::RpcError;
use crate::theme::Theme;

pub trait Page: Default {
    /// The requests this screen sends; their answers come back to `answered`.
    type Request;
    /// The screen's name, as the header and the help overlay say it.
    const TITLE: &'static str;
    /// The bridge notifications this screen hears (`notified`).
    const HEARS: &'static [&'static str] = &[];

    /// A key, on this screen (only the keys `keys` lists reach it).
    fn update(&mut self, ctx: &mut Ctx<'_, Self::Request>, action: Action) -> Vec<Effect>;

    /// The bridge's answer to one of this screen's requests.
    fn answered(
        &mut self,
        ctx: &mut Ctx<'_, Self::Request>,
        request: Self::Request,
        outcome: Result<Value, RpcError>,
    ) -> Vec<Effect>;

    /// A bridge notification named in `HEARS`.
    fn notified(&mut self, _ctx: &mut Ctx<'_, Self::Request>, _method: &str, _params: Value) -> Vec<Effect> {
        Vec::new()
    }

    /// A file written for an `Effect::WriteFile` (the path, or why not); every screen hears it.
    fn written(&mut self, _ctx: &mut Ctx<'_, Self::Request>, _outcome: &Result<String, String>) -> Vec<Effect> {
        Vec::new()
    }

    /// The screen was opened by another (`Handoff::Open`): read what it shows, start afresh.
    fn opened(&mut self, _ctx: &mut Ctx<'_, Self::Request>) -> Vec<Effect> {
        Vec::new()
    }

    /// The bridge stopped: forget the requests it will never answer.
    fn on_bridge_lost(&mut self);

    /// Whether keys are text for a field now (letter shortcuts are off).
    fn typing(&self, _seen: &Seen) -> bool {
        false
    }

    /// The keys the screen answers to in its present state (what help and the key bar list).
    fn keys(&self, seen: &Seen) -> Vec<Binding>;

    fn draw(&self, frame: &mut Frame, area: Rect, seen: &Seen, theme: Theme);
}
