//! Procedural macros of the Filmstrip SDK. Use them through the `filmstrip` crate, which
//! documents them with examples. The generated code names the SDK as `::filmstrip`, or as the
//! path given with `crate = path` when it is re-exported under another name.
//!
//! Each macro parses its item into a model (filter, property, method, event), collecting every
//! error of the item, and generates code from the model alone.

mod complex_type;
mod event;
mod filter;
mod methods;
mod module;
mod property;
mod util;

use proc_macro::TokenStream;

/// Turns a struct into a filter: `#[filmstrip::filter(class = "X", formats(..), events(..))]`.
#[proc_macro_attribute]
pub fn filter(args: TokenStream, input: TokenStream) -> TokenStream {
    filter::expand(args.into(), input.into()).into()
}

/// Makes a struct a group of properties that filters share with `#[property(flatten)]`.
#[proc_macro_attribute]
pub fn properties(args: TokenStream, input: TokenStream) -> TokenStream {
    let input: proc_macro2::TokenStream = input.into();
    property::expand_group(args.into(), input.clone())
        .unwrap_or_else(|err| {
            let mut out = err.into_compile_error();
            out.extend(property::stripped(input));
            out
        })
        .into()
}

/// Marks the filter's `impl` block holding `transform_frame`, its `#[method]`s and its
/// `#[constructor]`, if any (Kurento constructor parameters after `mediaPipeline`, run once
/// when a host creates the element for a Kurento `create`).
#[proc_macro_attribute]
pub fn methods(args: TokenStream, input: TokenStream) -> TokenStream {
    methods::expand(args.into(), input.into()).into()
}

/// Makes the crate a Filmstrip module: `filmstrip::module! { name = "x", filters(A, B) }`.
#[proc_macro]
pub fn module(input: TokenStream) -> TokenStream {
    module::expand(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Makes a struct an event a filter can emit.
#[proc_macro_derive(Event, attributes(event))]
pub fn derive_event(input: TokenStream) -> TokenStream {
    event::expand(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Makes an enum (Kurento `ENUM`) or a struct (Kurento `REGISTER`) usable in a filter API.
#[proc_macro_derive(ComplexType, attributes(complex_type))]
pub fn derive_complex_type(input: TokenStream) -> TokenStream {
    complex_type::expand(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
