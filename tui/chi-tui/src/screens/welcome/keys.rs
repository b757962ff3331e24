//! The keys Welcome answers to, in each of its states (help and the key bar are drawn from
//! these tables; keys they do not list do not reach the screen).

use super::WelcomeState;
use crate::keymap::Key::*;
use crate::keymap::{bar, row, Binding, HELP, HELP_F1, QUIT};

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

pub fn keys(state: &WelcomeState) -> Vec<Binding> {
    if state.confirm_quit {
        return WELCOME_QUIT.to_vec();
    }
    WELCOME.to_vec()
}
