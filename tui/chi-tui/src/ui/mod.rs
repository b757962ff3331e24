//! `draw(frame, app)`: the frame around every screen (title, status, key help), the screens,
//! and overlays. Reads the state, changes nothing.

mod help;

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::{App, BridgeState, Screen, Tone};
use crate::text;
use crate::theme::Theme;

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;
const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn draw(frame: &mut Frame, app: &App, theme: Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area);
        return;
    }
    // A long message (a failure's reason and its fix) gets a second line rather than being cut.
    let long = app.note.as_ref().is_some_and(|n| n.text.chars().count() + 2 > area.width as usize);
    let [top, body, status, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(if long { 2 } else { 1 }),
        Constraint::Length(1),
    ])
    .areas(area);
    header(frame, top, app, theme);
    match app.screen {
        Screen::Welcome => crate::screens::welcome::draw(frame, body, &app.welcome, welcome_shown(app), theme),
        Screen::Providers => {
            crate::screens::providers::draw(frame, body, &app.providers, &app.schemas, app.ready(), spinner(app), theme)
        }
        Screen::Save => crate::screens::save::draw(frame, body, &app.save, &app.profiles, spinner(app), theme),
        Screen::Models => crate::screens::models::draw(frame, body, &app.models, spinner(app), theme),
        Screen::Diagnostics => crate::screens::diagnostics::draw(frame, body, &app.diag, spinner(app), theme),
        Screen::Wizard => crate::screens::wizard::draw(
            frame,
            body,
            &app.wizard,
            &app.profiles,
            &app.models.catalog,
            spinner(app),
            theme,
        ),
        Screen::Chat => {
            crate::screens::chat::draw(frame, body, &app.chat, &app.chat_status(), spinner(app), !app.help, theme)
        }
    }
    status_line(frame, status, app, theme);
    key_line(frame, keys, app, theme);
    if app.help {
        help::draw(frame, area, app, theme);
    }
}

/// What Welcome shows of the rest of the app.
fn welcome_shown(app: &App) -> crate::screens::welcome::Shown<'_> {
    crate::screens::welcome::Shown {
        model: app.model.as_ref(),
        profiles: &app.profiles,
        unsaved: app.save.staged.len(),
        bridge_down: match &app.bridge {
            BridgeState::Down(reason) => Some(reason),
            _ => None,
        },
    }
}

fn too_small(frame: &mut Frame, area: Rect) {
    let text = format!(
        "The terminal is {}x{}; chi-tui needs at least {MIN_WIDTH}x{MIN_HEIGHT}. Enlarge it, or press Ctrl+C to quit.",
        area.width, area.height
    );
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

/// The screen's name, as the header and the help overlay say it.
pub fn title(app: &App) -> &'static str {
    match app.screen {
        Screen::Welcome => "Welcome",
        Screen::Providers => "Configure Provider",
        Screen::Save => "Build / Save configuration",
        Screen::Models => "Models",
        Screen::Diagnostics => "Diagnostics",
        Screen::Wizard => "New project",
        Screen::Chat => "Chat",
    }
}

fn header(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let screen = title(app);
    let bridge = match &app.bridge {
        BridgeState::Starting => format!("{} starting the bridge", spinner(app)),
        BridgeState::Ready { version } => format!("chi-llm {version}"),
        BridgeState::Down(_) => "bridge down".to_string(),
    };
    let [left, right] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(bridge.chars().count() as u16 + 1)]).areas(area);
    frame.render_widget(
        Paragraph::new(text::fit_line(
            Line::from(vec![Span::styled(" chi-tui ", theme.title()), Span::raw(format!("· {screen}"))]),
            left.width as usize,
        )),
        left,
    );
    frame.render_widget(Paragraph::new(Span::styled(bridge, theme.dim())), right);
}

fn status_line(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let (tone, text) = match (&app.bridge, &app.note) {
        _ if app.welcome.confirm_quit => (Tone::Info, crate::welcome::QUIT_QUESTION.to_string()),
        (_, Some(note)) => (note.tone, note.text.clone()),
        (BridgeState::Down(reason), None) => (Tone::Bad, reason.clone()),
        _ => (Tone::Info, String::new()),
    };
    let text = if tone == Tone::Busy { format!("{} {text}", spinner(app)) } else { text };
    let line = Span::styled(format!(" {text}"), theme.tone(tone));
    frame.render_widget(Paragraph::new(line).wrap(Wrap { trim: false }), area);
}

/// The key bar: the current table's bar keys, as many as fit, the help key always last (with
/// `…` before it when some did not fit).
fn key_line(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let rows = crate::keymap::bindings(app);
    let item = |key: String, what: &str| (format!(" {key}"), format!(" {what} "));
    let mut items: Vec<(String, String)> =
        rows.iter().filter(|b| b.bar > 0 && !b.is_help()).map(|b| item(b.bar_label(), b.short())).collect();
    let help: Vec<(String, String)> =
        rows.iter().filter(|b| b.bar > 0 && b.is_help()).map(|b| item(b.bar_label(), b.short())).collect();
    let room = area.width as usize;
    let size = |items: &[(String, String)]| items.iter().map(|(k, w)| text::width(k) + text::width(w)).sum::<usize>();
    let mut cut = false;
    while !items.is_empty() && size(&items) + size(&help) + if cut { 2 } else { 0 } > room {
        items.pop();
        cut = true;
    }
    let mut spans = Vec::new();
    for (key, what) in items.iter() {
        spans.push(Span::styled(key.clone(), theme.key()));
        spans.push(Span::raw(what.clone()));
    }
    if cut {
        spans.push(Span::styled(" …", theme.dim()));
    }
    for (key, what) in help.iter() {
        spans.push(Span::styled(key.clone(), theme.key()));
        spans.push(Span::raw(what.clone()));
    }
    frame.render_widget(Paragraph::new(text::fit_line(Line::from(spans), room)), area);
}

pub fn spinner(app: &App) -> &'static str {
    SPINNER[(app.tick % SPINNER.len() as u64) as usize]
}

/// A box in the middle of `area`, cleared, for overlays.
pub fn popup(frame: &mut Frame, area: Rect, width: u16, height: u16, title: &str, theme: Theme) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(row);
    frame.render_widget(Clear, cell);
    let block = Block::bordered().title(Span::styled(format!(" {title} "), theme.title()));
    let inner = block.inner(cell);
    frame.render_widget(block, cell);
    inner
}
