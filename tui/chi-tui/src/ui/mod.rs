//! `draw(frame, app)`: the frame around every screen (title, status, key help), the screen
//! (its own `Page::draw`), and overlays. Reads the state, changes nothing.

mod help;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::app::{App, BridgeState, Tone};
use crate::text;
use crate::theme::Theme;

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

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
    app.screens.draw(app.screen, frame, body, &app.seen(), theme);
    status_line(frame, status, app, theme);
    key_line(frame, keys, app, theme);
    if app.help {
        help::draw(frame, area, app, theme);
    }
}

fn too_small(frame: &mut Frame, area: Rect) {
    let text = format!(
        "The terminal is {}x{}; chi-tui needs at least {MIN_WIDTH}x{MIN_HEIGHT}. Enlarge it, or press Ctrl+C to quit.",
        area.width, area.height
    );
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
}

fn header(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let screen = app.title();
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
        _ if app.screens.welcome.confirm_quit => (Tone::Info, crate::welcome::QUIT_QUESTION.to_string()),
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
    let rows = app.keys();
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
    crate::theme::spinner(app.tick)
}
