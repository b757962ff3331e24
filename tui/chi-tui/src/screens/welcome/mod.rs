//! Welcome's menu: move, open an item by Enter or its number, `q` quits, and Esc asks first
//! (Esc is "back" everywhere else, so pressing it once too often must not end the session).

mod keys;
mod view;

use ratatui::layout::Rect;
use ratatui::Frame;
use serde_json::Value;

use crate::action::{Action, Effect, Screen};
use crate::context::{Handoff, Seen};
use crate::keymap::Binding;
use crate::page::Page;
use crate::protocol::RpcError;
use crate::theme::Theme;

pub const MENU: [(&str, &str); 7] = [
    ("Chat", "talk to the configured model"),
    ("Models", "download, remove, choose the default"),
    ("Configure a provider", "Ollama, LM Studio, OpenAI, Anthropic, Gemini"),
    ("Review and save", "profiles, default, project or global"),
    ("Diagnostics", "what works here, and the fix for the rest"),
    ("New project", "config, .env.sample, requirements in a folder"),
    ("Quit", ""),
];

pub const QUIT_QUESTION: &str = "Quit chi-tui? Esc, q or y quits; any other key stays";

/// Welcome sends no requests of its own.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {}

type Ctx<'a> = crate::context::Ctx<'a, Request>;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct WelcomeState {
    pub menu: usize,
    /// Esc asked "quit chi-tui?"; the next key answers.
    pub confirm_quit: bool,
}

impl WelcomeState {
    /// Open the menu's item `index` (a screen that loads something on opening is handed to the
    /// app, which opens it).
    fn open(&mut self, ctx: &mut Ctx, index: usize) -> Vec<Effect> {
        self.menu = index.min(MENU.len() - 1);
        ctx.clear_note();
        match self.menu {
            0 => ctx.go(Screen::Chat),
            1 => ctx.hand(Handoff::Open(Screen::Models)),
            2 => ctx.go(Screen::Providers),
            3 => ctx.go(Screen::Save),
            4 => ctx.hand(Handoff::Open(Screen::Diagnostics)),
            5 => ctx.hand(Handoff::Open(Screen::Wizard)),
            _ => return ctx.quit(),
        }
        Vec::new()
    }
}

impl Page for WelcomeState {
    type Request = Request;
    const TITLE: &'static str = "Welcome";

    fn update(&mut self, ctx: &mut Ctx, action: Action) -> Vec<Effect> {
        if self.confirm_quit {
            self.confirm_quit = false;
            if matches!(action, Action::Esc | Action::Char('q' | 'y')) {
                return ctx.quit();
            }
            return Vec::new();
        }
        match action {
            Action::Up | Action::Char('k') | Action::BackTab => self.menu = (self.menu + MENU.len() - 1) % MENU.len(),
            Action::Down | Action::Char('j') | Action::Tab => self.menu = (self.menu + 1) % MENU.len(),
            Action::Char('q') => return ctx.quit(),
            Action::Esc => self.confirm_quit = true,
            Action::Char('?') => ctx.open_help(),
            Action::Enter => return self.open(ctx, self.menu),
            Action::Char(c @ '1'..='7') => return self.open(ctx, c as usize - '1' as usize),
            _ => {}
        }
        Vec::new()
    }

    fn answered(&mut self, _ctx: &mut Ctx, request: Request, _outcome: Result<Value, RpcError>) -> Vec<Effect> {
        match request {}
    }

    /// Nothing of Welcome's waits on the bridge.
    fn on_bridge_lost(&mut self) {}

    fn keys(&self, _seen: &Seen) -> Vec<Binding> {
        keys::keys(self)
    }

    fn draw(&self, frame: &mut Frame, area: Rect, seen: &Seen, theme: Theme) {
        view::draw(frame, area, self, seen, theme)
    }
}
