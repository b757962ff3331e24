//! Tool calls in the chat: the bridge announces each call the model asks for
//! (`generate/tool_call`), asks before it runs (`generate/tool_approval`, answered with
//! `generate/approve` by the keys y, n or a) and sends what went back to the model
//! (`generate/tool_result`). Each call is a turn of the conversation. The tools on offer are the
//! app's (`tools/list` after each handshake); a tool file that did not load is said at the top
//! of the conversation.

use serde_json::Value;

use super::{ChatState, Ctx, Request, Role, Turn};
use crate::action::Effect;
use crate::protocol::{approve_params, ToolApproval, ToolCallNote, ToolList, ToolResult};

/// A call the model asked for, and what came of it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolTurn {
    pub call_id: String,
    pub name: String,
    /// The arguments as the call shows them: `a=2, b="x"`.
    pub arguments: String,
    /// What went back to the model, once it has.
    pub result: Option<String>,
    pub is_error: bool,
}

/// A call waiting for the user's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Approval {
    pub approval_id: String,
    pub call_id: String,
    pub name: String,
}

/// The arguments object as `name=value` pairs (values as JSON), else the JSON itself.
pub fn shown_arguments(arguments: &Value) -> String {
    match arguments.as_object() {
        Some(pairs) => pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", "),
        None if arguments.is_null() => String::new(),
        None => arguments.to_string(),
    }
}

impl ChatState {
    fn for_this_answer(&self, id: &Value) -> bool {
        self.streaming.as_ref().is_some_and(|s| id.as_u64() == Some(s.request))
    }

    /// The call's turn in the answer now streaming (call ids are unique within one answer only).
    fn tool_turn(&mut self, call_id: &str) -> Option<&mut ToolTurn> {
        let first = self.streaming.as_ref().map_or(self.turns.len(), |s| s.first_turn);
        self.turns.iter_mut().skip(first).filter_map(|t| t.call.as_mut()).find(|c| c.call_id == call_id)
    }

    /// `generate/tool_call`: the call becomes a turn (in place of an answer that had no text yet).
    pub fn tool_call(&mut self, params: Value) {
        let Ok(note) = serde_json::from_value::<ToolCallNote>(params) else { return };
        if !self.for_this_answer(&note.id) || self.tool_turn(&note.call_id).is_some() {
            return;
        }
        if self.turns.last().is_some_and(|t| t.role == Role::Assistant && t.text.is_empty()) {
            self.turns.pop();
        }
        let call = ToolTurn {
            call_id: note.call_id,
            name: note.name,
            arguments: shown_arguments(&note.arguments),
            result: None,
            is_error: false,
        };
        self.turns.push(Turn { call: Some(call), ..Turn::new(Role::Tool, "") });
    }

    /// `generate/tool_approval`: the call waits for y, n or a.
    pub fn tool_approval(&mut self, params: Value) {
        let Ok(asked) = serde_json::from_value::<ToolApproval>(params) else { return };
        if !self.for_this_answer(&asked.id) {
            return;
        }
        self.scroll = 0;
        self.approval = Some(Approval { approval_id: asked.approval_id, call_id: asked.call_id, name: asked.name });
    }

    /// `generate/tool_result`: the call's result (or its refusal, or its error) under it.
    pub fn tool_result(&mut self, params: Value) {
        let Ok(done) = serde_json::from_value::<ToolResult>(params) else { return };
        if !self.for_this_answer(&done.id) {
            return;
        }
        if self.approval.as_ref().is_some_and(|a| a.call_id == done.call_id) {
            self.approval = None; // no answer in time: the bridge denied it
        }
        if let Some(call) = self.tool_turn(&done.call_id) {
            call.result = Some(done.content);
            call.is_error = done.is_error;
        }
    }

    /// The user's answer to the waiting call: y (allow), n (deny), a (allow this tool always).
    pub fn approve(&mut self, ctx: &mut Ctx, allow: bool, always: bool) -> Vec<Effect> {
        let Some(asked) = self.approval.take() else { return Vec::new() };
        let params = approve_params(&asked.approval_id, allow, always);
        vec![ctx.request("generate/approve", params, Request::Approve)]
    }
}

/// The tool names every request offers the model (none: the request is as without tools).
pub fn tool_names(tools: Option<&ToolList>) -> Vec<String> {
    tools.map(|l| l.tools.iter().map(|t| t.name.clone()).collect()).unwrap_or_default()
}
