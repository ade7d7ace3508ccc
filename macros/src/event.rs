//! `#[derive(filmstrip::Event)]`.

use crate::util::{camel, doc, named_fields, no_generics, param_descriptor};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, LitStr};

pub fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let input: DeriveInput = syn::parse2(input)?;
    no_generics(&input.generics, "an event")?;
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "events are structs with named fields",
        ));
    };
    let fields = named_fields(&data.fields, &input.ident, "#[derive(Event)]")?;
    let ident = &input.ident;
    let mut name = ident.to_string();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("event")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                name = meta.value()?.parse::<LitStr>()?.value();
                Ok(())
            } else {
                Err(meta.error("unknown event attribute; expected `name`"))
            }
        })?;
    }
    let event_doc = doc(&input.attrs);
    let mut inserts = Vec::new();
    let mut descriptors = Vec::new();
    let mut complex = Vec::new();
    for field in &fields.named {
        let field_ident = field.ident.as_ref().expect("named field");
        let (json_name, ty) = (camel(field_ident), &field.ty);
        inserts.push(quote_spanned!(ty.span()=>
            fields.insert(#json_name.to_string(), ::filmstrip::types::Type::to_json(&self.#field_ident));
        ));
        descriptors.push(param_descriptor(&json_name, &doc(&field.attrs), ty));
        complex.push(quote!(<#ty as ::filmstrip::types::Type>::complex_types(out);));
    }
    Ok(quote! {
        impl ::filmstrip::Event for #ident {
            const NAME: &'static str = #name;

            fn fields(&self) -> ::filmstrip::serde_json::Map<::std::string::String, ::filmstrip::serde_json::Value> {
                let mut fields = ::filmstrip::serde_json::Map::new();
                #(#inserts)*
                fields
            }

            fn descriptor() -> ::filmstrip::descriptor::EventDescriptor {
                ::filmstrip::descriptor::EventDescriptor {
                    name: #name.to_string(),
                    extends: "Media".to_string(),
                    doc: #event_doc.to_string(),
                    properties: ::std::vec![#(#descriptors),*],
                }
            }

            fn complex_types(out: &mut ::std::vec::Vec<::filmstrip::descriptor::ComplexTypeDescriptor>) {
                #(#complex)*
            }
        }
    })
}
