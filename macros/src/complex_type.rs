//! `#[derive(filmstrip::ComplexType)]`: enums (Kurento `ENUM`) and structs (`REGISTER`).

use crate::util::{camel, doc, named_fields, no_generics, param_descriptor, shouty};
use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DataEnum, DeriveInput, Fields, FieldsNamed};

pub fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let input: DeriveInput = syn::parse2(input)?;
    no_generics(&input.generics, "a complex type")?;
    match &input.data {
        Data::Enum(data) => expand_enum(&input, data),
        Data::Struct(data) => expand_struct(
            &input,
            named_fields(&data.fields, &input.ident, "#[derive(ComplexType)]")?,
        ),
        Data::Union(_) => Err(syn::Error::new_spanned(
            &input.ident,
            "complex types are enums or structs",
        )),
    }
}

fn expand_enum(input: &DeriveInput, data: &DataEnum) -> syn::Result<TokenStream> {
    let ident = &input.ident;
    let type_doc = doc(&input.attrs);
    if data.variants.is_empty() {
        return Err(syn::Error::new_spanned(
            ident,
            "an enum needs at least one variant",
        ));
    }
    let mut variants = Vec::new();
    let mut names = Vec::new();
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            return Err(syn::Error::new_spanned(
                &variant.fields,
                "enum variants of a complex type carry no data",
            ));
        }
        variants.push(&variant.ident);
        names.push(shouty(&variant.ident));
    }
    let indices = 0..variants.len();
    let indices2 = indices.clone();
    let kmd_name = ident.to_string();
    let gtype_name = format!("_{ident}");
    Ok(quote! {
        impl #ident {
            const __FILMSTRIP_NAMES: &'static [&'static str] = &[#(#names),*];

            fn __filmstrip_index(&self) -> usize {
                match self { #(Self::#variants => #indices,)* }
            }

            fn __filmstrip_from_index(index: usize) -> Self {
                match index {
                    #(#indices2 => Self::#variants,)*
                    _ => ::std::unreachable!("enum index {index} out of range"),
                }
            }

            fn __filmstrip_gtype() -> ::filmstrip::glib::Type {
                ::filmstrip::types::register_enum(
                    ::std::concat!("Filmstrip_", ::std::env!("CARGO_CRATE_NAME"), #gtype_name),
                    Self::__FILMSTRIP_NAMES,
                )
            }
        }

        impl ::filmstrip::types::Type for #ident {
            fn kmd_type() -> ::std::string::String {
                #kmd_name.to_string()
            }

            fn to_json(&self) -> ::filmstrip::serde_json::Value {
                ::filmstrip::serde_json::Value::String(Self::__FILMSTRIP_NAMES[self.__filmstrip_index()].to_string())
            }

            fn from_json(value: &::filmstrip::serde_json::Value) -> ::std::result::Result<Self, ::std::string::String> {
                ::filmstrip::types::enum_from_json(#kmd_name, Self::__FILMSTRIP_NAMES, value).map(Self::__filmstrip_from_index)
            }

            fn complex_types(out: &mut ::std::vec::Vec<::filmstrip::descriptor::ComplexTypeDescriptor>) {
                ::filmstrip::types::add_complex_type(out, ::filmstrip::descriptor::ComplexTypeDescriptor {
                    name: #kmd_name.to_string(),
                    type_format: "ENUM".to_string(),
                    doc: #type_doc.to_string(),
                    values: Self::__FILMSTRIP_NAMES.iter().map(|n| n.to_string()).collect(),
                    properties: ::std::vec::Vec::new(),
                });
            }
        }

        impl ::filmstrip::types::PropertyType for #ident {
            fn param_spec(name: &str, blurb: &str, default: &Self, _: ::std::option::Option<&Self>, _: ::std::option::Option<&Self>) -> ::filmstrip::glib::ParamSpec {
                ::filmstrip::types::enum_param_spec(Self::__filmstrip_gtype(), name, blurb, default.__filmstrip_index())
            }

            fn to_value(&self) -> ::filmstrip::glib::Value {
                ::filmstrip::types::enum_to_value(Self::__filmstrip_gtype(), self.__filmstrip_index())
            }

            fn from_value(value: &::filmstrip::glib::Value) -> Self {
                Self::__filmstrip_from_index(::filmstrip::types::enum_from_value(value))
            }
        }
    })
}

fn expand_struct(input: &DeriveInput, fields: &FieldsNamed) -> syn::Result<TokenStream> {
    let ident = &input.ident;
    let type_doc = doc(&input.attrs);
    let kmd_name = ident.to_string();
    let field_idents: Vec<_> = fields
        .named
        .iter()
        .map(|f| f.ident.as_ref().expect("named field"))
        .collect();
    let json_names: Vec<String> = field_idents.iter().map(|i| camel(i)).collect();
    let types: Vec<_> = fields.named.iter().map(|f| &f.ty).collect();
    let descriptors = fields
        .named
        .iter()
        .zip(&json_names)
        .map(|(f, name)| param_descriptor(name, &doc(&f.attrs), &f.ty));
    Ok(quote! {
        impl ::filmstrip::types::Type for #ident {
            fn kmd_type() -> ::std::string::String {
                #kmd_name.to_string()
            }

            fn to_json(&self) -> ::filmstrip::serde_json::Value {
                let mut object = ::filmstrip::serde_json::Map::new();
                #(object.insert(#json_names.to_string(), ::filmstrip::types::Type::to_json(&self.#field_idents));)*
                ::filmstrip::serde_json::Value::Object(object)
            }

            fn from_json(value: &::filmstrip::serde_json::Value) -> ::std::result::Result<Self, ::std::string::String> {
                static NULL: ::filmstrip::serde_json::Value = ::filmstrip::serde_json::Value::Null;
                let object = value.as_object().ok_or_else(|| ::std::format!("expected a {} object", #kmd_name))?;
                ::std::result::Result::Ok(Self {
                    #(#field_idents: {
                        let field = object.get(#json_names).unwrap_or(&NULL);
                        if field.is_null() && !<#types as ::filmstrip::types::Type>::OPTIONAL {
                            return ::std::result::Result::Err(::std::format!("{} needs field {}", #kmd_name, #json_names));
                        }
                        <#types as ::filmstrip::types::Type>::from_json(field)
                            .map_err(|e| ::std::format!("{}.{}: {}", #kmd_name, #json_names, e))?
                    },)*
                })
            }

            fn complex_types(out: &mut ::std::vec::Vec<::filmstrip::descriptor::ComplexTypeDescriptor>) {
                ::filmstrip::types::add_complex_type(out, ::filmstrip::descriptor::ComplexTypeDescriptor {
                    name: #kmd_name.to_string(),
                    type_format: "REGISTER".to_string(),
                    doc: #type_doc.to_string(),
                    values: ::std::vec::Vec::new(),
                    properties: ::std::vec![#(#descriptors),*],
                });
                #(<#types as ::filmstrip::types::Type>::complex_types(out);)*
            }
        }
    })
}
