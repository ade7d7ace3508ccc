//! `#[filmstrip::methods]`: `transform_frame` and the `#[method]`s of a filter.

use crate::util::{camel, doc, param_descriptor};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ImplItem, ImplItemFn, ItemImpl, LitStr, Pat, ReturnType, Type};

struct Method {
    rust_name: syn::Ident,
    name: String,
    doc: String,
    params: Vec<(syn::Ident, Type)>,
    output: Type,
    /// Frames pass through untouched while it runs instead of waiting for it.
    slow: bool,
}

/// Reads and strips `#[method]` / `#[method(name = "...", slow)]`.
fn take_method(function: &mut ImplItemFn) -> syn::Result<Option<Method>> {
    let Some(position) = function
        .attrs
        .iter()
        .position(|a| a.path().is_ident("method"))
    else {
        return Ok(None);
    };
    let attr = function.attrs.remove(position);
    let mut name = camel(&function.sig.ident);
    let mut slow = false;
    if !matches!(attr.meta, syn::Meta::Path(_)) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                name = meta.value()?.parse::<LitStr>()?.value();
                Ok(())
            } else if meta.path.is_ident("slow") {
                slow = true;
                Ok(())
            } else {
                Err(meta.error("unknown method attribute; expected `name` or `slow`"))
            }
        })?;
    }
    let sig = &function.sig;
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &sig.generics,
            "methods cannot be generic",
        ));
    }
    match sig.inputs.first() {
        Some(FnArg::Receiver(r)) if r.reference.is_some() => {}
        _ => {
            return Err(syn::Error::new_spanned(
                &sig.ident,
                "methods take `&mut self` or `&self`",
            ));
        }
    }
    let mut params = Vec::new();
    for input in sig.inputs.iter().skip(1) {
        let FnArg::Typed(typed) = input else {
            unreachable!("receiver comes first")
        };
        let Pat::Ident(pat) = &*typed.pat else {
            return Err(syn::Error::new_spanned(
                &typed.pat,
                "method parameters need plain names; they are their names in the API",
            ));
        };
        params.push((pat.ident.clone(), (*typed.ty).clone()));
    }
    let ReturnType::Type(_, output) = &sig.output else {
        return Err(syn::Error::new_spanned(
            &sig.ident,
            "methods return `filmstrip::Result<T>`",
        ));
    };
    Ok(Some(Method {
        rust_name: sig.ident.clone(),
        name,
        doc: doc(&function.attrs),
        params,
        output: (**output).clone(),
        slow,
    }))
}

/// Checks `transform_frame`'s shape; returns whether it only reads the frame.
fn check_transform(function: &ImplItemFn) -> syn::Result<bool> {
    let sig = &function.sig;
    match sig.inputs.first() {
        Some(FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_some() => {}
        _ => {
            return Err(syn::Error::new_spanned(
                &sig.ident,
                "`transform_frame` takes `&mut self`",
            ));
        }
    }
    if sig.inputs.len() != 3 {
        return Err(syn::Error::new_spanned(
            &sig.inputs,
            "`transform_frame` takes `(&mut self, frame: &mut Frame, ctx: &mut Context<Self>)`; use `frame: &Frame` to only read pixels",
        ));
    }
    let FnArg::Typed(frame) = &sig.inputs[1] else {
        unreachable!("receiver comes first")
    };
    match &*frame.ty {
        Type::Reference(reference) => Ok(reference.mutability.is_none()),
        other => Err(syn::Error::new_spanned(
            other,
            "the frame parameter is `&mut Frame` (to edit pixels) or `&Frame` (to only read them)",
        )),
    }
}

/// `err`, plus the user's impl block and a placeholder `FilterMethods` impl.
///
/// Without them one mistake in the block cascades: the filter then "has no
/// `#[filmstrip::methods]` impl block" and the block's imports look unused.
pub fn error_with_stub(err: syn::Error, input: TokenStream) -> TokenStream {
    let mut out = err.into_compile_error();
    let Ok(mut item) = syn::parse2::<ItemImpl>(input) else {
        return out;
    };
    if item.trait_.is_some() {
        return out;
    }
    for impl_item in &mut item.items {
        if let ImplItem::Fn(function) = impl_item {
            function.attrs.retain(|a| !a.path().is_ident("method"));
        }
    }
    let self_ty = &item.self_ty;
    out.extend(quote! {
        #[allow(dead_code)]
        #item

        impl ::filmstrip::FilterMethods for #self_ty {
            const ANALYSIS_ONLY: bool = false;
            fn process(&mut self, _: &mut ::filmstrip::Frame<'_>, _: &mut ::filmstrip::Context<'_, Self>) -> ::filmstrip::Result<()> {
                ::std::unreachable!("placeholder of an impl block that failed to compile")
            }
            fn call(&mut self, _: &str, _: &::filmstrip::Params<'_>) -> ::std::option::Option<::filmstrip::Result<::filmstrip::serde_json::Value>> {
                ::std::option::Option::None
            }
            fn method_descriptors() -> ::std::vec::Vec<::filmstrip::descriptor::MethodDescriptor> {
                ::std::vec::Vec::new()
            }
            fn complex_types(_: &mut ::std::vec::Vec<::filmstrip::descriptor::ComplexTypeDescriptor>) {}
        }
    });
    out
}

pub fn expand(args: TokenStream, input: TokenStream) -> syn::Result<TokenStream> {
    if !args.is_empty() {
        return Err(syn::Error::new_spanned(
            args,
            "#[filmstrip::methods] takes no arguments",
        ));
    }
    let mut item: ItemImpl = syn::parse2(input)?;
    if let Some((_, path, _)) = &item.trait_ {
        return Err(syn::Error::new_spanned(
            path,
            "#[filmstrip::methods] goes on an inherent impl block, not a trait impl",
        ));
    }
    let self_ty = item.self_ty.clone();
    let mut analysis_only = None;
    let mut methods = Vec::new();
    for impl_item in &mut item.items {
        let ImplItem::Fn(function) = impl_item else {
            continue;
        };
        if function.sig.ident == "transform_frame" {
            analysis_only = Some(check_transform(function)?);
        } else if let Some(method) = take_method(function)? {
            if let Some(previous) = methods.iter().find(|m: &&Method| m.name == method.name) {
                return Err(syn::Error::new_spanned(
                    &method.rust_name,
                    format!(
                        "two methods are named `{}` in the API (see `{}`)",
                        method.name, previous.rust_name
                    ),
                ));
            }
            methods.push(method);
        }
    }
    let Some(analysis_only) = analysis_only else {
        return Err(syn::Error::new_spanned(
            &self_ty,
            "missing `fn transform_frame(&mut self, frame: &mut Frame, ctx: &mut Context<Self>) -> filmstrip::Result<()>`",
        ));
    };

    let arms = methods.iter().map(|m| {
        let (rust_name, name) = (&m.rust_name, &m.name);
        let names: Vec<String> = m.params.iter().map(|(ident, _)| camel(ident)).collect();
        let idents: Vec<_> = m.params.iter().map(|(ident, _)| ident).collect();
        let types: Vec<_> = m.params.iter().map(|(_, ty)| ty).collect();
        let output = &m.output;
        let call = quote_spanned!(output.span()=> ::filmstrip::types::MethodReturn::into_json(self.#rust_name(#(#idents),*)));
        quote! {
            #name => ::std::option::Option::Some((|| {
                let [#(#idents),*] = params.bind([#((#names, <#types as ::filmstrip::types::Type>::OPTIONAL)),*])?;
                #(let #idents: #types = params.get(#names, #idents)?;)*
                #call
            })())
        }
    });
    let slow_names = methods.iter().filter(|m| m.slow).map(|m| &m.name);
    let descriptors = methods.iter().map(|m| {
        let (name, doc, output) = (&m.name, &m.doc, &m.output);
        let params = m.params.iter().map(|(ident, ty)| param_descriptor(&camel(ident), "", ty));
        quote! {
            ::filmstrip::descriptor::MethodDescriptor {
                name: #name.to_string(),
                doc: #doc.to_string(),
                params: ::std::vec![#(#params),*],
                returns: ::filmstrip::types::return_descriptor::<<#output as ::filmstrip::types::MethodReturn>::Value>(),
            }
        }
    });
    let complex = methods.iter().flat_map(|m| {
        let output = &m.output;
        m.params
            .iter()
            .map(|(_, ty)| quote!(<#ty as ::filmstrip::types::Type>::complex_types(out);))
            .chain(std::iter::once(quote!(
                <<#output as ::filmstrip::types::MethodReturn>::Value as ::filmstrip::types::Type>::complex_types(out);
            )))
            .collect::<Vec<_>>()
    });

    Ok(quote! {
        #item

        #[allow(unused_variables)]
        impl ::filmstrip::FilterMethods for #self_ty {
            const ANALYSIS_ONLY: bool = #analysis_only;

            fn process(
                &mut self,
                frame: &mut ::filmstrip::Frame<'_>,
                ctx: &mut ::filmstrip::Context<'_, Self>,
            ) -> ::filmstrip::Result<()> {
                self.transform_frame(frame, ctx)
            }

            fn call(
                &mut self,
                name: &str,
                params: &::filmstrip::Params<'_>,
            ) -> ::std::option::Option<::filmstrip::Result<::filmstrip::serde_json::Value>> {
                match name {
                    #(#arms,)*
                    _ => ::std::option::Option::None,
                }
            }

            fn method_descriptors() -> ::std::vec::Vec<::filmstrip::descriptor::MethodDescriptor> {
                ::std::vec![#(#descriptors),*]
            }

            fn is_slow(name: &str) -> bool {
                [#(#slow_names),*].contains(&name)
            }

            fn complex_types(out: &mut ::std::vec::Vec<::filmstrip::descriptor::ComplexTypeDescriptor>) {
                #(#complex)*
            }
        }
    })
}
