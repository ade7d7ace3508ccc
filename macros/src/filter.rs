//! `#[filmstrip::filter]`: class metadata, properties and events of a filter struct.
//!
//! [`Filter::parse`] reads the attribute and the struct into a model, collecting every error;
//! [`Filter::generate`] writes the code from the model alone.

use crate::property::{self, Field};
use crate::util::{Errors, Krate, derive_default, doc, no_generics, skip_value};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ItemStruct, LitStr, Path};

const FORMATS: &[&str] = &[
    "Bgr", "Bgrx", "Bgra", "Rgb", "Rgbx", "Rgba", "Gray8", "I420", "Nv12",
];

/// A filter as the user declared it.
struct Filter {
    krate: Krate,
    item: ItemStruct,
    class: String,
    factory: String,
    doc: String,
    formats: Vec<Ident>,
    events: Vec<Path>,
    kurento_module: Option<LitStr>,
    fields: Vec<Field>,
}

/// The attribute's arguments, before they are checked against the struct.
#[derive(Default)]
struct Args {
    krate: Krate,
    class: Option<LitStr>,
    factory: Option<LitStr>,
    formats: Vec<Ident>,
    events: Vec<Path>,
    kurento_module: Option<LitStr>,
}

fn parse_args(args: TokenStream, errors: &mut Errors) -> Args {
    let mut parsed = Args::default();
    let parser = syn::meta::parser(|meta| {
        if parsed.krate.parse_if(&meta)? {
            return Ok(());
        }
        if meta.path.is_ident("class") {
            parsed.class = Some(meta.value()?.parse()?);
        } else if meta.path.is_ident("factory") {
            let factory: LitStr = meta.value()?.parse()?;
            let valid = factory
                .value()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !valid || factory.value().is_empty() {
                errors.push(syn::Error::new(
                    factory.span(),
                    "factory names use lowercase letters, digits and '-'",
                ));
            }
            parsed.factory = Some(factory);
        } else if meta.path.is_ident("formats") {
            meta.parse_nested_meta(|format| {
                let ident = format.path.require_ident()?;
                if FORMATS.contains(&ident.to_string().as_str()) {
                    parsed.formats.push(ident.clone());
                } else {
                    errors.push(syn::Error::new(
                        ident.span(),
                        format!(
                            "unknown pixel format `{ident}`; expected one of {}",
                            FORMATS.join(", ")
                        ),
                    ));
                }
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
            errors.push(meta.error(
                "unknown filter attribute; expected `class`, `factory`, `formats`, `events`, `kurento_module` or `crate`",
            ));
            skip_value(&meta)?;
        }
        Ok(())
    });
    let result = syn::parse::Parser::parse2(parser, args);
    errors.ok(result);
    parsed
}

impl Filter {
    fn parse(args: TokenStream, input: TokenStream) -> syn::Result<Self> {
        let mut errors = Errors::default();
        let args = parse_args(args, &mut errors);
        let mut item: ItemStruct = syn::parse2(input)?;
        errors.ok(no_generics(&item.generics, "a filter"));
        if let Some(derive) = derive_default(&item.attrs) {
            errors.push(syn::Error::new_spanned(
                derive,
                "remove `Default` from this derive: #[filmstrip::filter] implements Default from the property defaults",
            ));
        }
        let fields = property::take_fields(&mut item, "#[filmstrip::filter]", &mut errors);
        let class = args
            .class
            .as_ref()
            .map_or_else(|| item.ident.to_string(), LitStr::value);
        if class.is_empty()
            || !class.starts_with(|c: char| c.is_ascii_uppercase())
            || !class.chars().all(|c| c.is_ascii_alphanumeric())
        {
            let span = args.class.as_ref().map_or(item.ident.span(), LitStr::span);
            errors.push(syn::Error::new(
                span,
                "class names are UpperCamelCase letters and digits, like `EdgeDetectFilter`",
            ));
        }
        errors.finish()?;
        let factory = args
            .factory
            .as_ref()
            .map_or_else(|| class.to_lowercase(), LitStr::value);
        let formats = if args.formats.is_empty() {
            FORMATS
                .iter()
                .map(|f| Ident::new(f, Span::call_site()))
                .collect()
        } else {
            args.formats
        };
        Ok(Self {
            krate: args.krate,
            doc: doc(&item.attrs),
            item,
            class,
            factory,
            formats,
            events: args.events,
            kurento_module: args.kurento_module,
            fields,
        })
    }

    fn generate(&self) -> TokenStream {
        let Self {
            krate,
            item,
            class,
            factory,
            doc,
            formats,
            events,
            ..
        } = self;
        let ident = &item.ident;
        let kurento_module = match &self.kurento_module {
            Some(module) => quote!(::std::option::Option::Some(#module)),
            None => quote!(::std::option::Option::None),
        };
        let element_mod = format_ident!("__filmstrip_element_{}", ident);
        let type_name = format!("_{class}");
        let default = property::default_impl(ident, &self.fields);
        let group = property::group_impl(krate, ident, &self.fields);
        let emits = events.iter().map(|e| {
            let krate = krate.at(e.span());
            quote_spanned!(e.span()=> impl #krate::Emits<#e> for #ident {})
        });
        quote! {
            #item

            #default

            #group

            #krate::__element!(#element_mod, super::#ident, ::std::concat!("Filmstrip_", ::std::env!("CARGO_CRATE_NAME"), #type_name));

            #(#emits)*

            impl #krate::Filter for #ident {
                const CLASS: &'static str = #class;
                const FACTORY: &'static str = #factory;
                const DOC: &'static str = #doc;
                const FORMATS: &'static [#krate::PixelFormat] = &[#(#krate::PixelFormat::#formats),*];
                const KURENTO_MODULE: ::std::option::Option<&'static str> = #kurento_module;

                fn event_descriptors() -> ::std::vec::Vec<#krate::descriptor::EventDescriptor> {
                    ::std::vec![#(<#events as #krate::Event>::descriptor()),*]
                }

                fn complex_types(out: &mut ::std::vec::Vec<#krate::descriptor::ComplexTypeDescriptor>) {
                    <Self as #krate::PropertyGroup>::property_complex_types(out);
                    #(<#events as #krate::Event>::complex_types(out);)*
                }

                fn element_type() -> #krate::glib::Type {
                    <#element_mod::Element as #krate::glib::prelude::StaticType>::static_type()
                }

                fn core(element: &#krate::gst::Element) -> ::std::option::Option<&#krate::__private::Core<Self>> {
                    #element_mod::core(element)
                }
            }
        }
    }
}

pub fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    match Filter::parse(args, input.clone()) {
        Ok(filter) => filter.generate(),
        Err(err) => {
            let mut out = err.into_compile_error();
            out.extend(property::stripped(input));
            out
        }
    }
}
