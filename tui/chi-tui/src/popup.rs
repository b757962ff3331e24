//! A box in the middle of the screen, for overlays (help, confirmations, pickers). Apart from
//! `ui` so that a screen's view draws one without importing the app's frame.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Clear};
use ratatui::Frame;

use crate::theme::Theme;

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
