//! The chat with tools (`update`), fed the bridge's golden messages (tui/protocol/fixtures/
//! tools.jsonl): the tools listed, a call shown, y/n/a answered, the result shown, the answer's
//! turns kept for the next request; a timed-out approval, Esc while asking, tool files that did
//! not load, and a lost bridge.

mod common;

use chi_tui::app::{update, Action, App, Effect};
use chi_tui::chat::Role;
use chi_tui::protocol::{Incoming, RpcError};
use common::*;
use serde_json::{json, Value};

/// Type `text` and send it: the generate/start request.
fn ask(app: &mut App, text: &str) -> Effect {
    type_text(app, text);
    let effects = update(app, Action::Enter);
    assert_eq!(effects.len(), 1);
    effects[0].clone()
}

fn approve_params(exchange: usize) -> Value {
    fixture_exchanges("tools.jsonl")[exchange]["send"]["params"].clone()
}

#[test]
fn a_call_is_shown_asked_about_run_and_kept_in_the_history() {
    let mut app = chat_with_tools();
    assert!(app.screens.chat.status(&app.seen()).contains("tools: add"));
    let start = ask(&mut app, "add 2 and 3");
    let (id, method, params) = sent(&start);
    assert_eq!(method, "generate/start");
    assert_eq!(params["tools"], json!(["add"]));
    assert!(deliver(&mut app, &tool_replies(1, id)).is_empty()); // tool_call, then tool_approval
    let chat = &app.screens.chat;
    let call = chat.turns.last().and_then(|t| t.call.clone()).expect("a tool turn");
    assert_eq!((call.name.as_str(), call.arguments.as_str(), call.result), ("add", "a=2, b=3", None));
    assert_eq!(chat.turns.iter().filter(|t| t.role == Role::Assistant).count(), 0); // no empty answer before the call
    assert!(chat.approval.is_some() && !app.typing()); // y, n and a are answers now, not text

    let approve = update(&mut app, Action::Char('y'));
    let (_, method, params) = sent(&approve[0]);
    assert_eq!((method.as_str(), params), ("generate/approve", approve_params(2)));
    assert!(app.screens.chat.approval.is_none() && app.typing());
    answer(&mut app, &approve[0], json!({}));
    deliver(&mut app, &tool_replies(2, id)); // the result, the answer's deltas, the answer
    let turns = &app.screens.chat.turns;
    let call = turns.iter().find_map(|t| t.call.clone()).expect("the call");
    assert_eq!((call.result.as_deref(), call.is_error), (Some("5"), false));
    assert_eq!(turns.last().map(|t| (t.role, t.text.as_str())), Some((Role::Assistant, "2 + 3 is 5.")));
    assert!(app.screens.chat.streaming.is_none());

    let next = ask(&mut app, "and 4 more?");
    let messages = sent(&next).2["messages"].clone();
    let roles: Vec<&str> =
        messages.as_array().expect("list").iter().map(|m| m["role"].as_str().expect("role")).collect();
    assert_eq!(roles, ["user", "assistant", "tool", "assistant", "user"]); // the call and its result kept
    assert_eq!(messages[1]["tool_calls"][0]["name"], "add");
    assert_eq!(messages[2]["content"], "5");
}

#[test]
fn n_refuses_the_call_and_the_models_next_turn_shows() {
    let mut app = chat_with_tools();
    let start = ask(&mut app, "add 2 and 3");
    let (id, _, _) = sent(&start);
    deliver(&mut app, &tool_replies(3, id));
    let deny = update(&mut app, Action::Char('n'));
    assert_eq!(sent(&deny[0]).2, approve_params(4));
    deliver(&mut app, &tool_replies(4, id));
    let turns = &app.screens.chat.turns;
    let call = turns.iter().find_map(|t| t.call.clone()).expect("the call");
    assert!(call.is_error && call.result.is_some_and(|r| r.contains("denied")));
    assert_eq!(turns.last().map(|t| t.text.as_str()), Some("I was not allowed to add."));
}

#[test]
fn a_always_allows_the_tool_and_says_so_to_the_bridge() {
    let mut app = chat_with_tools();
    let start = ask(&mut app, "add 2 and 3");
    deliver(&mut app, &tool_replies(1, sent(&start).0));
    let always = update(&mut app, Action::Char('a'));
    assert_eq!(sent(&always[0]).2, json!({"approval_id": "approval-1", "allow": true, "always": true}));
}

#[test]
fn an_approval_the_bridge_gave_up_on_closes_and_a_late_answer_is_said() {
    let mut app = chat_with_tools();
    let start = ask(&mut app, "add 2 and 3");
    let (id, _, _) = sent(&start);
    deliver(&mut app, &tool_replies(1, id));
    let refused = json!({"jsonrpc": "2.0", "method": "generate/tool_result", "params": {"id": id, "call_id": "call_1", "name": "add", "content": "the application refused to run tool 'add': the user did not answer within 600 s", "is_error": true, "status": "refused"}});
    deliver(&mut app, &[refused]);
    assert!(app.screens.chat.approval.is_none() && app.typing());
    // an answer that came too late (y pressed as the bridge gave up) is refused by the bridge: said, not a crash
    app.screens.chat.approval = Some(chi_tui::chat::Approval {
        approval_id: "approval-1".into(),
        call_id: "call_1".into(),
        name: "add".into(),
    });
    let late = update(&mut app, Action::Char('y'));
    fail(&mut app, &late[0], "no tool call waits for approval 'approval-1'", "invalid");
    assert!(app.note.as_ref().is_some_and(|n| n.text.contains("no tool call waits")));
}

#[test]
fn esc_while_asking_stops_the_answer() {
    let mut app = chat_with_tools();
    let start = ask(&mut app, "add 2 and 3");
    deliver(&mut app, &tool_replies(1, sent(&start).0));
    let stop = update(&mut app, Action::Esc);
    assert!(matches!(&stop[0], Effect::Send(line) if line.contains("$/cancelRequest")));
    assert!(app.screens.chat.approval.is_none());
    let (id, _, _) = sent(&start);
    let error = RpcError { code: -32800, message: "cancelled".into(), data: None };
    update(&mut app, Action::Bridge(Incoming::Response { id: json!(id), outcome: Err(error) }));
    let next = ask(&mut app, "again");
    let roles: Vec<Value> =
        sent(&next).2["messages"].as_array().expect("list").iter().map(|m| m["role"].clone()).collect();
    assert_eq!(roles, [json!("user"), json!("user")]); // a stopped call is not sent as half a tool turn
}

#[test]
fn tool_files_that_did_not_load_are_said_and_the_chat_goes_on_without_them() {
    let listed = json!({"tools": [], "errors": [{"source": "calc.py:add", "message": "tool file 'calc.py' does not exist (or is not a file): check the path"}]});
    let mut app = ready_app_with(listed);
    assert!(app.note.as_ref().is_some_and(|n| n.text.contains("Tools from calc.py:add not loaded")));
    update(&mut app, Action::Char('1'));
    let shown = render(&app, 80, 24);
    assert!(shown.contains("error: tools from calc.py:add not loaded: tool file 'calc.py' does"), "{shown}");
    let start = ask(&mut app, "hi");
    assert_eq!(sent(&start).2, json!({"messages": [{"role": "user", "content": "hi"}]}));
    // as without tools
}

#[test]
fn a_fresh_bridge_is_asked_for_its_tools_again() {
    let mut app = chat_with_tools();
    let restart = update(&mut app, Action::BridgeExited("exit code 1".into()));
    assert!(app.tools.is_none() && !app.screens.chat.status(&app.seen()).contains("tools:"));
    let hello = restart.iter().find(|e| matches!(e, Effect::Send(_))).expect("the handshake");
    let refresh = answer(&mut app, hello, fixture_result("handshake.jsonl", "initialize"));
    let asked = refresh.iter().find(|e| sent(e).1 == "tools/list").expect("tools/list asked again");
    answer(&mut app, asked, fixture_result("tools.jsonl", "tools/list"));
    let start = ask(&mut app, "add 2 and 3");
    assert_eq!(sent(&start).2["tools"], json!(["add"]));
}

#[test]
fn each_answer_keeps_its_own_calls_though_their_ids_repeat() {
    let mut app = chat_with_tools();
    let first = ask(&mut app, "add 2 and 3");
    let (id, _, _) = sent(&first);
    deliver(&mut app, &tool_replies(1, id));
    update(&mut app, Action::Char('y'));
    deliver(&mut app, &tool_replies(2, id));
    let second = ask(&mut app, "again");
    let (id, _, _) = sent(&second);
    deliver(&mut app, &tool_replies(3, id)); // the same call id ("call_1") in a new answer
    update(&mut app, Action::Char('n'));
    deliver(&mut app, &tool_replies(4, id));
    let calls: Vec<_> = app.screens.chat.turns.iter().filter_map(|t| t.call.clone()).collect();
    assert_eq!(calls.len(), 2);
    assert_eq!((calls[0].result.as_deref(), calls[0].is_error), (Some("5"), false));
    assert!(calls[1].is_error);
}
