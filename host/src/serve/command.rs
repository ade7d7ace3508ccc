//! A request's method and parameters, parsed once into what the server is asked to do.

use super::rpc::{RpcError, object_param, string_param};
use serde_json::{Map, Value as Json};

/// One request of REFERENCE §2, its parameters checked.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `ping`.
    Ping,
    /// `connect`: resume a session (the session itself was resolved already).
    Connect,
    /// `create`.
    Create {
        /// Bare or qualified class name.
        type_name: String,
        /// `constructorParams`.
        constructor: Map<String, Json>,
        /// `properties` to apply after creation.
        properties: Map<String, Json>,
    },
    /// `invoke`.
    Invoke {
        /// The object's id.
        object: String,
        /// The operation's name.
        operation: String,
        /// `operationParams`.
        args: Map<String, Json>,
    },
    /// `subscribe`.
    Subscribe {
        /// The object's id.
        object: String,
        /// The event type.
        event_type: String,
    },
    /// `unsubscribe`.
    Unsubscribe {
        /// The subscription's id.
        subscription: String,
    },
    /// `release`.
    Release {
        /// The object's id.
        object: String,
    },
    /// `describe`.
    Describe {
        /// The object's id.
        object: String,
    },
    /// `closeSession`.
    CloseSession,
    /// `transaction`: each operation is parsed when its turn comes, once the `newref:`s of
    /// earlier ones can be replaced.
    Transaction {
        /// The operations, as sent.
        operations: Vec<Json>,
    },
}

impl Command {
    /// Parses `method` with `params`: -32601 for an unknown method, -32602 for a missing or
    /// mistyped parameter.
    pub fn parse(method: &str, params: &Map<String, Json>) -> Result<Self, RpcError> {
        let text = |name: &str| string_param(params, name).map(String::from);
        Ok(match method {
            "ping" => Command::Ping,
            "connect" => Command::Connect,
            "create" => Command::Create {
                type_name: text("type")?,
                constructor: object_param(params, "constructorParams")?,
                properties: object_param(params, "properties")?,
            },
            "invoke" => Command::Invoke {
                object: text("object")?,
                operation: text("operation")?,
                args: object_param(params, "operationParams")?,
            },
            "subscribe" => Command::Subscribe {
                object: text("object")?,
                event_type: text("type")?,
            },
            "unsubscribe" => Command::Unsubscribe {
                subscription: text("subscription")?,
            },
            "release" => Command::Release {
                object: text("object")?,
            },
            "describe" => Command::Describe {
                object: text("object")?,
            },
            "closeSession" => Command::CloseSession,
            "transaction" => match params.get("operations") {
                Some(Json::Array(operations)) => Command::Transaction {
                    operations: operations.clone(),
                },
                _ => {
                    return Err(RpcError::invalid_params(
                        "transaction needs an operations array",
                    ));
                }
            },
            _ => {
                return Err(RpcError::method_not_found(format!(
                    "unknown method {method}"
                )));
            }
        })
    }

    /// Whether the command may stand inside a transaction.
    pub fn transactable(&self) -> bool {
        !matches!(
            self,
            Command::Transaction { .. } | Command::CloseSession | Command::Connect
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(method: &str, params: Json) -> Result<Command, RpcError> {
        Command::parse(method, params.as_object().unwrap())
    }

    #[test]
    fn requests_parse_into_commands_and_bad_ones_name_their_fault() {
        assert_eq!(
            parse("invoke", json!({"object": "o", "operation": "play"})),
            Ok(Command::Invoke {
                object: "o".into(),
                operation: "play".into(),
                args: Map::new(),
            })
        );
        assert_eq!(
            parse("invoke", json!({"object": 3, "operation": "play"}))
                .unwrap_err()
                .code,
            -32602
        );
        assert_eq!(parse("nope", json!({})).unwrap_err().code, -32601);
        assert_eq!(parse("transaction", json!({})).unwrap_err().code, -32602);
        let transaction = parse("transaction", json!({"operations": []})).unwrap();
        assert!(!transaction.transactable());
        assert!(parse("ping", json!({})).unwrap().transactable());
    }
}
