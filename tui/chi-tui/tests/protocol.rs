//! The golden conversations in tui/protocol/fixtures (replayed against the real bridge by
//! pytest) parsed here: every message the bridge sent reads as JSON-RPC, every result the TUI
//! uses decodes into its type, and the requests the TUI writes are the fixtures' requests.

use std::fs;
use std::path::PathBuf;

use chi_tui::protocol::{
    approve_params, decode, parse_incoming, request_line, ConnectionReport, DiagnosticsReport, GenerateDelta,
    GenerateResult, Incoming, InitializeResult, InstalledModel, ModelInfo, ProjectPlan, ProviderSchema, ProviderView,
    Recommendation, ServedModel, ToolApproval, ToolCallNote, ToolList, ToolResult, UrlSearch, Written,
    PROTOCOL_VERSION,
};
use serde_json::Value;

fn fixtures() -> Vec<(String, Vec<Value>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../protocol/fixtures");
    let mut out = Vec::new();
    for entry in fs::read_dir(&dir).expect("the fixtures folder") {
        let path = entry.expect("an entry").path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            let text = fs::read_to_string(&path).expect("a fixture");
            let lines = text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).expect("JSON"));
            out.push((path.display().to_string(), lines.collect()));
        }
    }
    assert!(out.len() >= 4, "fixtures missing in {}", dir.display());
    out
}

fn check_result(method: &str, result: Value) {
    let checked = match method {
        "initialize" => {
            decode::<InitializeResult>(method, result).map(|r| assert_eq!(r.protocol_version, PROTOCOL_VERSION))
        }
        "providers/schema" => decode::<Vec<ProviderSchema>>(method, result).map(|r| assert!(!r.is_empty())),
        "providers/list" | "providers/current" => decode::<Vec<ProviderView>>(method, result).map(drop),
        "providers/test" => decode::<ConnectionReport>(method, result).map(drop),
        "providers/discover" => decode::<Vec<ServedModel>>(method, result).map(drop),
        "providers/find_url" => decode::<UrlSearch>(method, result).map(drop),
        "providers/add" | "config/write" => decode::<Written>(method, result).map(drop),
        "generate/start" => decode::<GenerateResult>(method, result).map(drop),
        "tools/list" => decode::<ToolList>(method, result).map(|r| assert!(!r.tools.is_empty())),
        "models/list" => decode::<Vec<ModelInfo>>(method, result).map(|r| assert!(!r.is_empty())),
        "models/info" => decode::<ModelInfo>(method, result).map(drop),
        "models/installed" => decode::<Vec<InstalledModel>>(method, result).map(drop),
        "models/recommend" => decode::<Recommendation>(method, result).map(drop),
        "models/set" => decode::<Written>(method, result).map(drop),
        "diagnostics/run" => decode::<DiagnosticsReport>(method, result).map(|r| assert!(!r.checks.is_empty())),
        "bootstrap/preview" | "bootstrap/write" => {
            decode::<ProjectPlan>(method, result).map(|r| assert_eq!(r.files.len(), 3))
        }
        _ => Ok(()),
    };
    if let Err(reason) = checked {
        panic!("{reason}");
    }
}

#[test]
fn every_fixture_message_parses_and_every_result_decodes() {
    let mut results = 0;
    for (name, exchanges) in fixtures() {
        for exchange in exchanges {
            let method = exchange["send"]["method"].as_str().unwrap_or("").to_string();
            for message in exchange["expect"].as_array().expect("expect is a list") {
                match parse_incoming(&message.to_string()) {
                    Ok(Incoming::Response { outcome: Ok(result), .. }) => {
                        check_result(&method, result);
                        results += 1;
                    }
                    Ok(Incoming::Response { outcome: Err(error), .. }) => {
                        assert!(!error.message.is_empty(), "{name}: an error without a message");
                        if error.code == -32000 {
                            assert!(error.data.is_some(), "{name}: an application error without its kind");
                        }
                    }
                    Ok(Incoming::Notification { method: note, params }) => match note.as_str() {
                        "generate/delta" => drop(serde_json::from_value::<GenerateDelta>(params).expect("a delta")),
                        "generate/tool_call" => drop(serde_json::from_value::<ToolCallNote>(params).expect("a call")),
                        "generate/tool_approval" => {
                            drop(serde_json::from_value::<ToolApproval>(params).expect("an approval"))
                        }
                        "generate/tool_result" => {
                            drop(serde_json::from_value::<ToolResult>(params).expect("a tool result"))
                        }
                        _ => {}
                    },
                    Err(error) => panic!("{name}: {error}"),
                }
            }
        }
    }
    assert!(results >= 10);
}

#[test]
fn the_requests_the_tui_writes_are_the_fixtures_requests() {
    for (_, exchanges) in fixtures() {
        for exchange in exchanges {
            let Some(sent) = exchange.get("send") else { continue };
            let id = sent["id"].as_u64().expect("numeric ids in fixtures");
            let method = sent["method"].as_str().expect("a method");
            let params = sent.get("params").cloned().unwrap_or(Value::Null);
            let ours: Value = serde_json::from_str(&request_line(id, method, params)).expect("JSON");
            assert_eq!(&ours, sent);
        }
    }
}

#[test]
fn the_tool_messages_in_the_fixtures_read_as_the_tui_reads_them() {
    let exchanges: Vec<Value> =
        fixtures().into_iter().filter(|(n, _)| n.ends_with("tools.jsonl")).flat_map(|(_, e)| e).collect();
    let notes: Vec<(String, Value)> = exchanges
        .iter()
        .flat_map(|e| e["expect"].as_array().cloned().unwrap_or_default())
        .filter_map(|m| Some((m.get("method")?.as_str()?.to_string(), m["params"].clone())))
        .collect();
    let approvals: Vec<ToolApproval> = notes
        .iter()
        .filter(|(m, _)| m == "generate/tool_approval")
        .map(|(_, p)| serde_json::from_value(p.clone()).expect("an approval"))
        .collect();
    let results: Vec<ToolResult> = notes
        .iter()
        .filter(|(m, _)| m == "generate/tool_result")
        .map(|(_, p)| serde_json::from_value(p.clone()).expect("a result"))
        .collect();
    assert_eq!(approvals.len(), 2);
    assert_eq!((results[0].content.as_str(), results[0].is_error), ("5", false));
    assert!(results[1].is_error && results[1].status == "refused");
    // what the TUI sends for y and n is what the bridge was sent in the fixture
    let sent: Vec<&Value> =
        exchanges.iter().map(|e| &e["send"]).filter(|s| s["method"] == "generate/approve").collect();
    assert_eq!(sent[0]["params"], approve_params(&approvals[0].approval_id, true, false));
    assert_eq!(sent[1]["params"], approve_params(&approvals[1].approval_id, false, false));
    let done = exchanges
        .iter()
        .flat_map(|e| e["expect"].as_array().cloned().unwrap_or_default())
        .find_map(|m| decode::<GenerateResult>("generate/start", m.get("result")?.clone()).ok())
        .expect("an answer with tools");
    assert_eq!(done.messages.map(|m| m.len()), Some(3)); // the call, its result, the answer
}

#[test]
fn garbage_from_the_bridge_is_an_error_not_a_crash() {
    assert!(parse_incoming("not json").is_err());
    assert!(parse_incoming("[1,2]").is_err());
    assert!(parse_incoming(r#"{"jsonrpc":"1.0","id":1,"result":{}}"#).is_err());
    assert!(parse_incoming(r#"{"jsonrpc":"2.0","id":1}"#).is_err());
    assert!(parse_incoming(r#"{"jsonrpc":"2.0","id":1,"error":{"code":"x"}}"#).is_err());
}

#[test]
fn a_model_pulled_from_the_hub_parses_with_the_facts_it_lacks() {
    // A hub file has no catalog license, parameter count or default context: null, not absent.
    let row = serde_json::json!({
        "id": "hf:org/Tiny-GGUF/tiny-Q8_0.gguf", "name": "tiny-Q8_0", "family": null, "parameters": null,
        "quantization": "Q8_0", "source": "hf:org/Tiny-GGUF/tiny-Q8_0.gguf", "filename": "org--Tiny-GGUF--tiny-Q8_0.gguf",
        "size_bytes": 300004, "approx_size_bytes": null, "sha256": null, "context_window": null,
        "default_context": null, "ram_needed_bytes": 314872804, "recommended_ram_gb": 0.29, "fits": true,
        "license": null, "tags": ["hub"], "description": "from the Hugging Face hub repository org/Tiny-GGUF",
        "sampling": null, "downloaded": true, "current": false, "path": "/m/org--Tiny-GGUF--tiny-Q8_0.gguf"
    });
    let parsed: Vec<chi_tui::protocol::ModelInfo> =
        chi_tui::protocol::decode("models/list", serde_json::json!([row])).expect("parses");
    assert_eq!((parsed[0].parameters.as_str(), parsed[0].default_context), ("", 0));
    assert_eq!(parsed[0].quantization, "Q8_0");
}
