//! Method parameters as they arrive from a caller: a JSON list (by position) or object (by name).

use crate::types::{Type, describe};
use crate::{Error, Result};
use serde_json::{Map, Value as Json};

static MISSING: Json = Json::Null;

/// The parameters of one call.
pub struct Params<'a> {
    operation: &'a str,
    by_position: &'a [Json],
    by_name: Option<&'a Map<String, Json>>,
}

impl<'a> Params<'a> {
    /// Reads `value`: `null` (no parameters), a list, or an object keyed by parameter name.
    pub fn new(operation: &'a str, value: &'a Json) -> Result<Self> {
        let (by_position, by_name): (&[Json], _) = match value {
            Json::Null => (&[], None),
            Json::Array(items) => (items, None),
            Json::Object(map) => (&[], Some(map)),
            other => {
                return Err(Error::invalid_param(format!(
                    "{operation}: parameters must be a list or an object, got {}",
                    describe(other)
                )));
            }
        };
        Ok(Self {
            operation,
            by_position,
            by_name,
        })
    }

    /// The operation being called.
    pub fn operation(&self) -> &str {
        self.operation
    }

    /// Matches the parameters against the declared ones, `(name, optional)` in call order.
    /// A left-out optional parameter reads as `null`.
    pub fn bind<const N: usize>(&self, declared: [(&str, bool); N]) -> Result<[&'a Json; N]> {
        let op = self.operation;
        if self.by_position.len() > N {
            return Err(Error::invalid_param(format!(
                "{op} takes {N} parameter(s), got {}",
                self.by_position.len()
            )));
        }
        let unknown = self.by_name.and_then(|map| {
            map.keys()
                .find(|k| !declared.iter().any(|(name, _)| name == k))
        });
        if let Some(unknown) = unknown {
            return Err(Error::invalid_param(format!(
                "{op} has no parameter {unknown:?}"
            )));
        }
        let mut bound = [&MISSING; N];
        for (i, (name, optional)) in declared.iter().enumerate() {
            let given = match self.by_name {
                Some(map) => map.get(*name),
                None => self.by_position.get(i),
            };
            match given {
                Some(value) => bound[i] = value,
                None if *optional => {}
                None => {
                    return Err(Error::invalid_param(format!(
                        "{op}: missing parameter {name}"
                    )));
                }
            }
        }
        Ok(bound)
    }

    /// Converts one bound parameter, naming it in the error.
    pub fn get<T: Type>(&self, name: &str, value: &Json) -> Result<T> {
        T::from_json(value)
            .map_err(|e| Error::invalid_param(format!("{}: parameter {name}: {e}", self.operation)))
    }
}
