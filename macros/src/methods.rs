//! `#[filmstrip::methods]`: `transform_frame`, the `#[method]`s and the `#[constructor]` of a
//! filter.
//!
//! [`Methods::parse`] reads the impl block into a model, collecting every error;
//! [`Methods::generate`] writes the `FilterMethods` impl from the model alone.

use crate::util::{Errors, Krate, camel, doc, param_descriptor, skip_value};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ImplItem, ImplItemFn, ItemImpl, LitStr, Pat, ReturnType, Type};

/// A parameter of a method or of the constructor: its name is its API name.
struct Param {
    ident: syn::Ident,
    ty: Type,
    /// Its doc comment, which the macro strips (Rust has no doc on parameters).
    doc: String,
}

/// One `#[method]`.
struct Method {
    rust_name: syn::Ident,
    name: String,
    doc: String,
    params: Vec<Param>,
    output: Type,
    /// Frames pass through untouched while it runs instead of waiting.
    slow: bool,
}

/// The `#[constructor]`: Kurento's constructor parameters after the implicit `mediaPipeline`.
struct Constructor {
    rust_name: syn::Ident,
    doc: String,
    params: Vec<Param>,
}

/// The impl block as the user declared it.
struct Methods {
    krate: Krate,
    item: ItemImpl,
    /// `transform_frame` takes `&Frame`: buffers pass through uncopied.
    analysis_only: bool,
    methods: Vec<Method>,
    constructor: Option<Constructor>,
}

/// The named parameters of `sig` after the receiver, their doc comments stripped.
fn take_params(sig: &mut syn::Signature, errors: &mut Errors) -> Vec<Param> {
    let mut params = Vec::new();
    for input in &mut sig.inputs {
        let FnArg::Typed(typed) = input else {
            continue;
        };
        let doc = doc(&typed.attrs);
        typed.attrs.retain(|a| !a.path().is_ident("doc"));
        match &*typed.pat {
            Pat::Ident(pat) => params.push(Param {
                ident: pat.ident.clone(),
                ty: (*typed.ty).clone(),
                doc,
            }),
            other => errors.push(syn::Error::new_spanned(
                other,
                "method parameters need plain names; they are their names in the API",
            )),
        }
    }
    params
}

/// Whether `ty` is written `Result<()>` (any path ending in `Result`): what the constructor
/// returns. The generated call checks it is the SDK's `Result`.
fn returns_unit_result(output: &ReturnType) -> bool {
    let ReturnType::Type(_, ty) = output else {
        return false;
    };
    let Type::Path(path) = &**ty else {
        return false;
    };
    let Some(last) = path.path.segments.last() else {
        return false;
    };
    if last.ident != "Result" {
        return false;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) => matches!(
            args.args.first(),
            Some(syn::GenericArgument::Type(Type::Tuple(unit))) if unit.elems.is_empty()
        ),
        _ => false,
    }
}

/// Whether `function` has `#[constructor]`.
fn is_constructor(function: &ImplItemFn) -> bool {
    function
        .attrs
        .iter()
        .any(|a| a.path().is_ident("constructor"))
}

/// Reads and strips `#[constructor]` (and a `#[method]` wrongly beside it); `None` for other
/// functions and for a constructor with errors, which go to `errors`.
fn take_constructor(function: &mut ImplItemFn, errors: &mut Errors) -> Option<Constructor> {
    let position = function
        .attrs
        .iter()
        .position(|a| a.path().is_ident("constructor"))?;
    let attr = function.attrs.remove(position);
    let mut own = Errors::default();
    if !matches!(attr.meta, syn::Meta::Path(_)) {
        own.push(syn::Error::new_spanned(
            &attr.meta,
            "`#[constructor]` takes no arguments; its parameters are the function's",
        ));
    }
    if let Some(method) = function.attrs.iter().find(|a| a.path().is_ident("method")) {
        own.push(syn::Error::new_spanned(
            method,
            "a function is either the `#[constructor]` or a `#[method]`, not both",
        ));
    }
    function.attrs.retain(|a| !a.path().is_ident("method"));
    let sig = &mut function.sig;
    if !sig.generics.params.is_empty() {
        own.push(syn::Error::new_spanned(
            &sig.generics,
            "the constructor cannot be generic",
        ));
    }
    if !matches!(sig.inputs.first(), Some(FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_some())
    {
        own.push(syn::Error::new_spanned(
            &sig.ident,
            "the constructor takes `&mut self`: it configures the filter `Default` made",
        ));
    }
    if !returns_unit_result(&sig.output) {
        let span: &dyn quote::ToTokens = match &sig.output {
            ReturnType::Type(_, ty) => ty,
            ReturnType::Default => &sig.ident,
        };
        own.push(syn::Error::new_spanned(
            span,
            "the constructor returns `filmstrip::Result<()>`",
        ));
    }
    let params = take_params(sig, &mut own);
    for param in &params {
        if camel(&param.ident) == "mediaPipeline" {
            own.push(syn::Error::new_spanned(
                &param.ident,
                "`mediaPipeline` is every constructor's implicit first parameter; declare only the ones after it",
            ));
        }
    }
    errors.ok(own.finish())?;
    Some(Constructor {
        rust_name: function.sig.ident.clone(),
        doc: doc(&function.attrs),
        params,
    })
}

/// Reads and strips `#[method]` / `#[method(name = "...", slow)]`; `None` for other functions
/// and for methods with errors, which go to `errors`.
fn take_method(function: &mut ImplItemFn, errors: &mut Errors) -> Option<Method> {
    let position = function
        .attrs
        .iter()
        .position(|a| a.path().is_ident("method"))?;
    let attr = function.attrs.remove(position);
    let mut method_errors = Errors::default();
    let mut name = camel(&function.sig.ident);
    let mut slow = false;
    if !matches!(attr.meta, syn::Meta::Path(_)) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("name") {
                name = meta.value()?.parse::<LitStr>()?.value();
            } else if meta.path.is_ident("slow") {
                slow = true;
            } else {
                method_errors
                    .push(meta.error("unknown method attribute; expected `name` or `slow`"));
                skip_value(&meta)?;
            }
            Ok(())
        });
        method_errors.ok(result);
    }
    let sig = &function.sig;
    if !sig.generics.params.is_empty() {
        method_errors.push(syn::Error::new_spanned(
            &sig.generics,
            "methods cannot be generic",
        ));
    }
    if !matches!(sig.inputs.first(), Some(FnArg::Receiver(r)) if r.reference.is_some()) {
        method_errors.push(syn::Error::new_spanned(
            &sig.ident,
            "methods take `&mut self` or `&self`",
        ));
    }
    let params = take_params(&mut function.sig, &mut method_errors);
    let sig = &function.sig;
    let output = match &sig.output {
        ReturnType::Type(_, output) => Some((**output).clone()),
        ReturnType::Default => {
            method_errors.push(syn::Error::new_spanned(
                &sig.ident,
                "methods return `filmstrip::Result<T>`",
            ));
            None
        }
    };
    let failed = method_errors.finish();
    errors.ok(failed)?;
    Some(Method {
        rust_name: sig.ident.clone(),
        name,
        doc: doc(&function.attrs),
        params,
        output: output?,
        slow,
    })
}

/// Checks `transform_frame`'s shape; returns whether it only reads the frame.
fn check_transform(function: &ImplItemFn, errors: &mut Errors) -> bool {
    let sig = &function.sig;
    if !matches!(sig.inputs.first(), Some(FnArg::Receiver(r)) if r.reference.is_some() && r.mutability.is_some())
    {
        errors.push(syn::Error::new_spanned(
            &sig.ident,
            "`transform_frame` takes `&mut self`",
        ));
    }
    if sig.inputs.len() != 3 {
        errors.push(syn::Error::new_spanned(
            &sig.inputs,
            "`transform_frame` takes `(&mut self, frame: &mut Frame, ctx: &mut Context<Self>)`; use `frame: &Frame` to only read pixels",
        ));
        return false;
    }
    let FnArg::Typed(frame) = &sig.inputs[1] else {
        return false;
    };
    match &*frame.ty {
        Type::Reference(reference) => reference.mutability.is_none(),
        other => {
            errors.push(syn::Error::new_spanned(
                other,
                "the frame parameter is `&mut Frame` (to edit pixels) or `&Frame` (to only read them)",
            ));
            false
        }
    }
}

fn parse_args(args: TokenStream, errors: &mut Errors) -> Krate {
    let mut krate = Krate::default();
    let parser = syn::meta::parser(|meta| {
        if !krate.parse_if(&meta)? {
            errors.push(meta.error("unknown attribute; #[filmstrip::methods] takes only `crate`"));
            skip_value(&meta)?;
        }
        Ok(())
    });
    let result = syn::parse::Parser::parse2(parser, args);
    errors.ok(result);
    krate
}

impl Methods {
    /// The model, or every error with the path of the SDK (for the placeholder impl).
    fn parse(args: TokenStream, input: TokenStream) -> Result<Self, (syn::Error, Krate)> {
        let mut errors = Errors::default();
        let krate = parse_args(args, &mut errors);
        let mut item: ItemImpl = syn::parse2(input).map_err(|e| (e, krate.clone()))?;
        if let Some((_, path, _)) = &item.trait_ {
            let err = syn::Error::new_spanned(
                path,
                "#[filmstrip::methods] goes on an inherent impl block, not a trait impl",
            );
            return Err((err, krate));
        }
        let mut analysis_only = None;
        let mut methods: Vec<Method> = Vec::new();
        let mut constructor: Option<Constructor> = None;
        for impl_item in &mut item.items {
            let ImplItem::Fn(function) = impl_item else {
                continue;
            };
            if function.sig.ident == "transform_frame" {
                analysis_only = Some(check_transform(function, &mut errors));
            } else if is_constructor(function) {
                let Some(found) = take_constructor(function, &mut errors) else {
                    continue;
                };
                match &constructor {
                    Some(first) => errors.push(syn::Error::new_spanned(
                        &found.rust_name,
                        format!(
                            "a filter has one constructor, and `{}` is already it",
                            first.rust_name
                        ),
                    )),
                    None => constructor = Some(found),
                }
            } else if let Some(method) = take_method(function, &mut errors) {
                if let Some(previous) = methods.iter().find(|m| m.name == method.name) {
                    errors.push(syn::Error::new_spanned(
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
        if analysis_only.is_none() {
            errors.push(syn::Error::new_spanned(
                &item.self_ty,
                "missing `fn transform_frame(&mut self, frame: &mut Frame, ctx: &mut Context<Self>) -> filmstrip::Result<()>`",
            ));
        }
        if let Err(err) = errors.finish() {
            return Err((err, krate));
        }
        Ok(Self {
            krate,
            item,
            analysis_only: analysis_only.unwrap_or_default(),
            methods,
            constructor,
        })
    }

    fn generate(&self) -> TokenStream {
        let Self {
            krate,
            item,
            analysis_only,
            methods,
            constructor,
        } = self;
        let self_ty = &item.self_ty;
        let arms = methods.iter().map(|m| {
            let (rust_name, name) = (&m.rust_name, &m.name);
            let bind = bind_params(krate, &m.params);
            let idents = m.params.iter().map(|p| &p.ident);
            let output = &m.output;
            let krate_at = krate.at(output.span());
            let call = quote_spanned!(output.span()=> #krate_at::types::MethodReturn::into_json(self.#rust_name(#(#idents),*)));
            quote! {
                #name => ::std::option::Option::Some((|| {
                    #bind
                    #call
                })())
            }
        });
        let construct = constructor.as_ref().map(|c| {
            let rust_name = &c.rust_name;
            let bind = bind_params(krate, &c.params);
            let idents = c.params.iter().map(|p| &p.ident);
            let (doc, params) = (&c.doc, params_descriptors(krate, &c.params));
            quote! {
                fn construct(
                    &mut self,
                    params: &#krate::Params<'_>,
                ) -> ::std::option::Option<#krate::Result<()>> {
                    ::std::option::Option::Some((|| -> #krate::Result<()> {
                        #bind
                        self.#rust_name(#(#idents),*)
                    })())
                }

                fn constructor_descriptor() -> ::std::option::Option<#krate::descriptor::ConstructorDescriptor> {
                    ::std::option::Option::Some(#krate::descriptor::ConstructorDescriptor {
                        doc: #doc.to_string(),
                        params: ::std::vec![#(#params),*],
                    })
                }
            }
        });
        let slow_names = methods.iter().filter(|m| m.slow).map(|m| &m.name);
        let descriptors = methods.iter().map(|m| {
            let (name, doc, output) = (&m.name, &m.doc, &m.output);
            let params = params_descriptors(krate, &m.params);
            quote! {
                #krate::descriptor::MethodDescriptor {
                    name: #name.to_string(),
                    doc: #doc.to_string(),
                    params: ::std::vec![#(#params),*],
                    returns: #krate::__private::return_descriptor::<<#output as #krate::types::MethodReturn>::Value>(),
                }
            }
        });
        let complex = methods.iter().flat_map(|m| {
            let output = &m.output;
            m.params
                .iter()
                .map(|p| {
                    let ty = &p.ty;
                    quote!(<#ty as #krate::types::Type>::complex_types(out);)
                })
                .chain(std::iter::once(quote!(
                    <<#output as #krate::types::MethodReturn>::Value as #krate::types::Type>::complex_types(out);
                )))
                .collect::<Vec<_>>()
        });
        let constructor_complex = constructor.iter().flat_map(|c| &c.params).map(|p| {
            let ty = &p.ty;
            quote!(<#ty as #krate::types::Type>::complex_types(out);)
        });
        quote! {
            #item

            #[allow(unused_variables)]
            impl #krate::FilterMethods for #self_ty {
                const ANALYSIS_ONLY: bool = #analysis_only;

                fn process(
                    &mut self,
                    frame: &mut #krate::Frame<'_>,
                    ctx: &mut #krate::Context<'_, Self>,
                ) -> #krate::Result<()> {
                    self.transform_frame(frame, ctx)
                }

                fn call(
                    &mut self,
                    name: &str,
                    params: &#krate::Params<'_>,
                ) -> ::std::option::Option<#krate::Result<#krate::serde_json::Value>> {
                    match name {
                        #(#arms,)*
                        _ => ::std::option::Option::None,
                    }
                }

                fn method_descriptors() -> ::std::vec::Vec<#krate::descriptor::MethodDescriptor> {
                    ::std::vec![#(#descriptors),*]
                }

                fn is_slow(name: &str) -> bool {
                    [#(#slow_names),*].contains(&name)
                }

                fn complex_types(out: &mut ::std::vec::Vec<#krate::descriptor::ComplexTypeDescriptor>) {
                    #(#constructor_complex)*
                    #(#complex)*
                }

                #construct
            }
        }
    }
}

/// Statements binding `params` (a `Params` in scope) to local variables of their names.
fn bind_params(krate: &Krate, params: &[Param]) -> TokenStream {
    let names: Vec<String> = params.iter().map(|p| camel(&p.ident)).collect();
    let idents: Vec<_> = params.iter().map(|p| &p.ident).collect();
    let types: Vec<_> = params.iter().map(|p| &p.ty).collect();
    quote! {
        let [#(#idents),*] = params.bind([#((#names, <#types as #krate::types::Type>::OPTIONAL)),*])?;
        #(let #idents: #types = params.get(#names, #idents)?;)*
    }
}

/// `ParamDescriptor` expressions of `params`.
fn params_descriptors(krate: &Krate, params: &[Param]) -> Vec<TokenStream> {
    params
        .iter()
        .map(|p| param_descriptor(krate, &camel(&p.ident), &p.doc, &p.ty))
        .collect()
}

/// `err`, plus the user's impl block and a placeholder `FilterMethods` impl.
///
/// Without them one mistake in the block cascades: the filter then "has no
/// `#[filmstrip::methods]` impl block" and the block's imports look unused.
fn error_with_stub(err: syn::Error, krate: &Krate, input: TokenStream) -> TokenStream {
    let mut out = err.into_compile_error();
    let Ok(mut item) = syn::parse2::<ItemImpl>(input) else {
        return out;
    };
    if item.trait_.is_some() {
        return out;
    }
    for impl_item in &mut item.items {
        if let ImplItem::Fn(function) = impl_item {
            function
                .attrs
                .retain(|a| !a.path().is_ident("method") && !a.path().is_ident("constructor"));
            for input in &mut function.sig.inputs {
                if let FnArg::Typed(typed) = input {
                    typed.attrs.retain(|a| !a.path().is_ident("doc"));
                }
            }
        }
    }
    let self_ty = &item.self_ty;
    out.extend(quote! {
        #[allow(dead_code)]
        #item

        impl #krate::FilterMethods for #self_ty {
            const ANALYSIS_ONLY: bool = false;
            fn process(&mut self, _: &mut #krate::Frame<'_>, _: &mut #krate::Context<'_, Self>) -> #krate::Result<()> {
                ::std::unreachable!("placeholder of an impl block that failed to compile")
            }
            fn call(&mut self, _: &str, _: &#krate::Params<'_>) -> ::std::option::Option<#krate::Result<#krate::serde_json::Value>> {
                ::std::option::Option::None
            }
            fn method_descriptors() -> ::std::vec::Vec<#krate::descriptor::MethodDescriptor> {
                ::std::vec::Vec::new()
            }
            fn complex_types(_: &mut ::std::vec::Vec<#krate::descriptor::ComplexTypeDescriptor>) {}
        }
    });
    out
}

pub fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    match Methods::parse(args, input.clone()) {
        Ok(methods) => methods.generate(),
        Err((err, krate)) => error_with_stub(err, &krate, input),
    }
}
