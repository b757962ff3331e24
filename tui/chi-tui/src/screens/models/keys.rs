//! The keys the Models screen answers to, in each of its states (help and the key bar are drawn from
//! these tables; keys they do not list do not reach the screen).

use super::{Confirm, ModelsState};
use crate::keymap::Key::*;
use crate::keymap::{bar, row, Binding, CLEAR, HELP, HELP_F1, Q, QUIT};

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

pub fn keys(models: &ModelsState) -> Vec<Binding> {
    let table = match (&models.confirm, models.filtering) {
        (_, true) => MODELS_FILTER,
        _ if models.hub.is_some() => MODELS_HUB,
        (Some(Confirm::Remove { .. }), _) => MODELS_REMOVE,
        (Some(Confirm::SetDefault { .. }), _) => MODELS_DEFAULT,
        (None, _) if models.recommendation.is_some() => MODELS_ADVICE,
        (None, _) => MODELS,
    };
    table.to_vec()
}
