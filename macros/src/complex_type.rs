//! `#[derive(filmstrip::ComplexType)]`: enums (Kurento `ENUM`) and structs (`REGISTER`).

use crate::util::{
    Errors, Krate, camel, doc, named_fields, no_generics, param_descriptor, shouty, skip_value,
};
use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DataEnum, DeriveInput, Fields, FieldsNamed};

pub fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let input: DeriveInput = syn::parse2(input)?;
    let mut errors = Errors::default();
    errors.ok(no_generics(&input.generics, "a complex type"));
    let mut krate = Krate::default();
    for attr in input
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("complex_type"))
    {
        let result = attr.parse_nested_meta(|meta| {
            if !krate.parse_if(&meta)? {
                errors.push(meta.error("unknown attribute; #[complex_type] takes only `crate`"));
                skip_value(&meta)?;
            }
            Ok(())
        });
        errors.ok(result);
    }
    match &input.data {
        Data::Enum(data) => expand_enum(&krate, &input, data, errors),
        Data::Struct(data) => {
            let fields = errors.ok(named_fields(
                &data.fields,
                &input.ident,
                "#[derive(ComplexType)]",
            ));
            errors.finish()?;
            expand_struct(&krate, &input, fields.expect("checked above"))
        }
        Data::Union(_) => Err(syn::Error::new_spanned(
            &input.ident,
            "complex types are enums or structs",
        )),
    }
}

fn expand_enum(
    krate: &Krate,
    input: &DeriveInput,
    data: &DataEnum,
    mut errors: Errors,
) -> syn::Result<TokenStream> {
    let ident = &input.ident;
    let type_doc = doc(&input.attrs);
    if data.variants.is_empty() {
        errors.push(syn::Error::new_spanned(
            ident,
            "an enum needs at least one variant",
        ));
    }
    let mut variants = Vec::new();
    let mut names = Vec::new();
    for variant in &data.variants {
        if !matches!(variant.fields, Fields::Unit) {
            errors.push(syn::Error::new_spanned(
                &variant.fields,
                "enum variants of a complex type carry no data",
            ));
        }
        variants.push(&variant.ident);
        names.push(shouty(&variant.ident));
    }
    errors.finish()?;
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

            fn __filmstrip_gtype() -> #krate::glib::Type {
                #krate::__private::register_enum(
                    ::std::concat!("Filmstrip_", ::std::env!("CARGO_CRATE_NAME"), #gtype_name),
                    Self::__FILMSTRIP_NAMES,
                )
            }
        }

        impl #krate::types::Type for #ident {
            fn kmd_type() -> ::std::string::String {
                #kmd_name.to_string()
            }

            fn to_json(&self) -> #krate::serde_json::Value {
                #krate::serde_json::Value::String(Self::__FILMSTRIP_NAMES[self.__filmstrip_index()].to_string())
            }

            fn from_json(value: &#krate::serde_json::Value) -> ::std::result::Result<Self, ::std::string::String> {
                #krate::__private::enum_from_json(#kmd_name, Self::__FILMSTRIP_NAMES, value).map(Self::__filmstrip_from_index)
            }

            fn complex_types(out: &mut ::std::vec::Vec<#krate::descriptor::ComplexTypeDescriptor>) {
                #krate::__private::add_complex_type(out, #krate::descriptor::ComplexTypeDescriptor {
                    name: #kmd_name.to_string(),
                    type_format: "ENUM".to_string(),
                    doc: #type_doc.to_string(),
                    values: Self::__FILMSTRIP_NAMES.iter().map(|n| n.to_string()).collect(),
                    properties: ::std::vec::Vec::new(),
                });
            }
        }

        impl #krate::types::PropertyType for #ident {
            fn param_spec(name: &str, blurb: &str, default: &Self, _: ::std::option::Option<&Self>, _: ::std::option::Option<&Self>) -> #krate::glib::ParamSpec {
                #krate::__private::enum_param_spec(Self::__filmstrip_gtype(), name, blurb, default.__filmstrip_index())
            }

            fn to_value(&self) -> #krate::glib::Value {
                #krate::__private::enum_to_value(Self::__filmstrip_gtype(), self.__filmstrip_index())
            }

            fn from_value(value: &#krate::glib::Value) -> Self {
                Self::__filmstrip_from_index(#krate::__private::enum_from_value(value))
            }
        }
    })
}

fn expand_struct(
    krate: &Krate,
    input: &DeriveInput,
    fields: &FieldsNamed,
) -> syn::Result<TokenStream> {
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
        .map(|(f, name)| param_descriptor(krate, name, &doc(&f.attrs), &f.ty));
    Ok(quote! {
        impl #krate::types::Type for #ident {
            fn kmd_type() -> ::std::string::String {
                #kmd_name.to_string()
            }

            fn to_json(&self) -> #krate::serde_json::Value {
                let mut object = #krate::serde_json::Map::new();
                #(object.insert(#json_names.to_string(), #krate::types::Type::to_json(&self.#field_idents));)*
                #krate::serde_json::Value::Object(object)
            }

            fn from_json(value: &#krate::serde_json::Value) -> ::std::result::Result<Self, ::std::string::String> {
                static NULL: #krate::serde_json::Value = #krate::serde_json::Value::Null;
                let object = value.as_object().ok_or_else(|| ::std::format!("expected a {} object", #kmd_name))?;
                ::std::result::Result::Ok(Self {
                    #(#field_idents: {
                        let field = object.get(#json_names).unwrap_or(&NULL);
                        if field.is_null() && !<#types as #krate::types::Type>::OPTIONAL {
                            return ::std::result::Result::Err(::std::format!("{} needs field {}", #kmd_name, #json_names));
                        }
                        <#types as #krate::types::Type>::from_json(field)
                            .map_err(|e| ::std::format!("{}.{}: {}", #kmd_name, #json_names, e))?
                    },)*
                })
            }

            fn complex_types(out: &mut ::std::vec::Vec<#krate::descriptor::ComplexTypeDescriptor>) {
                #krate::__private::add_complex_type(out, #krate::descriptor::ComplexTypeDescriptor {
                    name: #kmd_name.to_string(),
                    type_format: "REGISTER".to_string(),
                    doc: #type_doc.to_string(),
                    values: ::std::vec::Vec::new(),
                    properties: ::std::vec![#(#descriptors),*],
                });
                #(<#types as #krate::types::Type>::complex_types(out);)*
            }
        }
    })
}
