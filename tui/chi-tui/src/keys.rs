//! Keys to actions. While a text field has focus, every printable key is text: no letter
//! shortcut can fire; Ctrl chords and function keys still work.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::action::Action;

pub fn action_for(key: KeyEvent, typing: bool) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl {
        return match key.code {
            KeyCode::Char('c') | KeyCode::Char('q') => Some(Action::Quit),
            KeyCode::Char('t') => Some(Action::Test),
            KeyCode::Char('s') => Some(Action::Save),
            KeyCode::Char('f') => Some(Action::FindUrl),
            KeyCode::Char('o') => Some(Action::Browse),
            KeyCode::Char('u') => Some(Action::ClearLine),
            _ => None,
        };
    }
    if key.modifiers.contains(KeyModifiers::ALT) {
        return None; // Alt chords (or Esc typed just before a key) are not text and not shortcuts
    }
    Some(match key.code {
        KeyCode::Up => Action::Up,
        KeyCode::Down => Action::Down,
        KeyCode::Left => Action::Left,
        KeyCode::Right => Action::Right,
        KeyCode::Enter => Action::Enter,
        KeyCode::Esc => Action::Esc,
        KeyCode::Tab => Action::Tab,
        KeyCode::BackTab => Action::BackTab,
        KeyCode::Backspace => Action::Backspace,
        KeyCode::Delete => Action::Delete,
        KeyCode::Home => Action::Home,
        KeyCode::End => Action::End,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::F(1) => Action::Help,
        KeyCode::Char(c) if typing => Action::Insert(c),
        KeyCode::Char(c) => Action::Char(c),
        _ => return None,
    })
}
