//! `#[filmstrip::filter]`: class metadata, properties and events of a filter struct.

use crate::util::{camel, doc, named_fields, no_generics};
use heck::{ToKebabCase, ToUpperCamelCase};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Expr, Ident, ItemStruct, LitStr, Path, Type};

const FORMATS: &[&str] = &[
    "Bgr", "Bgrx", "Bgra", "Rgb", "Rgbx", "Rgba", "Gray8", "I420", "Nv12",
];

struct Args {
    class: Option<LitStr>,
    factory: Option<LitStr>,
    formats: Vec<Ident>,
    events: Vec<Path>,
    kurento_module: Option<LitStr>,
}

fn parse_args(args: TokenStream) -> syn::Result<Args> {
    let mut parsed = Args {
        class: None,
        factory: None,
        formats: Vec::new(),
        events: Vec::new(),
        kurento_module: None,
    };
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("class") {
            parsed.class = Some(meta.value()?.parse()?);
        } else if meta.path.is_ident("factory") {
            let factory: LitStr = meta.value()?.parse()?;
            let valid = factory
                .value()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !valid || factory.value().is_empty() {
                return Err(syn::Error::new(
                    factory.span(),
                    "factory names use lowercase letters, digits and '-'",
                ));
            }
            parsed.factory = Some(factory);
        } else if meta.path.is_ident("formats") {
            meta.parse_nested_meta(|format| {
                let ident = format.path.require_ident()?;
                if !FORMATS.contains(&ident.to_string().as_str()) {
                    return Err(syn::Error::new(
                        ident.span(),
                        format!(
                            "unknown pixel format `{ident}`; expected one of {}",
                            FORMATS.join(", ")
                        ),
                    ));
                }
                parsed.formats.push(ident.clone());
                Ok(())
            })?;
        } else if meta.path.is_ident("kurento_module") {
            parsed.kurento_module = Some(meta.value()?.parse()?);
        } else if meta.path.is_ident("events") {
            meta.parse_nested_meta(|event| {
                parsed.events.push(event.path);
                Ok(())
            })?;
        } else {
            return Err(meta.error(
                "unknown filter attribute; expected `class`, `factory`, `formats`, `events` or `kurento_module`",
            ));
        }
        Ok(())
    });
    syn::parse::Parser::parse2(parser, args)?;
    Ok(parsed)
}

struct Property {
    ident: Ident,
    ty: Type,
    doc: String,
    default: Option<Expr>,
    min: Option<Expr>,
    max: Option<Expr>,
}

/// Reads and strips the `#[property(...)]` attribute of each field.
fn take_properties(item: &mut ItemStruct) -> syn::Result<Vec<Property>> {
    let fields = named_fields(&item.fields, &item.ident, "#[filmstrip::filter]")?.clone();
    let mut properties = Vec::new();
    for (field, original) in item.fields.iter_mut().zip(fields.named.iter()) {
        let mut found = None;
        field.attrs.retain(|attr| {
            let is_property = attr.path().is_ident("property");
            if is_property {
                found = Some(attr.clone());
            }
            !is_property
        });
        let Some(attr) = found else { continue };
        let mut property = Property {
            ident: original.ident.clone().expect("named field"),
            ty: original.ty.clone(),
            doc: doc(&original.attrs),
            default: None,
            min: None,
            max: None,
        };
        if !matches!(attr.meta, syn::Meta::Path(_)) {
            attr.parse_nested_meta(|meta| {
                let slot = if meta.path.is_ident("default") {
                    &mut property.default
                } else if meta.path.is_ident("min") {
                    &mut property.min
                } else if meta.path.is_ident("max") {
                    &mut property.max
                } else {
                    return Err(meta
                        .error("unknown property attribute; expected `default`, `min` or `max`"));
                };
                *slot = Some(meta.value()?.parse()?);
                Ok(())
            })?;
        }
        properties.push(property);
    }
    Ok(properties)
}

/// A value of the property's type from a user expression; string literals become `String`s.
fn typed_value(expr: &Expr, ty: &Type) -> TokenStream {
    let value = match expr {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(_),
            ..
        }) => quote!(::std::convert::From::from(#expr)),
        _ => quote!(#expr),
    };
    quote_spanned!(expr.span()=> { let value: #ty = #value; value })
}

/// `err`, plus the user's struct without its `#[property]` attributes.
///
/// Without the struct, one mistake in the attribute cascades into "cannot find type" errors
/// wherever the filter is named, such as its `#[filmstrip::methods]` block.
pub fn error_with_item(err: syn::Error, input: TokenStream) -> TokenStream {
    let mut out = err.into_compile_error();
    if let Ok(mut item) = syn::parse2::<ItemStruct>(input) {
        for field in item.fields.iter_mut() {
            field.attrs.retain(|a| !a.path().is_ident("property"));
        }
        out.extend(quote!(#[allow(dead_code)] #item));
    }
    out
}

pub fn expand(args: TokenStream, input: TokenStream) -> syn::Result<TokenStream> {
    let args = parse_args(args)?;
    let mut item: ItemStruct = syn::parse2(input)?;
    no_generics(&item.generics, "a filter")?;
    if let Some(derive) = item.attrs.iter().find(|a| {
        a.path().is_ident("derive")
            && a.meta.require_list().is_ok_and(|l| {
                l.tokens
                    .to_string()
                    .split(',')
                    .any(|t| t.trim() == "Default")
            })
    }) {
        return Err(syn::Error::new_spanned(
            derive,
            "remove `Default` from this derive: #[filmstrip::filter] implements Default from the property defaults",
        ));
    }
    let properties = take_properties(&mut item)?;

    let ident = &item.ident;
    let class = args
        .class
        .as_ref()
        .map_or_else(|| ident.to_string(), LitStr::value);
    if class.is_empty()
        || !class.starts_with(|c: char| c.is_ascii_uppercase())
        || !class.chars().all(|c| c.is_ascii_alphanumeric())
    {
        let span = args.class.as_ref().map_or(ident.span(), LitStr::span);
        return Err(syn::Error::new(
            span,
            "class names are UpperCamelCase letters and digits, like `EdgeDetectFilter`",
        ));
    }
    let factory = args
        .factory
        .as_ref()
        .map_or_else(|| class.to_lowercase(), LitStr::value);
    let class_doc = doc(&item.attrs);
    let formats: Vec<Ident> = if args.formats.is_empty() {
        FORMATS
            .iter()
            .map(|f| Ident::new(f, Span::call_site()))
            .collect()
    } else {
        args.formats.clone()
    };
    let kurento_module = match &args.kurento_module {
        Some(module) => quote!(::std::option::Option::Some(#module)),
        None => quote!(::std::option::Option::None),
    };
    let element_mod = format_ident!("__filmstrip_element_{}", ident);
    let type_name = format!("_{}", class);

    let all_fields = named_fields(&item.fields, ident, "#[filmstrip::filter]")?;
    let defaults = all_fields.named.iter().map(|field| {
        let name = field.ident.as_ref().expect("named field");
        match properties.iter().find(|p| &p.ident == name) {
            Some(Property {
                default: Some(expr),
                ty,
                ..
            }) => {
                let value = typed_value(expr, ty);
                quote!(#name: #value)
            }
            _ => quote_spanned!(field.ty.span()=> #name: ::std::default::Default::default()),
        }
    });

    let mut names = Vec::new();
    let mut specs = Vec::new();
    let mut get_values = Vec::new();
    let mut set_values = Vec::new();
    let mut get_json = Vec::new();
    let mut set_json = Vec::new();
    let mut descriptors = Vec::new();
    let mut type_checks = Vec::new();
    let mut complex = Vec::new();
    for (index, p) in properties.iter().enumerate() {
        let Property {
            ident: field,
            ty,
            doc,
            ..
        } = p;
        let pascal = field.unraw().to_string().to_upper_camel_case();
        let gobject = field.unraw().to_string().to_kebab_case();
        let name = camel(field);
        let getter = format!("get{pascal}");
        let setter = format!("set{pascal}");
        names.push(quote! {
            ::filmstrip::PropertyNames { name: #name, gobject: #gobject, getter: #getter, setter: #setter }
        });
        let default = p.default.as_ref().map_or_else(
            || quote!(<#ty as ::std::default::Default>::default()),
            |e| typed_value(e, ty),
        );
        let bound = |b: &Option<Expr>| match b {
            Some(e) => {
                let v = typed_value(e, ty);
                quote!(::std::option::Option::Some(#v))
            }
            None => quote!(::std::option::Option::<#ty>::None),
        };
        let (min, max) = (bound(&p.min), bound(&p.max));
        type_checks.push(quote_spanned! {ty.span()=>
            const _: fn() = || { fn is_property<T: ::filmstrip::types::PropertyType>() {} is_property::<#ty>(); };
        });
        specs.push(quote! {
            <#ty as ::filmstrip::types::PropertyType>::param_spec(#gobject, #doc, &#default, #min.as_ref(), #max.as_ref())
        });
        get_values.push(quote!(#index => ::filmstrip::types::PropertyType::to_value(&self.#field)));
        set_values.push(quote!(#index => self.#field = <#ty as ::filmstrip::types::PropertyType>::from_value(value)));
        get_json.push(quote!(#index => ::filmstrip::types::Type::to_json(&self.#field)));
        let range_check = (p.min.is_some() || p.max.is_some()).then(|| {
            quote!(::filmstrip::types::check_range(#name, &parsed, #min.as_ref(), #max.as_ref())?;)
        });
        set_json.push(quote! {
            #index => {
                let parsed = <#ty as ::filmstrip::types::Type>::from_json(value)
                    .map_err(|e| ::filmstrip::Error::invalid_param(::std::format!("{}: {}", #setter, e)))?;
                #range_check
                self.#field = parsed;
                ::std::result::Result::Ok(())
            }
        });
        let to_json = |v: TokenStream| quote!(#v.as_ref().map(::filmstrip::types::Type::to_json));
        let (min_json, max_json) = (to_json(min.clone()), to_json(max.clone()));
        descriptors.push(quote! {
            ::filmstrip::descriptor::ParamDescriptor {
                name: #name.to_string(),
                doc: #doc.to_string(),
                type_name: <#ty as ::filmstrip::types::Type>::kmd_type(),
                optional: false,
                default_value: ::std::option::Option::Some(::filmstrip::types::Type::to_json(&#default)),
                minimum: #min_json,
                maximum: #max_json,
            }
        });
        complex.push(quote!(<#ty as ::filmstrip::types::Type>::complex_types(out);));
    }
    let events = &args.events;
    let emits = events
        .iter()
        .map(|e| quote_spanned!(e.span()=> impl ::filmstrip::Emits<#e> for #ident {}));

    Ok(quote! {
        #item

        #(#type_checks)*

        impl ::std::default::Default for #ident {
            fn default() -> Self {
                Self { #(#defaults),* }
            }
        }

        ::filmstrip::__element!(#element_mod, super::#ident, ::std::concat!("Filmstrip_", ::std::env!("CARGO_CRATE_NAME"), #type_name));

        #(#emits)*

        #[allow(unused_variables)]
        impl ::filmstrip::Filter for #ident {
            const CLASS: &'static str = #class;
            const FACTORY: &'static str = #factory;
            const DOC: &'static str = #class_doc;
            const FORMATS: &'static [::filmstrip::PixelFormat] = &[#(::filmstrip::PixelFormat::#formats),*];
            const KURENTO_MODULE: ::std::option::Option<&'static str> = #kurento_module;
            const PROPERTIES: &'static [::filmstrip::PropertyNames] = &[#(#names),*];

            fn param_specs() -> ::std::vec::Vec<::filmstrip::glib::ParamSpec> {
                ::std::vec![#(#specs),*]
            }

            fn property_value(&self, index: usize) -> ::filmstrip::glib::Value {
                match index {
                    #(#get_values,)*
                    _ => ::std::unreachable!("no property {index}"),
                }
            }

            fn set_property_value(&mut self, index: usize, value: &::filmstrip::glib::Value) {
                match index {
                    #(#set_values,)*
                    _ => ::std::unreachable!("no property {index}"),
                }
            }

            fn property_json(&self, index: usize) -> ::filmstrip::serde_json::Value {
                match index {
                    #(#get_json,)*
                    _ => ::std::unreachable!("no property {index}"),
                }
            }

            fn set_property_json(&mut self, index: usize, value: &::filmstrip::serde_json::Value) -> ::filmstrip::Result<()> {
                match index {
                    #(#set_json)*
                    _ => ::std::unreachable!("no property {index}"),
                }
            }

            fn property_descriptors() -> ::std::vec::Vec<::filmstrip::descriptor::ParamDescriptor> {
                ::std::vec![#(#descriptors),*]
            }

            fn event_descriptors() -> ::std::vec::Vec<::filmstrip::descriptor::EventDescriptor> {
                ::std::vec![#(<#events as ::filmstrip::Event>::descriptor()),*]
            }

            fn complex_types(out: &mut ::std::vec::Vec<::filmstrip::descriptor::ComplexTypeDescriptor>) {
                #(#complex)*
                #(<#events as ::filmstrip::Event>::complex_types(out);)*
            }

            fn element_type() -> ::filmstrip::glib::Type {
                <#element_mod::Element as ::filmstrip::glib::prelude::StaticType>::static_type()
            }

            fn core(element: &::filmstrip::gst::Element) -> ::std::option::Option<&::filmstrip::element::Core<Self>> {
                #element_mod::core(element)
            }
        }
    })
}
