//! Chat: the conversation (scrolling), the input line, and a status line with the model, the
//! provider, the tokens and the speed.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::{Approval, ChatState, Role, ToolTurn};
use crate::action::Tone;
use crate::context::Seen;
use crate::theme::Theme;

/// The screen in `area`: `status` is the line under the conversation; from `seen`, the busy
/// marker's frame, whether the input's cursor shows (not under the help overlay) and the tool
/// files that did not load (said first).
pub fn draw(frame: &mut Frame, area: Rect, chat: &ChatState, status: &str, seen: &Seen, theme: Theme) {
    let (spinner, cursor) = (seen.spinner, !seen.help);
    let [history, info, input] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(1), Constraint::Length(3)]).areas(area);
    let block = Block::bordered().title(Span::styled(" Chat ", theme.title()));
    let inner = block.inner(history);
    frame.render_widget(block, history);
    let mut lines: Vec<Line> = Vec::new();
    for error in seen.tools.map(|t| t.errors.as_slice()).unwrap_or_default() {
        let text = format!("error: tools from {} not loaded: {}", error.source, error.message);
        lines.push(Line::styled(text, theme.tone(Tone::Bad)));
    }
    if chat.turns.is_empty() {
        lines.push(Line::styled(
            "Type a message and press Enter. /reset starts over; Esc stops an answer.",
            theme.dim(),
        ));
    }
    for (i, turn) in chat.turns.iter().enumerate() {
        if let Some(call) = &turn.call {
            let asking = chat.approval.as_ref().filter(|a| a.call_id == call.call_id);
            let running = chat.streaming.is_some().then_some(spinner);
            tool_lines(&mut lines, call, asking, running, theme);
            continue;
        }
        let (who, style) = match turn.role {
            Role::User => ("you", theme.key()),
            Role::Assistant => ("llm", theme.title()),
            Role::Note | Role::Tool => ("   ", theme.dim()),
        };
        let streaming = chat.streaming.is_some() && i + 1 == chat.turns.len() && turn.role == Role::Assistant;
        let mut text = turn.text.clone();
        if streaming {
            text.push_str(spinner);
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
    let offset = bottom.saturating_sub(chat.scroll);
    frame.render_widget(paragraph.scroll((offset, 0)), inner);
    frame.render_widget(Paragraph::new(Span::styled(format!(" {status}"), theme.dim())), info);
    let block = Block::bordered();
    let field = block.inner(input);
    frame.render_widget(Paragraph::new(chat.input.value.clone()).block(block), input);
    if cursor {
        let x = field.x + chat.input.cursor as u16;
        frame.set_cursor_position((x.min(field.right().saturating_sub(1)), field.y));
    }
}

/// The most of a tool's result the conversation shows (the model gets all of it).
const RESULT_SHOWN: usize = 400;

/// A tool call: `⚙ name(arguments)`, then the question while it waits for the user, else its
/// result (`→`), an error or a refusal (`✗`), or the spinner (`running`) while it runs.
fn tool_lines(
    lines: &mut Vec<Line<'static>>,
    call: &ToolTurn,
    asking: Option<&Approval>,
    running: Option<&str>,
    theme: Theme,
) {
    lines.push(Line::from(vec![
        Span::styled("⚙   ", theme.key()),
        Span::styled(format!("{}({})", call.name, call.arguments), theme.key()),
    ]));
    if let Some(asking) = asking {
        lines.push(Line::from(vec![
            Span::raw("    run it? "),
            Span::styled("y", theme.key()),
            Span::raw(" yes · "),
            Span::styled("n", theme.key()),
            Span::raw(" no · "),
            Span::styled("a", theme.key()),
            Span::raw(format!(" always for {}", asking.name)),
        ]));
        return;
    }
    let Some(result) = &call.result else {
        lines.push(Line::styled(format!("    {}", running.unwrap_or("(no result: the answer stopped)")), theme.dim()));
        return;
    };
    let mut shown: String = result.chars().take(RESULT_SHOWN).collect();
    if result.chars().count() > RESULT_SHOWN {
        shown.push('…');
    }
    let (mark, style) = if call.is_error { ("✗ ", theme.tone(Tone::Bad)) } else { ("→ ", theme.dim()) };
    for (n, part) in shown.split('\n').enumerate() {
        let label = if n == 0 { format!("    {mark}") } else { "      ".into() };
        lines.push(Line::from(vec![Span::styled(label, style), Span::styled(part.to_string(), style)]));
    }
}
