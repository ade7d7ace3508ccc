//! The `--filter` and `--invoke` arguments of `filmstrip run`.

use anyhow::{Result, anyhow, bail};
use serde_json::Value as Json;

/// One `--filter Class[,prop=value...]` with the `--invoke`s that follow it.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterSpec {
    /// The class name, bare or qualified.
    pub class: String,
    /// Properties to set, as written by the user, with their values.
    pub properties: Vec<(String, Json)>,
    /// Operations to invoke once the properties are set, in order.
    pub invocations: Vec<Invocation>,
}

/// One `--invoke op=JSON`.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// The operation name, e.g. `setMode`.
    pub op: String,
    /// Its parameters.
    pub params: Json,
}

impl FilterSpec {
    /// Parses `Class[,prop=value...]`.
    ///
    /// Values are JSON when they parse as JSON and strings otherwise; commas inside brackets,
    /// braces or quotes belong to the value, so `region=[0,0,0.5,0.5]` works.
    pub fn parse(text: &str) -> Result<Self> {
        let mut parts = split_top_level(text).into_iter();
        let class = parts.next().unwrap_or_default().trim().to_string();
        if class.is_empty() {
            bail!("--filter {text:?} names no class");
        }
        let properties = parts
            .map(|pair| {
                let (name, value) = pair.split_once('=').ok_or_else(|| {
                    anyhow!("--filter {text:?}: expected prop=value, got {pair:?}")
                })?;
                Ok((name.trim().to_string(), lenient_json(value)))
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            class,
            properties,
            invocations: Vec::new(),
        })
    }
}

impl Invocation {
    /// Parses `op=JSON`.
    pub fn parse(text: &str) -> Result<Self> {
        let (op, params) = text
            .split_once('=')
            .ok_or_else(|| anyhow!("--invoke {text:?}: expected op=JSON"))?;
        let params = serde_json::from_str(params)
            .map_err(|err| anyhow!("--invoke {text}: parameters are not JSON: {err}"))?;
        Ok(Self {
            op: op.trim().to_string(),
            params,
        })
    }
}

/// Builds the filter list from `--filter` and `--invoke` values with their positions on the
/// command line: each `--invoke` belongs to the closest `--filter` before it.
pub fn from_command_line(
    filters: &[(usize, &str)],
    invocations: &[(usize, &str)],
) -> Result<Vec<FilterSpec>> {
    let mut specs: Vec<(usize, FilterSpec)> = filters
        .iter()
        .map(|&(index, text)| Ok((index, FilterSpec::parse(text)?)))
        .collect::<Result<_>>()?;
    specs.sort_by_key(|(index, _)| *index);
    for &(index, text) in invocations {
        let Some((_, spec)) = specs
            .iter_mut()
            .rev()
            .find(|(filter_index, _)| *filter_index < index)
        else {
            bail!(
                "--invoke {text} comes before any --filter; it applies to the filter given before it"
            );
        };
        spec.invocations.push(Invocation::parse(text)?);
    }
    Ok(specs.into_iter().map(|(_, spec)| spec).collect())
}

fn lenient_json(value: &str) -> Json {
    serde_json::from_str(value).unwrap_or_else(|_| Json::String(value.to_string()))
}

fn split_top_level(text: &str) -> Vec<&str> {
    let (mut parts, mut depth, mut quoted, mut escaped, mut start) =
        (Vec::new(), 0i32, false, false, 0);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '[' | '{' if !quoted => depth += 1,
            ']' | '}' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_json_or_strings_and_keep_inner_commas() {
        let spec =
            FilterSpec::parse("PixelateFilter,blockSize=8,region=[0,0.5,1,0.5],label=a b").unwrap();
        assert_eq!(spec.class, "PixelateFilter");
        let expected = [
            ("blockSize", json!(8)),
            ("region", json!([0, 0.5, 1, 0.5])),
            ("label", json!("a b")),
        ];
        let expected: Vec<(String, Json)> = expected
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        assert_eq!(spec.properties, expected);
    }

    #[test]
    fn a_pair_without_equals_is_refused() {
        assert!(FilterSpec::parse("PixelateFilter,blockSize").is_err());
    }

    #[test]
    fn invocations_follow_the_filter_before_them() {
        let specs = from_command_line(
            &[(1, "A"), (5, "B")],
            &[(3, "x=[1]"), (7, "y=[]"), (9, "z=[2]")],
        )
        .unwrap();
        let ops = |i: usize| {
            specs[i]
                .invocations
                .iter()
                .map(|inv| inv.op.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!((ops(0), ops(1)), (vec!["x"], vec!["y", "z"]));
        assert!(from_command_line(&[(3, "A")], &[(1, "x=[]")]).is_err());
    }
}
