//! The keys the New-project wizard answers to, in each of its states (help and the key bar are drawn from
//! these tables; keys they do not list do not reach the screen).

use super::{Step, WizardState};
use crate::keymap::Key::*;
use crate::keymap::{bar, row, Binding, CLEAR, EDIT, HELP_F1, Q, QUIT};
use crate::protocol::ProviderView;

const WIZARD_BACK: Binding = bar(&[Esc], "back (a step)", 1);
const SERVED: &[Binding] = &[
    bar(&[Up, Down, Char('k'), Char('j')], "choose", 2),
    bar(&[Enter], "use it", 1),
    bar(&[Esc], "close", 1),
    HELP_F1,
    QUIT,
];

pub fn keys(w: &WizardState, profiles: &[ProviderView]) -> Vec<Binding> {
    if w.served.is_some() {
        return SERVED.to_vec();
    }
    let typing = w.types_text(profiles);
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
