//! The `?` / F1 overlay: the keys of the screen beneath, in its present state, from the same
//! table that decides what a key does there (`keymap`), and the one rule about text fields.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::app::App;
use crate::popup::popup;
use crate::text::{fit_line, width};
use crate::theme::Theme;

const RULE: &str = "Typing in a field never triggers a shortcut.";

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let rows = app.screen_keys();
    let labels: Vec<String> = rows.iter().map(|b| b.label()).collect();
    let column = labels.iter().map(|l| width(l)).max().unwrap_or(0).min(26) + 2;
    let inner = popup(frame, area, 72, rows.len() as u16 + 4, &format!("Keys · {}", app.title()), theme);
    let (columns, height) = (inner.width as usize, inner.height as usize);
    let mut lines: Vec<Line> = rows
        .iter()
        .zip(&labels)
        .map(|(row, label)| {
            let label = crate::text::fit(label, column - 2);
            Line::from(vec![Span::styled(format!("{label:<column$}"), theme.key()), Span::raw(row.what)])
        })
        .collect();
    if lines.len() > height {
        let hidden = lines.len() - height + 1;
        lines.truncate(height - 1);
        lines.push(Line::styled(format!("… {hidden} more: a taller terminal shows them"), theme.dim()));
    } else if lines.len() + 2 <= height {
        lines.push(Line::raw(""));
        lines.push(Line::styled(RULE, theme.dim()));
    }
    let lines: Vec<Line> = lines.into_iter().map(|l| fit_line(l, columns)).collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
