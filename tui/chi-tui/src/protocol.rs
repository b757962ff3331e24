//! The bridge's wire types (tui/protocol/bridge.schema.json): JSON-RPC 2.0 envelopes and the
//! results the TUI reads. Unknown fields are ignored, so a newer bridge stays readable.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

pub const PROTOCOL_VERSION: &str = "1";
pub const CANCELLED: i64 = -32800;

/// A request as the TUI writes it: one line of JSON.
pub fn request_line(id: u64, method: &str, params: Value) -> String {
    let mut message = json!({"jsonrpc": "2.0", "id": id, "method": method});
    if !params.is_null() {
        message["params"] = params;
    }
    message.to_string()
}

/// `generate/approve`: the user's answer to a `generate/tool_approval` (`always`: allow the tool
/// without asking again while the bridge runs).
pub fn approve_params(approval_id: &str, allow: bool, always: bool) -> Value {
    let mut params = json!({"approval_id": approval_id, "allow": allow});
    if always {
        params["always"] = json!(true);
    }
    params
}

/// `$/cancelRequest` for request `id` (a notification: no answer of its own).
pub fn cancel_line(id: u64) -> String {
    json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": id}}).to_string()
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    #[serde(default)]
    pub data: Option<ErrorData>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ErrorData {
    pub kind: String,
    #[serde(default)]
    pub backend: String,
}

impl RpcError {
    /// What the user reads: the message, which already says what to do.
    pub fn describe(&self) -> String {
        self.message.clone()
    }
}

/// One line from the bridge.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Response { id: Value, outcome: Result<Value, RpcError> },
    Notification { method: String, params: Value },
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum WireError {
    #[error("the bridge sent a line that is not JSON: {0}")]
    NotJson(String),
    #[error("the bridge sent a message that is not JSON-RPC 2.0: {0}")]
    NotRpc(String),
}

/// Read one line the bridge wrote.
pub fn parse_incoming(line: &str) -> Result<Incoming, WireError> {
    let value: Value = serde_json::from_str(line).map_err(|e| WireError::NotJson(e.to_string()))?;
    let object = value
        .as_object()
        .filter(|o| o.get("jsonrpc") == Some(&json!("2.0")))
        .ok_or_else(|| WireError::NotRpc(short(line)))?;
    if let Some(method) = object.get("method").and_then(Value::as_str) {
        let params = object.get("params").cloned().unwrap_or(Value::Null);
        return Ok(Incoming::Notification { method: method.to_string(), params });
    }
    let id = object.get("id").cloned().unwrap_or(Value::Null);
    if let Some(result) = object.get("result") {
        return Ok(Incoming::Response { id, outcome: Ok(result.clone()) });
    }
    if let Some(error) = object.get("error") {
        let error: RpcError = serde_json::from_value(error.clone()).map_err(|_| WireError::NotRpc(short(line)))?;
        return Ok(Incoming::Response { id, outcome: Err(error) });
    }
    Err(WireError::NotRpc(short(line)))
}

fn short(line: &str) -> String {
    line.chars().take(120).collect()
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Capabilities {
    pub methods: Vec<String>,
    pub notifications: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct InitializeResult {
    pub protocol_version: String,
    pub chi_llm_version: String,
    pub capabilities: Capabilities,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProviderField {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub default: Value,
    #[serde(default)]
    pub help: String,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub minimum: Option<f64>,
    #[serde(default)]
    pub maximum: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProviderSchema {
    #[serde(rename = "type")]
    pub kind: String,
    pub summary: String,
    pub fields: Vec<ProviderField>,
    #[serde(default)]
    pub key_variables: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProviderView {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default = "default_priority")]
    pub priority: i64,
    #[serde(default)]
    pub settings: Map<String, Value>,
    #[serde(default)]
    pub default: bool,
    /// The embedded model the bridge adds as the last resort: in no file (`fallback_to_local`).
    #[serde(default)]
    pub fallback: bool,
}

fn default_priority() -> i64 {
    100
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ConnectionReport {
    pub ok: bool,
    pub status: String,
    pub latency_ms: f64,
    pub message: String,
    #[serde(default)]
    pub models: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ServedModel {
    pub id: String,
    #[serde(flatten)]
    pub details: Map<String, Value>,
}

impl ServedModel {
    /// A short description from whatever details the server gave.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        for key in ["parameter_size", "quantization_level", "source"] {
            if let Some(text) = self.details.get(key).and_then(Value::as_str) {
                parts.push(text.to_string());
            }
        }
        if let Some(true) = self.details.get("downloaded").and_then(Value::as_bool) {
            parts.push("downloaded".into());
        }
        parts.join(" · ")
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct UrlSearch {
    pub provider: String,
    pub ok: bool,
    pub base_url: Option<String>,
    #[serde(default)]
    pub tried: Vec<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Written {
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Explained {
    pub value: Value,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// A local model's CPU threads at the end of an answer: fewer than `most` while other processes
/// keep the CPU busy.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ThreadUse {
    pub used: u64,
    pub most: u64,
    #[serde(default)]
    pub changes: u64,
    pub contended: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct GenerateResult {
    pub text: String,
    pub finish_reason: String,
    pub usage: Usage,
    pub model: Option<String>,
    /// None for providers that do not decode on this machine's CPU.
    #[serde(default)]
    pub threads: Option<ThreadUse>,
    /// With tools: the turns the answer added (its calls and their results, then the answer),
    /// sent back as history so the model sees its earlier calls.
    #[serde(default)]
    pub messages: Option<Vec<Value>>,
}

/// `generate/tool_call`: the model asked for a call (before it is approved or run).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ToolCallNote {
    pub id: Value,
    pub call_id: String,
    pub name: String,
    #[serde(default)]
    pub arguments: Value,
}

/// `generate/tool_approval`: a call waits for the user's `generate/approve`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ToolApproval {
    pub id: Value,
    pub approval_id: String,
    pub call_id: String,
    pub name: String,
    #[serde(default)]
    pub arguments: Value,
}

/// `generate/tool_result`: what went back to the model for a call.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ToolResult {
    pub id: Value,
    pub call_id: String,
    pub name: String,
    pub content: String,
    pub is_error: bool,
    #[serde(default)]
    pub status: String,
}

/// `tools/list`: the tools chats may offer, and each source that could not be loaded.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, Default)]
pub struct ToolList {
    pub tools: Vec<ToolInfo>,
    #[serde(default)]
    pub errors: Vec<ToolSourceError>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ToolInfo {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ToolSourceError {
    pub source: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct DownloadProgress {
    pub id: Value,
    pub model: String,
    pub phase: String,
    pub done: u64,
    pub total: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct GenerateDelta {
    pub id: Value,
    pub text: String,
}

/// A result read as the type the method returns; the error names what did not fit.
pub fn decode<T: serde::de::DeserializeOwned>(method: &str, value: Value) -> Result<T, String> {
    serde_json::from_value(value).map_err(|e| format!("the bridge's {method} answer did not fit: {e}"))
}

/// A field the bridge may send as null (a model pulled from the hub has no catalog license,
/// parameter count or default context): read as the type's default.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ModelInfo {
    pub id: String,
    pub name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub parameters: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub quantization: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub source: String,
    pub size_bytes: Option<u64>,
    pub approx_size_bytes: Option<u64>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub ram_needed_bytes: u64,
    pub fits: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub license: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: Vec<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub description: String,
    pub downloaded: bool,
    #[serde(default)]
    pub current: bool,
    pub path: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub default_context: u64,
    /// Whether the model's chat template renders tools (false: the generic format; None: unknown).
    #[serde(default)]
    pub tools: Option<bool>,
}

impl ModelInfo {
    /// The file's size: exact when pinned, else the catalog's estimate.
    pub fn size(&self) -> Option<u64> {
        self.size_bytes.or(self.approx_size_bytes)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct InstalledModel {
    pub id: String,
    pub path: String,
    pub size_bytes: u64,
    pub origin: String,
    #[serde(default)]
    pub owned: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Recommendation {
    #[serde(flatten)]
    pub model: ModelInfo,
    pub reason: String,
    #[serde(default)]
    pub alternatives: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Check {
    pub id: String,
    pub area: String,
    pub title: String,
    pub status: String,
    #[serde(default)]
    pub value: Value,
    pub fix: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct DiagnosticsReport {
    pub ok: bool,
    pub elapsed_ms: f64,
    #[serde(default)]
    pub created: String,
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PlannedFile {
    pub path: String,
    pub content: String,
    pub action: String,
    pub existing: Option<String>,
    pub reason: Option<String>,
    pub backup: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct ProjectPlan {
    pub folder: String,
    pub provider: String,
    pub model: Option<String>,
    pub written: bool,
    pub files: Vec<PlannedFile>,
    #[serde(default)]
    pub notes: Vec<String>,
}
