//! Chat: the conversation (scrolling), the input line, and a status line with the model, the
//! provider, the tokens and the speed.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::App;
use crate::chat::{status, Role};
use crate::theme::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let [history, info, input] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(1), Constraint::Length(3)]).areas(area);
    let block = Block::bordered().title(Span::styled(" Chat ", theme.title()));
    let inner = block.inner(history);
    frame.render_widget(block, history);
    let mut lines: Vec<Line> = Vec::new();
    if app.chat.turns.is_empty() {
        lines.push(Line::styled(
            "Type a message and press Enter. /reset starts over; Esc stops an answer.",
            theme.dim(),
        ));
    }
    for (i, turn) in app.chat.turns.iter().enumerate() {
        let (who, style) = match turn.role {
            Role::User => ("you", theme.key()),
            Role::Assistant => ("llm", theme.title()),
            Role::Note => ("   ", theme.dim()),
        };
        let streaming = app.chat.streaming.is_some() && i + 1 == app.chat.turns.len() && turn.role == Role::Assistant;
        let mut text = turn.text.clone();
        if streaming {
            text.push_str(super::spinner(app));
        }
        for (n, part) in text.split('\n').enumerate() {
            let label = if n == 0 { format!("{who} ") } else { "    ".into() };
            let body = if turn.role == Role::Note {
                Span::styled(part.to_string(), theme.dim())
            } else {
                Span::raw(part.to_string())
            };
            lines.push(Line::from(vec![Span::styled(label, style), body]));
        }
    }
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let total = paragraph.line_count(inner.width) as u16;
    let bottom = total.saturating_sub(inner.height);
    let offset = bottom.saturating_sub(app.chat.scroll);
    frame.render_widget(paragraph.scroll((offset, 0)), inner);
    frame.render_widget(Paragraph::new(Span::styled(format!(" {}", status(app)), theme.dim())), info);
    let block = Block::bordered();
    let field = block.inner(input);
    frame.render_widget(Paragraph::new(app.chat.input.value.clone()).block(block), input);
    if !app.help {
        let x = field.x + app.chat.input.cursor as u16;
        frame.set_cursor_position((x.min(field.right().saturating_sub(1)), field.y));
    }
}
