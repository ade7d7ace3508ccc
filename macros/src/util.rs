//! Small helpers shared by the macros: doc comments, names, error collection, the SDK path.

use heck::{ToLowerCamelCase, ToShoutySnakeCase};
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, Fields, FieldsNamed, Ident, Lit, Meta, Path, Token, Type};

/// The errors of one item, reported together rather than one build at a time.
#[derive(Default)]
pub struct Errors(Option<syn::Error>);

impl Errors {
    /// Adds `error` to the report.
    pub fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// The value of `result`, or `None` with its error added to the report.
    pub fn ok<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }

    /// `Ok` when nothing was reported, else every error at once.
    pub fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// Skips the value of a nested attribute item that was refused, so that parsing goes on to
/// report the items after it too: `key = value`, `key(...)` or a bare `key`.
pub fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
}

/// The path of the SDK crate in generated code: `::filmstrip`, or the `crate = path` given.
#[derive(Clone)]
pub struct Krate(pub Path);

impl Default for Krate {
    fn default() -> Self {
        Self(syn::parse_quote!(::filmstrip))
    }
}

impl Krate {
    /// Whether `meta` is `crate = path`; if so, reads it into `self`.
    pub fn parse_if(&mut self, meta: &ParseNestedMeta<'_>) -> syn::Result<bool> {
        if !meta.path.is_ident("crate") {
            return Ok(false);
        }
        let value = meta.value()?;
        if value.peek(syn::LitStr) {
            let text: syn::LitStr = value.parse()?;
            return Err(syn::Error::new(
                text.span(),
                "`crate` takes a path, not a string: `crate = my_sdk::filmstrip`",
            ));
        }
        self.0 = value.parse()?;
        Ok(true)
    }
}

impl Krate {
    /// The path with every token at `span`, for code that reports errors at the user's token
    /// (inside `quote_spanned!`, interpolated tokens keep their own spans).
    pub fn at(&self, span: proc_macro2::Span) -> TokenStream {
        self.0
            .to_token_stream()
            .into_iter()
            .map(|mut token| {
                token.set_span(span);
                token
            })
            .collect()
    }
}

impl ToTokens for Krate {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.0.to_tokens(tokens);
    }
}

/// The doc comment of an item, lines joined, common indentation trimmed.
pub fn doc(attrs: &[Attribute]) -> String {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(lit) => match &lit.lit {
                    Lit::Str(s) => Some(s.value().trim().to_string()),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// The `#[derive(Default)]` among `attrs`, if any, for the macros that implement `Default`.
///
/// Read as paths (`Default`, `std::default::Default`), never as text.
pub fn derive_default(attrs: &[Attribute]) -> Option<&Attribute> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .find(|attr| {
            attr.parse_args_with(Punctuated::<Path, Token![,]>::parse_terminated)
                .is_ok_and(|paths| {
                    paths.iter().any(|path| {
                        path.segments
                            .last()
                            .is_some_and(|segment| segment.ident == "Default")
                    })
                })
        })
}

/// `plate_width_percentage` -> `plateWidthPercentage`.
pub fn camel(ident: &Ident) -> String {
    ident.unraw().to_string().to_lower_camel_case()
}

/// `EdgesOnly` -> `EDGES_ONLY`.
pub fn shouty(ident: &Ident) -> String {
    ident.unraw().to_string().to_shouty_snake_case()
}

/// The named fields of a struct, or an error at `span_of` naming `what`.
pub fn named_fields<'a>(
    fields: &'a Fields,
    span_of: &dyn ToTokens,
    what: &str,
) -> syn::Result<&'a FieldsNamed> {
    match fields {
        Fields::Named(named) => Ok(named),
        _ => Err(syn::Error::new_spanned(
            span_of,
            format!("{what} needs a struct with named fields"),
        )),
    }
}

/// A `ParamDescriptor` expression for a value of type `ty`.
pub fn param_descriptor(krate: &Krate, name: &str, doc: &str, ty: &Type) -> TokenStream {
    quote! {
        #krate::descriptor::ParamDescriptor {
            name: #name.to_string(),
            doc: #doc.to_string(),
            type_name: <#ty as #krate::types::Type>::kmd_type(),
            optional: <#ty as #krate::types::Type>::OPTIONAL,
            default_value: None,
            minimum: None,
            maximum: None,
        }
    }
}

/// Rejects generics, which filters and API types do not support.
pub fn no_generics(generics: &syn::Generics, what: &str) -> syn::Result<()> {
    if generics.params.is_empty() {
        Ok(())
    } else {
        Err(syn::Error::new_spanned(
            generics,
            format!("{what} cannot be generic"),
        ))
    }
}
