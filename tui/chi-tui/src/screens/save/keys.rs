//! The keys Build/Save answers to, in each of its states (help and the key bar are drawn from
//! these tables; keys they do not list do not reach the screen).

use crate::keymap::Key::*;
use crate::keymap::{bar, row, Binding, HELP, Q, QUIT};

pub const SAVE: &[Binding] = &[
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
