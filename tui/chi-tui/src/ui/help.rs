//! The `?` / F1 overlay: every key, and the one rule about text fields.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::app::App;
use crate::theme::Theme;

const KEYS: [(&str, &str); 14] = [
    ("↑↓ / j k", "move (j k only outside text fields)"),
    ("Tab / Shift+Tab", "next / previous field"),
    ("Enter", "open, choose, press a button"),
    ("← →", "cursor, choice value, or button"),
    ("Esc", "back (closes this help)"),
    ("Ctrl+T", "test the connection"),
    ("Ctrl+S", "save the profile (after a passing test)"),
    ("Ctrl+F", "find a local server's URL"),
    ("Ctrl+O", "browse the server's models"),
    ("d / g", "review: default / project or global"),
    ("Enter / w", "review: write the configuration"),
    ("? / F1", "this help (F1 inside text fields)"),
    ("q", "quit (outside text fields)"),
    ("Ctrl+C", "quit from anywhere"),
];

pub fn draw(frame: &mut Frame, area: Rect, _app: &App, theme: Theme) {
    let inner = super::popup(frame, area, 64, KEYS.len() as u16 + 4, "Keys", theme);
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(key, what)| Line::from(vec![Span::styled(format!("{key:<17}"), theme.key()), Span::raw(*what)]))
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled("Typing in a field never triggers a shortcut.", theme.dim()));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
