//! JSON-RPC 2.0 messages and the error codes Kurento clients know (REFERENCE §2).

use serde_json::{Map, Value as Json, json};

/// A request that failed: a JSON-RPC or Kurento error code, a message and Kurento's type name.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    /// JSON-RPC (-32xxx) or Kurento (40xxx) code.
    pub code: i64,
    /// One line saying what went wrong.
    pub message: String,
    /// Kurento's name for the code, sent as `error.data.type`.
    pub kind: &'static str,
}

macro_rules! errors {
    ($($name:ident = $code:expr, $kind:expr;)*) => {
        impl RpcError {
            $(
                #[doc = concat!("`", stringify!($code), "` ", $kind, ".")]
                pub fn $name(message: impl Into<String>) -> Self {
                    Self { code: $code, message: message.into(), kind: $kind }
                }
            )*
        }
    };
}

errors! {
    parse = -32700, "PARSE_ERROR";
    invalid_request = -32600, "INVALID_REQUEST";
    method_not_found = -32601, "METHOD_NOT_FOUND";
    invalid_params = -32602, "INVALID_PARAMS";
    internal = -32603, "INTERNAL_ERROR";
    connect_error = 40002, "CONNECT_ERROR";
    unexpected = 40003, "UNEXPECTED_ERROR";
    invalid_session = 40007, "INVALID_SESSION";
    type_not_found = 40100, "MEDIA_OBJECT_TYPE_NOT_FOUND";
    object_not_found = 40101, "MEDIA_OBJECT_NOT_FOUND";
    operation_not_found = 40105, "MEDIA_OBJECT_METHOD_NOT_FOUND";
    event_not_supported = 40106, "MEDIA_OBJECT_EVENT_NOT_SUPPORTED";
    illegal_param = 40107, "MEDIA_OBJECT_ILLEGAL_PARAM_ERROR";
    not_available = 40108, "MEDIA_OBJECT_NOT_AVAILABLE";
    kmd_not_found = 40500, "SERVER_MANAGER_ERROR_KMD_NOT_FOUND";
    uri_not_found = 40600, "URI_PATH_FILE_NOT_FOUND";
    sdp_parse = 40201, "SDP_PARSE_ERROR";
    no_local_sdp = 40202, "SDP_END_POINT_NO_LOCAL_SDP_ERROR";
    no_remote_sdp = 40203, "SDP_END_POINT_NO_REMOTE_SDP_ERROR";
    generate_offer = 40204, "SDP_END_POINT_GENERATE_OFFER_ERROR";
    process_offer = 40205, "SDP_END_POINT_PROCESS_OFFER_ERROR";
    process_answer = 40206, "SDP_END_POINT_PROCESS_ANSWER_ERROR";
    sdp_configuration = 40207, "SDP_CONFIGURATION_ERROR";
    already_negotiated = 40208, "SDP_END_POINT_ALREADY_NEGOTIATED";
    offer_not_generated = 40209, "SDP_END_POINT_NOT_OFFER_GENERATED";
    answer_already_processed = 40210, "SDP_END_POINT_ANSWER_ALREADY_PROCCESED";
    ice_add_candidate = 40401, "ICE_ADD_CANDIDATE_ERROR";
}

impl RpcError {
    /// The `error` member of a response.
    pub fn to_json(&self) -> Json {
        json!({"code": self.code, "message": self.message, "data": {"type": self.kind}})
    }

    /// A module's error, mapped to the Kurento code a client expects.
    pub fn from_module(error: &filmstrip::Error) -> Self {
        use filmstrip::ErrorKind;
        let message = error
            .message()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        match error.kind() {
            ErrorKind::UnknownOperation => Self::operation_not_found(message),
            ErrorKind::InvalidParam => Self::illegal_param(message),
            _ => Self::unexpected(message),
        }
    }
}

/// One parsed request. `id` is `None` for a notification, which gets no response.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The request id, any JSON value but null.
    pub id: Option<Json>,
    /// The method name.
    pub method: String,
    /// The parameters; absent ones are an empty object.
    pub params: Map<String, Json>,
}

/// Parses one message. On failure, returns the id to answer with (null when unknown).
pub fn parse_request(text: &str) -> Result<Request, (Json, RpcError)> {
    let value: Json = serde_json::from_str(text)
        .map_err(|err| (Json::Null, RpcError::parse(format!("parse error: {err}"))))?;
    let Json::Object(mut object) = value else {
        return Err((
            Json::Null,
            RpcError::invalid_request("a request must be a JSON object"),
        ));
    };
    let id = object.remove("id").filter(|id| !id.is_null());
    let answer_id = id.clone().unwrap_or(Json::Null);
    if let Some(id) = &id
        && !(id.is_string() || id.is_number())
    {
        return Err((
            Json::Null,
            RpcError::invalid_request("id must be a string or a number"),
        ));
    }
    if object.get("jsonrpc").and_then(Json::as_str) != Some("2.0") {
        return Err((
            answer_id,
            RpcError::invalid_request("jsonrpc must be \"2.0\""),
        ));
    }
    let Some(Json::String(method)) = object.remove("method") else {
        return Err((
            answer_id,
            RpcError::invalid_request("method must be a string"),
        ));
    };
    let params = match object.remove("params") {
        None | Some(Json::Null) => Map::new(),
        Some(Json::Object(params)) => params,
        Some(_) => {
            return Err((
                answer_id,
                RpcError::invalid_params("params must be an object"),
            ));
        }
    };
    Ok(Request { id, method, params })
}

/// A success response.
pub fn result_response(id: &Json, result: Json) -> Json {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

/// An error response.
pub fn error_response(id: &Json, error: &RpcError) -> Json {
    json!({"jsonrpc": "2.0", "id": id, "error": error.to_json()})
}

/// A required string parameter.
pub fn string_param<'a>(params: &'a Map<String, Json>, name: &str) -> Result<&'a str, RpcError> {
    match params.get(name) {
        Some(Json::String(value)) => Ok(value),
        Some(_) => Err(RpcError::invalid_params(format!(
            "parameter {name} must be a string"
        ))),
        None => Err(RpcError::invalid_params(format!(
            "missing parameter {name}"
        ))),
    }
}

/// An optional object parameter (`constructorParams`, `operationParams`, `properties`...):
/// missing or null is an empty object.
pub fn object_param(params: &Map<String, Json>, name: &str) -> Result<Map<String, Json>, RpcError> {
    match params.get(name) {
        None | Some(Json::Null) => Ok(Map::new()),
        Some(Json::Object(value)) => Ok(value.clone()),
        Some(_) => Err(RpcError::invalid_params(format!(
            "parameter {name} must be an object"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_messages_get_json_rpc_codes() {
        assert_eq!(parse_request("{").unwrap_err().1.code, -32700);
        assert_eq!(parse_request("[1]").unwrap_err().1.code, -32600);
        let (id, error) = parse_request(r#"{"jsonrpc":"2.0","id":3}"#).unwrap_err();
        assert_eq!((id, error.code), (json!(3), -32600));
        let (_, error) =
            parse_request(r#"{"jsonrpc":"2.0","id":3,"method":"ping","params":[1]}"#).unwrap_err();
        assert_eq!(error.code, -32602);
        assert_eq!(
            parse_request(r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#)
                .unwrap_err()
                .1
                .code,
            -32600
        );
    }

    #[test]
    fn requests_and_notifications_parse() {
        let request = parse_request(r#"{"jsonrpc":"2.0","id":"a","method":"ping"}"#).unwrap();
        assert_eq!(request.id, Some(json!("a")));
        assert!(request.params.is_empty());
        let notification = parse_request(r#"{"jsonrpc":"2.0","method":"ping"}"#).unwrap();
        assert_eq!(notification.id, None);
    }

    #[test]
    fn module_errors_map_to_kurento_codes_with_one_line() {
        let invalid = filmstrip::Error::invalid_param("bad\nmore");
        assert_eq!(
            RpcError::from_module(&invalid),
            RpcError::illegal_param("bad")
        );
        let failed = RpcError::from_module(&filmstrip::Error::new("download failed"));
        assert_eq!(
            (failed.code, failed.message.as_str()),
            (40003, "download failed")
        );
        let unknown =
            filmstrip::Error::with_kind(filmstrip::ErrorKind::UnknownOperation, "no such op");
        assert_eq!(RpcError::from_module(&unknown).code, 40105);
    }

    #[test]
    fn errors_carry_kurento_type_names() {
        let error = RpcError::object_not_found("gone").to_json();
        assert_eq!(
            error,
            json!({"code": 40101, "message": "gone", "data": {"type": "MEDIA_OBJECT_NOT_FOUND"}})
        );
    }
}
