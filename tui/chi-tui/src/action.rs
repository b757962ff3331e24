//! The vocabulary every screen and the event loop share: what can happen (`Action`), what the
//! app asks the outside world to do (`Effect`), the screens, and the status line's note. It
//! depends on nothing of the app, so a screen reads it without importing `app.rs`.

use crate::protocol::Incoming;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Screen {
    #[default]
    Welcome,
    Chat,
    Models,
    Providers,
    Save,
    Diagnostics,
    Wizard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Good,
    Bad,
    Busy,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub tone: Tone,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// One line to the bridge.
    Send(String),
    /// Start a fresh bridge process (the old one died).
    RestartBridge,
    /// Write a file atomically (a temporary file, then rename); answered with `FileWritten`.
    WriteFile {
        path: String,
        content: String,
    },
    Quit,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Up,
    Down,
    Left,
    Right,
    Enter,
    Esc,
    Tab,
    BackTab,
    /// A character typed into the focused text field.
    Insert(char),
    Backspace,
    Delete,
    /// Ctrl+U in a text field: delete from the start of the line to the cursor.
    ClearLine,
    Home,
    End,
    PageUp,
    PageDown,
    /// A letter pressed outside text fields: the screen decides what it means.
    Char(char),
    Help,
    Quit,
    Test,
    Save,
    FindUrl,
    Browse,
    Tick,
    Bridge(Incoming),
    /// The bridge wrote something unreadable.
    BridgeGarbled(String),
    /// The bridge process ended; the text says how.
    BridgeExited(String),
    /// A `WriteFile` effect's outcome: the path written, or why not.
    FileWritten(Result<String, String>),
}
