//! Small helpers shared by the macros.

use heck::{ToLowerCamelCase, ToShoutySnakeCase};
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{Attribute, Expr, Fields, FieldsNamed, Ident, Lit, Meta, Type};

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

/// `plate_width_percentage` -> `plateWidthPercentage`.
pub fn camel(ident: &Ident) -> String {
    ident.unraw().to_string().to_lower_camel_case()
}

/// `EdgesOnly` -> `EDGES_ONLY`.
pub fn shouty(ident: &Ident) -> String {
    ident.unraw().to_string().to_shouty_snake_case()
}

use syn::ext::IdentExt;

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
pub fn param_descriptor(name: &str, doc: &str, ty: &Type) -> TokenStream {
    quote! {
        ::filmstrip::descriptor::ParamDescriptor {
            name: #name.to_string(),
            doc: #doc.to_string(),
            type_name: <#ty as ::filmstrip::types::Type>::kmd_type(),
            optional: <#ty as ::filmstrip::types::Type>::OPTIONAL,
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
