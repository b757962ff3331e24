//! The keys each screen (and each state of a screen) answers to, in one table per context. The
//! help overlay and the key bar are drawn from these tables, and `app::update` lets through only
//! the keys the current table lists, so what help says and what a key does cannot drift apart
//! (tests/keymap.rs presses every key on every screen to check both ways).

use crate::action::{Action, Screen};
use crate::app::App;
use crate::form::Button;
use crate::screens::providers::Pane;
use crate::wizard::Step;

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

const fn row(keys: &'static [Key], what: &'static str) -> Binding {
    Binding { keys, what, bar: 0 }
}

/// A row the key bar shows, by its first `bar` keys.
const fn bar(keys: &'static [Key], what: &'static str, bar: usize) -> Binding {
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

const QUIT: Binding = row(&[Ctrl('c'), Ctrl('q')], "quit from anywhere");
const HELP: Binding = bar(&[Char('?'), F1], "help (these keys)", 1);
const HELP_F1: Binding = bar(&[F1], "help (these keys)", 1);
const Q: Binding = row(&[Char('q')], "quit");
const EDIT: Binding = row(&[Text, Backspace, Delete, Left, Right, Home, End], "edit the text");
const CLEAR: Binding = row(&[Ctrl('u')], "delete from the start of the line to the cursor");

const HELP_OPEN: &[Binding] = &[bar(&[Esc, Enter, Char('q'), Char('?'), F1], "close help", 1), QUIT];

const WELCOME: &[Binding] = &[
    bar(&[Up, Down, Char('k'), Char('j'), BackTab, Tab], "move", 2),
    bar(&[Enter], "open", 1),
    row(&[Digits('1', '7')], "open that item"),
    HELP,
    bar(&[Char('q')], "quit", 1),
    row(&[Esc], "quit, after asking"),
    QUIT,
];
const WELCOME_QUIT: &[Binding] = &[bar(&[Esc, Char('q'), Char('y')], "quit", 3), bar(&[Any], "stay", 1), HELP_F1, QUIT];

const CHAT: &[Binding] = &[
    bar(&[Enter], "send (/reset starts over)", 1),
    bar(&[Esc], "stop / back (stop the answer, or go back)", 1),
    bar(&[PageUp, PageDown, Up, Down], "scroll", 2),
    EDIT,
    CLEAR,
    HELP_F1,
    QUIT,
];

const MODELS: &[Binding] = &[
    row(&[Up, Down, Char('k'), Char('j'), PageUp, PageDown], "move"),
    row(&[Char('/')], "filter (the filter line above the table shows it)"),
    row(&[Char('t')], "tag (the next one; the filter line shows it)"),
    bar(&[Char('d'), Enter], "download (again: resume where it stopped)", 1),
    bar(&[Char('h')], "pull hf:… (any GGUF on the hub, by reference)", 1),
    row(&[Char('c')], "cancel the download (d resumes it)"),
    bar(&[Char('x')], "remove (after asking)", 1),
    bar(&[Char('s')], "default (for the project or globally)", 1),
    bar(&[Char('r')], "recommend (a model for this machine)", 1),
    row(&[Char('R')], "read the list again"),
    bar(&[Esc], "back", 1),
    HELP,
    Q,
    QUIT,
];
const MODELS_FILTER: &[Binding] = &[
    bar(&[Enter, Esc, Up, Down, Tab], "done", 2),
    bar(&[Text], "filter (by id or name)", 1),
    row(&[Backspace, Delete, Left, Right, Home, End], "edit the filter"),
    CLEAR,
    HELP_F1,
    QUIT,
];
const MODELS_HUB: &[Binding] = &[
    bar(&[Enter], "pull (the reference typed)", 1),
    bar(&[Esc], "close", 1),
    bar(&[Text], "reference (hf:owner/repo/file.gguf[@revision] or hf:owner/repo)", 1),
    row(&[Backspace, Delete, Left, Right, Home, End], "edit the reference"),
    CLEAR,
    HELP_F1,
    QUIT,
];
const MODELS_REMOVE: &[Binding] =
    &[bar(&[Char('y'), Enter], "remove", 1), bar(&[Char('n'), Esc, Char('q')], "keep", 1), HELP_F1, QUIT];
const MODELS_DEFAULT: &[Binding] = &[
    bar(&[Char('p')], "for this project", 1),
    bar(&[Char('g')], "globally", 1),
    bar(&[Esc, Char('n'), Char('q')], "cancel", 1),
    HELP_F1,
    QUIT,
];
const MODELS_ADVICE: &[Binding] =
    &[bar(&[Enter], "select (it in the list)", 1), bar(&[Any], "close", 1), HELP_F1, QUIT];

const PROVIDER_TYPES: &[Binding] = &[
    bar(&[Up, Down, Char('k'), Char('j')], "type", 2),
    bar(&[Enter, Tab, Right], "configure", 1),
    bar(&[Char('s')], "save (review and save)", 1),
    bar(&[Esc, Left], "back", 1),
    HELP,
    Q,
    QUIT,
];
const FORM_MOVE: Binding = bar(&[Tab, Up, Down, BackTab], "field (next / previous)", 3);
const FORM_TEXT: &[Binding] = &[FORM_MOVE, row(&[Enter], "next field (on model: the server's models)"), EDIT, CLEAR];
const FORM_CHOOSE: &[Binding] = &[
    bar(&[Tab, Up, Down, Char('j'), BackTab, Char('k')], "field (next / previous)", 3),
    bar(&[Enter], "choose/press (a choice, or the button)", 1),
    row(&[Left, Right], "change the choice, or pick the button"),
    HELP,
    Q,
];
const FORM_TAIL: &[Binding] = &[
    bar(&[Ctrl('t')], "test (the connection)", 1),
    bar(&[Ctrl('s')], "save (the profile, after a passing test)", 1),
    bar(&[Esc], "back (to the types)", 1),
];
const FIND_URL: Binding = row(&[Ctrl('f')], "find a local server's URL");
const BROWSE: Binding = row(&[Ctrl('o')], "browse the server's models");
const BROWSER: &[Binding] = &[
    bar(&[Up, Down, Char('k'), Char('j'), BackTab, Tab], "choose", 2),
    bar(&[Enter], "use (this model)", 1),
    bar(&[Esc, Char('q')], "close", 1),
    HELP_F1,
    QUIT,
];

const SAVE: &[Binding] = &[
    bar(&[Up, Down, Char('k'), Char('j')], "profile", 2),
    bar(&[Char('d'), Char(' ')], "default (the profile generation uses)", 1),
    bar(&[Char('g'), Tab, Left, Right], "project / global", 1),
    bar(&[Enter, Char('w'), Ctrl('s')], "write", 1),
    row(&[Char('p'), Char('a')], "configure another provider"),
    bar(&[Esc], "back", 1),
    HELP,
    Q,
    QUIT,
];

const DIAGNOSTICS: &[Binding] = &[
    bar(&[Char('r')], "run again", 1),
    bar(&[Char('e')], "export (to a file)", 1),
    bar(&[Up, Down, Char('k'), Char('j'), PageUp, PageDown], "scroll", 2),
    bar(&[Esc], "back", 1),
    HELP,
    Q,
    QUIT,
];
const EXPORT: &[Binding] = &[bar(&[Enter], "write", 1), bar(&[Esc], "cancel", 1), EDIT, CLEAR, HELP_F1, QUIT];

const WIZARD_BACK: Binding = bar(&[Esc], "back (a step)", 1);
const SERVED: &[Binding] = &[
    bar(&[Up, Down, Char('k'), Char('j')], "choose", 2),
    bar(&[Enter], "use it", 1),
    bar(&[Esc], "close", 1),
    HELP_F1,
    QUIT,
];

/// The keys that work now: the help overlay's while it is open, else the screen's.
pub fn bindings(app: &App) -> Vec<Binding> {
    if app.help {
        return HELP_OPEN.to_vec();
    }
    screen_bindings(app)
}

/// The keys the screen answers to in its present state (what the help overlay lists).
pub fn screen_bindings(app: &App) -> Vec<Binding> {
    match app.screen {
        Screen::Welcome if app.welcome.confirm_quit => WELCOME_QUIT.to_vec(),
        Screen::Welcome => WELCOME.to_vec(),
        Screen::Chat => CHAT.to_vec(),
        Screen::Models => models(app).to_vec(),
        Screen::Providers => providers(app),
        Screen::Save => SAVE.to_vec(),
        Screen::Diagnostics if app.diag.export.is_some() => EXPORT.to_vec(),
        Screen::Diagnostics => DIAGNOSTICS.to_vec(),
        Screen::Wizard => wizard(app),
    }
}

/// Whether the current table lists this key (other keys are not passed to the screen). While a
/// text field has focus, editing keys always reach it (every typing table lists them).
pub fn allows(app: &App, action: &Action) -> bool {
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
    !is_key(action) || (editing && app.typing()) || bindings(app).iter().any(|b| b.matches(action))
}

fn models(app: &App) -> &'static [Binding] {
    use crate::models::Confirm;
    match (&app.models.confirm, app.models.filtering) {
        (_, true) => MODELS_FILTER,
        _ if app.models.hub.is_some() => MODELS_HUB,
        (Some(Confirm::Remove { .. }), _) => MODELS_REMOVE,
        (Some(Confirm::SetDefault { .. }), _) => MODELS_DEFAULT,
        (None, _) if app.models.recommendation.is_some() => MODELS_ADVICE,
        (None, _) => MODELS,
    }
}

fn providers(app: &App) -> Vec<Binding> {
    let form = match (&app.providers.browser, app.providers.pane, &app.providers.form) {
        (Some(_), _, _) => return BROWSER.to_vec(),
        (None, Pane::Form, Some(form)) => form,
        _ => return PROVIDER_TYPES.to_vec(),
    };
    let mut out = if form.typing() { FORM_TEXT.to_vec() } else { FORM_CHOOSE.to_vec() };
    out.extend_from_slice(FORM_TAIL);
    if form.buttons.contains(&Button::FindUrl) {
        out.push(FIND_URL);
    }
    if form.buttons.contains(&Button::Models) {
        out.push(BROWSE);
    }
    out.extend([HELP_F1, QUIT]);
    out
}

fn wizard(app: &App) -> Vec<Binding> {
    let w = &app.wizard;
    if w.served.is_some() {
        return SERVED.to_vec();
    }
    let typing = app.wizard.typing(&app.profiles);
    let mut out = match w.step {
        Step::Folder => vec![bar(&[Enter], "next", 1)],
        Step::Provider | Step::Extras => {
            vec![bar(&[Enter], "next", 1), bar(&[Up, Down, Char('k'), Char('j')], "choose", 2)]
        }
        Step::Model if typing => vec![bar(&[Enter], "next", 1), bar(&[Ctrl('o')], "models (the server's)", 1)],
        Step::Model => vec![bar(&[Enter], "next", 1), bar(&[Up, Down, Char('k'), Char('j')], "choose", 2)],
        Step::Format => {
            vec![bar(&[Enter], "next", 1), bar(&[Up, Down, Left, Right, Char('k'), Char('j')], "JSON / YAML", 2)]
        }
        Step::Preview if w.confirm => vec![
            bar(&[Char('y')], "show the overwrite (old files kept as NAME.bak)", 1),
            bar(&[Char('n')], "new only (write only the new files)", 1),
            row(&[Up, Down, Char('k'), Char('j'), PageUp, PageDown], "scroll"),
        ],
        Step::Preview if w.loading => vec![bar(&[Up, Down, Char('k'), Char('j'), PageUp, PageDown], "scroll", 2)],
        Step::Preview => vec![
            bar(&[Enter, Char('w')], "write (the files)", 1),
            bar(&[Up, Down, Char('k'), Char('j'), PageUp, PageDown], "scroll", 2),
        ],
        Step::Done => vec![bar(&[Enter], "back (to the menu)", 1)],
    };
    out.push(WIZARD_BACK);
    if typing {
        out.extend([EDIT, CLEAR]);
    } else {
        out.push(Q);
    }
    out.extend([HELP_F1, QUIT]);
    out
}
