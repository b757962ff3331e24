//! The keys Configure Provider answers to, in each of its states (help and the key bar are drawn from
//! these tables; keys they do not list do not reach the screen).

use super::{Pane, ProvidersState};
use crate::form::Button;
use crate::keymap::Key::*;
use crate::keymap::{bar, row, Binding, CLEAR, EDIT, HELP, HELP_F1, Q, QUIT};

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

pub fn keys(providers: &ProvidersState) -> Vec<Binding> {
    let form = match (&providers.browser, providers.pane, &providers.form) {
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
