//! Welcome's menu: move, open an item by Enter or its number, `q` quits, and Esc asks first
//! (Esc is "back" everywhere else, so pressing it once too often must not end the session).

use crate::app::{update as app_update, Action, App, Effect, Screen};

pub const MENU: [(&str, &str); 7] = [
    ("Chat", "talk to the configured model"),
    ("Models", "download, remove, choose the default"),
    ("Configure a provider", "Ollama, LM Studio, OpenAI, Anthropic, Gemini"),
    ("Review and save", "profiles, default, project or global"),
    ("Diagnostics", "what works here, and the fix for the rest"),
    ("New project", "config, .env.sample, requirements in a folder"),
    ("Quit", ""),
];

pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    if app.confirm_quit {
        app.confirm_quit = false;
        if matches!(action, Action::Esc | Action::Char('q' | 'y')) {
            return app_update(app, Action::Quit);
        }
        return Vec::new();
    }
    match action {
        Action::Up | Action::Char('k') | Action::BackTab => app.menu = (app.menu + MENU.len() - 1) % MENU.len(),
        Action::Down | Action::Char('j') | Action::Tab => app.menu = (app.menu + 1) % MENU.len(),
        Action::Char('q') => return app_update(app, Action::Quit),
        Action::Esc => app.confirm_quit = true,
        Action::Char('?') => app.help = true,
        Action::Enter => return open(app, app.menu),
        Action::Char(c @ '1'..='7') => return open(app, c as usize - '1' as usize),
        _ => {}
    }
    Vec::new()
}

pub const QUIT_QUESTION: &str = "Quit chi-tui? Esc, q or y quits; any other key stays";

/// Open the menu's item `index`.
pub fn open(app: &mut App, index: usize) -> Vec<Effect> {
    app.menu = index.min(MENU.len() - 1);
    app.note = None;
    match app.menu {
        0 => app.screen = Screen::Chat,
        1 => {
            app.screen = Screen::Models;
            return app.in_models(|models, ctx| models.load(ctx));
        }
        2 => app.screen = Screen::Providers,
        3 => app.screen = Screen::Save,
        4 => return app.in_diag(|diag, ctx| diag.open(ctx)),
        5 => return app.open_wizard(),
        _ => return app_update(app, Action::Quit),
    }
    Vec::new()
}
