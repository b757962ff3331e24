//! The keys Chat answers to, in each of its states (help and the key bar are drawn from
//! these tables; keys they do not list do not reach the screen).

use crate::keymap::Key::*;
use crate::keymap::{bar, Binding, CLEAR, EDIT, HELP_F1, QUIT};

pub const CHAT: &[Binding] = &[
    bar(&[Enter], "send (/reset starts over)", 1),
    bar(&[Esc], "stop / back (stop the answer, or go back)", 1),
    bar(&[PageUp, PageDown, Up, Down], "scroll", 2),
    EDIT,
    CLEAR,
    HELP_F1,
    QUIT,
];

/// While a tool call waits for the user's answer (the input line keeps its text meanwhile).
pub const APPROVING: &[Binding] = &[
    bar(&[Char('y')], "run it (the tool call the model asked for)", 1),
    bar(&[Char('n')], "refuse it (the model is told)", 1),
    bar(&[Char('a')], "always (run this tool without asking until chi-tui quits)", 1),
    bar(&[Esc], "stop (the answer; the call is refused)", 1),
    bar(&[PageUp, PageDown, Up, Down], "scroll", 2),
    HELP_F1,
    QUIT,
];
