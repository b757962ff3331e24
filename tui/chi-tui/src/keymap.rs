//! The vocabulary of key tables: a key (`Key`), a row of help (`Binding`) and the rows every
//! screen shares. Each screen lists the keys it answers to, in each of its states, in its own
//! `keys.rs` (`Page::keys`). The help overlay and the key bar are drawn from these tables, and
//! `app::update` lets through only the keys the current table lists (`allows`), so what help
//! says and what a key does cannot drift apart (tests/keymap.rs presses every key on every
//! screen to check both ways).

use crate::action::Action;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Up,
    Down,
    Left,
    Right,
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Home,
    End,
    PageUp,
    PageDown,
    F1,
    Char(char),
    /// One of the digits from the first to the second.
    Digits(char, char),
    Ctrl(char),
    /// Any character typed into the focused text field.
    Text,
    /// Any key at all (a question that any key answers).
    Any,
}

impl Key {
    pub fn matches(self, action: &Action) -> bool {
        match (self, action) {
            (Key::Any, _) => is_key(action),
            (Key::Up, Action::Up)
            | (Key::Down, Action::Down)
            | (Key::Left, Action::Left)
            | (Key::Right, Action::Right)
            | (Key::Enter, Action::Enter)
            | (Key::Esc, Action::Esc)
            | (Key::Tab, Action::Tab)
            | (Key::BackTab, Action::BackTab)
            | (Key::Backspace, Action::Backspace)
            | (Key::Delete, Action::Delete)
            | (Key::Home, Action::Home)
            | (Key::End, Action::End)
            | (Key::PageUp, Action::PageUp)
            | (Key::PageDown, Action::PageDown)
            | (Key::F1, Action::Help)
            | (Key::Text, Action::Insert(_))
            | (Key::Ctrl('c' | 'q'), Action::Quit)
            | (Key::Ctrl('t'), Action::Test)
            | (Key::Ctrl('s'), Action::Save)
            | (Key::Ctrl('f'), Action::FindUrl)
            | (Key::Ctrl('o'), Action::Browse)
            | (Key::Ctrl('u'), Action::ClearLine) => true,
            (Key::Char(c), Action::Char(d)) => c == *d,
            (Key::Digits(low, high), Action::Char(d)) => (low..=high).contains(d),
            _ => false,
        }
    }

    /// How help and the key bar name the key.
    pub fn name(self) -> String {
        match self {
            Key::Up => "↑".into(),
            Key::Down => "↓".into(),
            Key::Left => "←".into(),
            Key::Right => "→".into(),
            Key::Enter => "Enter".into(),
            Key::Esc => "Esc".into(),
            Key::Tab => "Tab".into(),
            Key::BackTab => "Shift+Tab".into(),
            Key::Backspace => "Backspace".into(),
            Key::Delete => "Del".into(),
            Key::Home => "Home".into(),
            Key::End => "End".into(),
            Key::PageUp => "PgUp".into(),
            Key::PageDown => "PgDn".into(),
            Key::F1 => "F1".into(),
            Key::Char(' ') => "Space".into(),
            Key::Char(c) => c.to_string(),
            Key::Digits(low, high) => format!("{low}–{high}"),
            Key::Ctrl(c) => format!("Ctrl+{}", c.to_ascii_uppercase()),
            Key::Text => "type".into(),
            Key::Any => "other keys".into(),
        }
    }
}

/// Whether an action comes from a key (rather than the bridge, the clock or a file write).
pub fn is_key(action: &Action) -> bool {
    !matches!(
        action,
        Action::Tick | Action::Bridge(_) | Action::BridgeGarbled(_) | Action::BridgeExited(_) | Action::FileWritten(_)
    )
}

/// One row of help: the keys, what they do, and how many of the keys the key bar shows (0: the
/// row is in help only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub keys: &'static [Key],
    pub what: &'static str,
    pub bar: usize,
}

pub const fn row(keys: &'static [Key], what: &'static str) -> Binding {
    Binding { keys, what, bar: 0 }
}

/// A row the key bar shows, by its first `bar` keys.
pub const fn bar(keys: &'static [Key], what: &'static str, bar: usize) -> Binding {
    Binding { keys, what, bar }
}

impl Binding {
    pub fn label(&self) -> String {
        self.keys.iter().map(|k| k.name()).collect::<Vec<_>>().join(" ")
    }

    /// The first `bar` keys: `↑↓` for arrows side by side, `/` between the others.
    pub fn bar_label(&self) -> String {
        let mut out = String::new();
        let arrow = |k: &Key| matches!(k, Up | Down | Left | Right);
        for (i, key) in self.keys.iter().take(self.bar).enumerate() {
            if i > 0 && !(arrow(key) && arrow(&self.keys[i - 1])) {
                out.push('/');
            }
            out.push_str(&key.name());
        }
        out
    }

    /// What the key bar says: the text before any parenthesis.
    pub fn short(&self) -> &'static str {
        self.what.split(" (").next().unwrap_or(self.what)
    }

    /// Whether this is the row that opens help (the key bar always keeps it).
    pub fn is_help(&self) -> bool {
        self.keys.contains(&Key::F1) && self.what.starts_with("help")
    }

    pub fn matches(&self, action: &Action) -> bool {
        self.keys.iter().any(|k| k.matches(action))
    }
}

use Key::*;

pub const QUIT: Binding = row(&[Ctrl('c'), Ctrl('q')], "quit from anywhere");
pub const HELP: Binding = bar(&[Char('?'), F1], "help (these keys)", 1);
pub const HELP_F1: Binding = bar(&[F1], "help (these keys)", 1);
pub const Q: Binding = row(&[Char('q')], "quit");
pub const EDIT: Binding = row(&[Text, Backspace, Delete, Left, Right, Home, End], "edit the text");
pub const CLEAR: Binding = row(&[Ctrl('u')], "delete from the start of the line to the cursor");

pub const HELP_OPEN: &[Binding] = &[bar(&[Esc, Enter, Char('q'), Char('?'), F1], "close help", 1), QUIT];

/// Whether the current table lists this key (other keys are not passed to the screen). While a
/// text field has focus, editing keys always reach it (every typing table lists them). `keys` is
/// asked only for a key that needs it.
pub fn allows(action: &Action, typing: bool, keys: impl FnOnce() -> Vec<Binding>) -> bool {
    let editing = matches!(
        action,
        Action::Insert(_)
            | Action::Backspace
            | Action::Delete
            | Action::Left
            | Action::Right
            | Action::Home
            | Action::End
            | Action::ClearLine
    );
    !is_key(action) || (editing && typing) || keys().iter().any(|b| b.matches(action))
}
