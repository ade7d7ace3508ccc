//! `filmstrip::module!`: the crate's GStreamer plugin and its Filmstrip root module.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Ident, LitStr, Path};

pub fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let mut name: Option<LitStr> = None;
    let mut filters: Vec<Path> = Vec::new();
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("name") {
            let value: LitStr = meta.value()?.parse()?;
            let valid = value
                .value()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid || !value.value().starts_with(|c: char| c.is_ascii_lowercase()) {
                return Err(syn::Error::new(
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
            return Err(meta.error("unknown module key; expected `name` or `filters`"));
        }
        Ok(())
    });
    syn::parse::Parser::parse2(parser, input)?;
    let Some(name) = name else {
        return Err(syn::Error::new(
            Span::call_site(),
            "missing `name = \"...\"`, the Kurento module name",
        ));
    };
    if filters.is_empty() {
        return Err(syn::Error::new(
            Span::call_site(),
            "missing `filters(...)`: list the module's filter structs",
        ));
    }
    // GStreamer finds a plugin's entry point from its file name, which cargo takes from the crate.
    let crate_name = std::env::var("CARGO_CRATE_NAME").unwrap_or_else(|_| name.value());
    let plugin = Ident::new(&crate_name, Span::call_site());
    let license = match std::env::var("CARGO_PKG_LICENSE") {
        Ok(l) if l.contains("MIT") => "MIT/X11",
        Ok(l) if l.contains("LGPL") => "LGPL",
        Ok(l) if l.contains("MPL") => "MPL",
        _ => "unknown",
    };
    let loader = Ident::new(
        &abi_stable_shared::mangled_root_module_loader_name(),
        Span::call_site(),
    );
    Ok(quote! {
        #[doc(hidden)]
        static __FILMSTRIP_MODULE: ::filmstrip::abi::ModuleInfo = ::filmstrip::abi::ModuleInfo {
            name: #name,
            version: ::std::env!("CARGO_PKG_VERSION"),
            doc: ::std::env!("CARGO_PKG_DESCRIPTION"),
            classes: &[#(::filmstrip::abi::ClassEntry::of::<#filters>()),*],
        };

        fn __filmstrip_plugin_init(plugin: &::filmstrip::gst::Plugin) -> ::std::result::Result<(), ::filmstrip::glib::BoolError> {
            __FILMSTRIP_MODULE.register(plugin)
        }

        ::filmstrip::gst::plugin_define!(
            #plugin,
            ::std::env!("CARGO_PKG_DESCRIPTION"),
            __filmstrip_plugin_init,
            ::std::env!("CARGO_PKG_VERSION"),
            #license,
            #name,
            #name,
            "https://github.com/filmstrip-rs/filmstrip"
        );

        extern "C" fn __filmstrip_descriptor() -> ::filmstrip::abi_stable::std_types::RString {
            __FILMSTRIP_MODULE.descriptor_json()
        }

        extern "C" fn __filmstrip_invoke(
            element: *mut ::std::ffi::c_void,
            operation: ::filmstrip::abi_stable::std_types::RStr<'_>,
            params: ::filmstrip::abi_stable::std_types::RStr<'_>,
        ) -> ::filmstrip::abi_stable::std_types::RResult<
            ::filmstrip::abi_stable::std_types::RString,
            ::filmstrip::abi_stable::std_types::RString,
        > {
            // SAFETY: hosts pass live elements, as the root module's contract states.
            unsafe { __FILMSTRIP_MODULE.invoke_raw(element, operation, params) }
        }

        fn __filmstrip_root_module() -> ::filmstrip::abi::ModuleRef {
            ::filmstrip::abi::root_module(__filmstrip_descriptor, __filmstrip_invoke)
        }

        #[doc(hidden)]
        #[unsafe(no_mangle)]
        pub static #loader: ::filmstrip::abi_stable::library::LibHeader = {
            extern "C" fn erased() -> ::filmstrip::abi_stable::library::RootModuleResult {
                ::filmstrip::abi_stable::library::__call_root_module_loader(__filmstrip_root_module)
            }
            // SAFETY: `erased` builds the root module of type ModuleRef, as declared here.
            unsafe {
                ::filmstrip::abi_stable::library::LibHeader::from_constructor::<::filmstrip::abi::ModuleRef>(
                    erased,
                    ::filmstrip::abi_stable::library::CheckTypeLayout::Yes,
                )
            }
        };
    })
}
