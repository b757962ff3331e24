//! A one-line text input (value and cursor), for filters, file names, folders and chat.

use crate::action::Action;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextInput {
    pub value: String,
    /// In characters, not bytes.
    pub cursor: usize,
}

impl TextInput {
    pub fn new(value: &str) -> Self {
        TextInput { value: value.to_string(), cursor: value.chars().count() }
    }

    pub fn clear(&mut self) {
        self.value.clear();
        self.cursor = 0;
    }

    /// Apply an editing action; false when the action is not an edit (the caller handles it).
    pub fn edit(&mut self, action: &Action) -> bool {
        edit_text(&mut self.value, &mut self.cursor, action)
    }
}

fn byte_at(value: &str, chars: usize) -> usize {
    value.char_indices().nth(chars).map_or(value.len(), |(i, _)| i)
}

/// Edit a line of text at `cursor` (in characters): typing, Backspace, Delete, ← →, Home, End,
/// and Ctrl+U, which deletes from the start of the line to the cursor (as readline does). False
/// when the action is not an edit.
pub fn edit_text(value: &mut String, cursor: &mut usize, action: &Action) -> bool {
    let len = value.chars().count();
    *cursor = (*cursor).min(len);
    match action {
        Action::Insert(c) => {
            value.insert(byte_at(value, *cursor), *c);
            *cursor += 1;
        }
        Action::Backspace if *cursor > 0 => {
            *cursor -= 1;
            value.remove(byte_at(value, *cursor));
        }
        Action::Delete if *cursor < len => {
            value.remove(byte_at(value, *cursor));
        }
        Action::ClearLine => {
            value.replace_range(..byte_at(value, *cursor), "");
            *cursor = 0;
        }
        Action::Left => *cursor = cursor.saturating_sub(1),
        Action::Right => *cursor = (*cursor + 1).min(len),
        Action::Home => *cursor = 0,
        Action::End => *cursor = len,
        Action::Backspace | Action::Delete => {}
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_by_characters_not_bytes() {
        let mut input = TextInput::new("héllo");
        input.edit(&Action::Left);
        input.edit(&Action::Backspace);
        input.edit(&Action::Insert('ø'));
        assert_eq!(input.value, "héløo");
        input.edit(&Action::Home);
        input.edit(&Action::Delete);
        assert_eq!((input.value.as_str(), input.cursor), ("éløo", 0));
        assert!(!input.edit(&Action::Enter));
    }

    #[test]
    fn ctrl_u_deletes_from_the_start_of_the_line_to_the_cursor() {
        let mut input = TextInput::new("héllo wörld");
        for _ in 0..5 {
            input.edit(&Action::Left);
        }
        assert!(input.edit(&Action::ClearLine));
        assert_eq!((input.value.as_str(), input.cursor), ("wörld", 0));
        input.edit(&Action::End);
        input.edit(&Action::ClearLine);
        assert_eq!((input.value.as_str(), input.cursor), ("", 0));
    }
}
