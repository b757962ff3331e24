//! The keys Diagnostics answers to, in each of its states (help and the key bar are drawn from
//! these tables; keys they do not list do not reach the screen).

use super::DiagState;
use crate::keymap::Key::*;
use crate::keymap::{bar, Binding, CLEAR, EDIT, HELP, HELP_F1, Q, QUIT};

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

pub fn keys(diag: &DiagState) -> Vec<Binding> {
    if diag.export.is_some() {
        return EXPORT.to_vec();
    }
    DIAGNOSTICS.to_vec()
}
