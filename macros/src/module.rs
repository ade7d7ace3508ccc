//! `filmstrip::module!`: the crate's GStreamer plugin and its Filmstrip root module.

use crate::util::{Errors, Krate, skip_value};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Ident, LitStr, Path};

/// A value of the module crate's own Cargo metadata (`CARGO_PKG_*`): the macro runs inside
/// the compiler building that crate, which cargo gives them to.
fn package(key: &str) -> Option<String> {
    std::env::var(format!("CARGO_PKG_{key}"))
        .ok()
        .filter(|value| !value.is_empty())
}

pub fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let mut krate = Krate::default();
    let mut name: Option<LitStr> = None;
    let mut filters: Vec<Path> = Vec::new();
    let parser = syn::meta::parser(|meta| {
        if krate.parse_if(&meta)? {
            return Ok(());
        }
        if meta.path.is_ident("name") {
            let value: LitStr = meta.value()?.parse()?;
            let valid = value
                .value()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid || !value.value().starts_with(|c: char| c.is_ascii_lowercase()) {
                errors.push(syn::Error::new(
                    value.span(),
                    "module names are lowercase letters, digits and '_', like `platedetector`",
                ));
            }
            name = Some(value);
        } else if meta.path.is_ident("filters") {
            meta.parse_nested_meta(|filter| {
                filters.push(filter.path);
                Ok(())
            })?;
        } else {
            errors.push(meta.error("unknown module key; expected `name`, `filters` or `crate`"));
            skip_value(&meta)?;
        }
        Ok(())
    });
    let result = syn::parse::Parser::parse2(parser, input);
    errors.ok(result);
    if name.is_none() {
        errors.push(syn::Error::new(
            Span::call_site(),
            "missing `name = \"...\"`, the Kurento module name",
        ));
    }
    if filters.is_empty() {
        errors.push(syn::Error::new(
            Span::call_site(),
            "missing `filters(...)`: list the module's filter structs",
        ));
    }
    errors.finish()?;
    let name = name.expect("checked above");
    // GStreamer finds a plugin's entry point from its file name, which cargo takes from the crate.
    let crate_name = std::env::var("CARGO_CRATE_NAME").unwrap_or_else(|_| name.value());
    let plugin = Ident::new(&crate_name, Span::call_site());
    let license = match package("LICENSE") {
        Some(l) if l.contains("MIT") => "MIT/X11",
        Some(l) if l.contains("LGPL") => "LGPL",
        Some(l) if l.contains("MPL") => "MPL",
        _ => "unknown",
    };
    // gst-inspect's "Source module", "Binary package" and "Origin URL": the module's own
    // package, not the SDK's.
    let source = package("NAME").unwrap_or_else(|| crate_name.clone());
    let binary_package = format!(
        "{source} {}",
        package("VERSION").unwrap_or_else(|| "0.0.0".into())
    );
    let origin = package("REPOSITORY")
        .or_else(|| package("HOMEPAGE"))
        .unwrap_or_else(|| format!("https://crates.io/crates/{source}"));
    let loader = Ident::new(
        &abi_stable_shared::mangled_root_module_loader_name(),
        Span::call_site(),
    );
    Ok(quote! {
        #[doc(hidden)]
        static __FILMSTRIP_MODULE: #krate::__private::ModuleInfo = #krate::__private::ModuleInfo {
            name: #name,
            version: ::std::env!("CARGO_PKG_VERSION"),
            doc: ::std::env!("CARGO_PKG_DESCRIPTION"),
            classes: &[#(#krate::__private::ClassEntry::of::<#filters>()),*],
        };

        fn __filmstrip_plugin_init(plugin: &#krate::gst::Plugin) -> ::std::result::Result<(), #krate::glib::BoolError> {
            __FILMSTRIP_MODULE.register(plugin)
        }

        #krate::gst::plugin_define!(
            #plugin,
            ::std::env!("CARGO_PKG_DESCRIPTION"),
            __filmstrip_plugin_init,
            ::std::env!("CARGO_PKG_VERSION"),
            #license,
            #source,
            #binary_package,
            #origin
        );

        extern "C" fn __filmstrip_descriptor() -> #krate::abi_stable::std_types::RString {
            __FILMSTRIP_MODULE.descriptor_json()
        }

        extern "C" fn __filmstrip_invoke(
            element: *mut ::std::ffi::c_void,
            operation: #krate::abi_stable::std_types::RStr<'_>,
            params: #krate::abi_stable::std_types::RStr<'_>,
        ) -> #krate::abi_stable::std_types::RResult<
            #krate::abi_stable::std_types::RString,
            #krate::abi_stable::std_types::RString,
        > {
            // SAFETY: hosts pass live elements, as the root module's contract states.
            unsafe { __FILMSTRIP_MODULE.invoke_raw(element, operation, params) }
        }

        fn __filmstrip_root_module() -> #krate::abi::ModuleRef {
            #krate::__private::root_module(__filmstrip_descriptor, __filmstrip_invoke)
        }

        #[doc(hidden)]
        #[unsafe(no_mangle)]
        pub static #loader: #krate::abi_stable::library::LibHeader = {
            extern "C" fn erased() -> #krate::abi_stable::library::RootModuleResult {
                #krate::abi_stable::library::__call_root_module_loader(__filmstrip_root_module)
            }
            // SAFETY: `erased` builds the root module of type ModuleRef, as declared here.
            unsafe {
                #krate::abi_stable::library::LibHeader::from_constructor::<#krate::abi::ModuleRef>(
                    erased,
                    #krate::abi_stable::library::CheckTypeLayout::Yes,
                )
            }
        };
    })
}
