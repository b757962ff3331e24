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
