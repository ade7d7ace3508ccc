//! `#[derive(filmstrip::Event)]`.

use crate::util::{
    Errors, Krate, camel, doc, named_fields, no_generics, param_descriptor, skip_value,
};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, LitStr};

pub fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let input: DeriveInput = syn::parse2(input)?;
    let mut errors = Errors::default();
    errors.ok(no_generics(&input.generics, "an event"));
    let ident = &input.ident;
    let mut name = ident.to_string();
    let mut krate = Krate::default();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("event")) {
        let result = attr.parse_nested_meta(|meta| {
            if krate.parse_if(&meta)? {
                return Ok(());
            }
            if meta.path.is_ident("name") {
                name = meta.value()?.parse::<LitStr>()?.value();
            } else {
                errors.push(meta.error("unknown event attribute; expected `name` or `crate`"));
                skip_value(&meta)?;
            }
            Ok(())
        });
        errors.ok(result);
    }
    let fields = match &input.data {
        Data::Struct(data) => errors.ok(named_fields(&data.fields, ident, "#[derive(Event)]")),
        _ => {
            errors.push(syn::Error::new_spanned(
                ident,
                "events are structs with named fields",
            ));
            None
        }
    };
    errors.finish()?;
    let fields = fields.expect("checked above");
    let event_doc = doc(&input.attrs);
    let mut inserts = Vec::new();
    let mut descriptors = Vec::new();
    let mut complex = Vec::new();
    for field in &fields.named {
        let field_ident = field.ident.as_ref().expect("named field");
        let (json_name, ty) = (camel(field_ident), &field.ty);
        let krate_at = krate.at(ty.span());
        inserts.push(quote_spanned!(ty.span()=>
            fields.insert(#json_name.to_string(), #krate_at::types::Type::to_json(&self.#field_ident));
        ));
        descriptors.push(param_descriptor(&krate, &json_name, &doc(&field.attrs), ty));
        complex.push(quote!(<#ty as #krate::types::Type>::complex_types(out);));
    }
    Ok(quote! {
        impl #krate::Event for #ident {
            const NAME: &'static str = #name;

            fn fields(&self) -> #krate::serde_json::Map<::std::string::String, #krate::serde_json::Value> {
                let mut fields = #krate::serde_json::Map::new();
                #(#inserts)*
                fields
            }

            fn descriptor() -> #krate::descriptor::EventDescriptor {
                #krate::descriptor::EventDescriptor {
                    name: #name.to_string(),
                    extends: "Media".to_string(),
                    doc: #event_doc.to_string(),
                    properties: ::std::vec![#(#descriptors),*],
                }
            }

            fn complex_types(out: &mut ::std::vec::Vec<#krate::descriptor::ComplexTypeDescriptor>) {
                #(#complex)*
            }
        }
    })
}
