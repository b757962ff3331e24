//! A one-line text input (value and cursor), for filters, file names, folders and chat.

use crate::app::Action;

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

    fn byte_at(&self, chars: usize) -> usize {
        self.value.char_indices().nth(chars).map_or(self.value.len(), |(i, _)| i)
    }

    /// Apply an editing action; false when the action is not an edit (the caller handles it).
    pub fn edit(&mut self, action: &Action) -> bool {
        let len = self.value.chars().count();
        match action {
            Action::Insert(c) => {
                let at = self.byte_at(self.cursor);
                self.value.insert(at, *c);
                self.cursor += 1;
            }
            Action::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                let at = self.byte_at(self.cursor);
                self.value.remove(at);
            }
            Action::Delete if self.cursor < len => {
                let at = self.byte_at(self.cursor);
                self.value.remove(at);
            }
            Action::Left => self.cursor = self.cursor.saturating_sub(1),
            Action::Right => self.cursor = (self.cursor + 1).min(len),
            Action::Home => self.cursor = 0,
            Action::End => self.cursor = len,
            Action::Backspace | Action::Delete => {}
            _ => return false,
        }
        true
    }
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
}
