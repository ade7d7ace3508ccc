//! `#[property]` fields: their model, and the code shared by `#[filmstrip::filter]` and
//! `#[filmstrip::properties]` (the `PropertyGroup` impl and `Default`).

use crate::util::{Errors, Krate, camel, doc, named_fields, skip_value};
use heck::{ToKebabCase, ToUpperCamelCase};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Ident, ItemStruct, Type};

/// One `#[property(default, min, max)]` field.
pub struct Property {
    pub ident: Ident,
    pub ty: Type,
    pub doc: String,
    pub default: Option<Expr>,
    pub min: Option<Expr>,
    pub max: Option<Expr>,
}

/// What a field of a filter or property group is.
pub enum FieldKind {
    /// Plain state of the filter: `Default::default()`.
    Plain,
    /// A property.
    Property(Box<Property>),
    /// `#[property(flatten)]`: a group whose properties count as the struct's own.
    Flatten,
}

/// A named field of the struct.
pub struct Field {
    pub ident: Ident,
    pub ty: Type,
    pub kind: FieldKind,
}

/// Reads one field's `#[property(...)]` attribute.
fn parse_kind(
    ident: &Ident,
    ty: &Type,
    attrs: &[Attribute],
    attr: &Attribute,
    errors: &mut Errors,
) -> FieldKind {
    let mut property = Property {
        ident: ident.clone(),
        ty: ty.clone(),
        doc: doc(attrs),
        default: None,
        min: None,
        max: None,
    };
    if matches!(attr.meta, syn::Meta::Path(_)) {
        return FieldKind::Property(Box::new(property));
    }
    let mut flatten = false;
    let result = attr.parse_nested_meta(|meta| {
        let slot = if meta.path.is_ident("default") {
            &mut property.default
        } else if meta.path.is_ident("min") {
            &mut property.min
        } else if meta.path.is_ident("max") {
            &mut property.max
        } else if meta.path.is_ident("flatten") {
            flatten = true;
            return Ok(());
        } else {
            errors.push(meta.error(
                "unknown property attribute; expected `default`, `min`, `max` or `flatten`",
            ));
            return skip_value(&meta);
        };
        *slot = Some(meta.value()?.parse()?);
        Ok(())
    });
    errors.ok(result);
    if !flatten {
        return FieldKind::Property(Box::new(property));
    }
    for option in [&property.default, &property.min, &property.max]
        .into_iter()
        .flatten()
    {
        errors.push(syn::Error::new_spanned(
            option,
            "a flattened group takes no `default`, `min` or `max`: set them on the group's own fields",
        ));
    }
    FieldKind::Flatten
}

/// Reads the fields of `item`, stripping their `#[property]` attributes.
pub fn take_fields(item: &mut ItemStruct, what: &str, errors: &mut Errors) -> Vec<Field> {
    if errors
        .ok(named_fields(&item.fields, &item.ident, what))
        .is_none()
    {
        return Vec::new();
    }
    let mut fields = Vec::new();
    for field in item.fields.iter_mut() {
        let mut found = Vec::new();
        field.attrs.retain(|attr| {
            let is_property = attr.path().is_ident("property");
            if is_property {
                found.push(attr.clone());
            }
            !is_property
        });
        let ident = field.ident.clone().expect("named field");
        if let Some(extra) = found.get(1) {
            errors.push(syn::Error::new_spanned(
                extra,
                "one #[property] attribute per field",
            ));
        }
        let kind = match found.first() {
            Some(attr) => parse_kind(&ident, &field.ty, &field.attrs, attr, errors),
            None => FieldKind::Plain,
        };
        fields.push(Field {
            ident,
            ty: field.ty.clone(),
            kind,
        });
    }
    fields
}

/// The struct without its `#[property]` attributes, for error output: without it, one mistake
/// cascades into "cannot find type" errors wherever the struct is named.
pub fn stripped(input: TokenStream) -> TokenStream {
    let Ok(mut item) = syn::parse2::<ItemStruct>(input) else {
        return TokenStream::new();
    };
    for field in item.fields.iter_mut() {
        field.attrs.retain(|a| !a.path().is_ident("property"));
    }
    quote!(#[allow(dead_code)] #item)
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

/// `impl Default`, from the property defaults; other fields take their own default.
pub fn default_impl(ident: &Ident, fields: &[Field]) -> TokenStream {
    let values = fields.iter().map(|field| {
        let name = &field.ident;
        match &field.kind {
            FieldKind::Property(property) if property.default.is_some() => {
                let value = typed_value(property.default.as_ref().expect("checked"), &property.ty);
                quote!(#name: #value)
            }
            _ => quote_spanned!(field.ty.span()=> #name: ::std::default::Default::default()),
        }
    });
    quote! {
        impl ::std::default::Default for #ident {
            fn default() -> Self {
                Self { #(#values),* }
            }
        }
    }
}

/// Code for one property: its names, and the pieces of each `PropertyGroup` function.
struct Generated {
    names: TokenStream,
    spec: TokenStream,
    get_value: TokenStream,
    set_value: TokenStream,
    get_json: TokenStream,
    set_json: TokenStream,
    descriptor: TokenStream,
    complex: TokenStream,
    type_check: TokenStream,
}

fn generate(krate: &Krate, p: &Property) -> Generated {
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
    let range_check = (p.min.is_some() || p.max.is_some()).then(
        || quote!(#krate::__private::check_range(#name, &parsed, #min.as_ref(), #max.as_ref())?;),
    );
    let to_json = |v: &TokenStream| quote!(#v.as_ref().map(#krate::types::Type::to_json));
    let (min_json, max_json) = (to_json(&min), to_json(&max));
    Generated {
        names: quote! {
            #krate::PropertyNames { name: #name, gobject: #gobject, getter: #getter, setter: #setter }
        },
        spec: quote! {
            <#ty as #krate::types::PropertyType>::param_spec(#gobject, #doc, &#default, #min.as_ref(), #max.as_ref())
        },
        get_value: quote!(#krate::types::PropertyType::to_value(&self.#field)),
        set_value: quote!(self.#field = <#ty as #krate::types::PropertyType>::from_value(value)),
        get_json: quote!(#krate::types::Type::to_json(&self.#field)),
        set_json: quote! {{
            let parsed = <#ty as #krate::types::Type>::from_json(value)
                .map_err(|e| #krate::Error::invalid_param(::std::format!("{}: {}", #setter, e)))?;
            #range_check
            self.#field = parsed;
            ::std::result::Result::Ok(())
        }},
        descriptor: quote! {
            #krate::descriptor::ParamDescriptor {
                name: #name.to_string(),
                doc: #doc.to_string(),
                type_name: <#ty as #krate::types::Type>::kmd_type(),
                optional: false,
                default_value: ::std::option::Option::Some(#krate::types::Type::to_json(&#default)),
                minimum: #min_json,
                maximum: #max_json,
            }
        },
        complex: quote!(<#ty as #krate::types::Type>::complex_types(out);),
        type_check: {
            let krate = krate.at(ty.span());
            quote_spanned! {ty.span()=>
                const _: fn() = || { fn is_property<T: #krate::types::PropertyType>() {} is_property::<#ty>(); };
            }
        },
    }
}

/// `impl PropertyGroup for #ident`: its properties and its flattened groups', in field order.
///
/// Each function walks the fields, taking a property index off per property and a group's
/// count per group, until the index falls inside one.
pub fn group_impl(krate: &Krate, ident: &Ident, fields: &[Field]) -> TokenStream {
    let group = quote!(#krate::PropertyGroup);
    let mut parts = Vec::new();
    let mut specs = Vec::new();
    let mut descriptors = Vec::new();
    let mut complex = Vec::new();
    let mut type_checks = Vec::new();
    // One step per field, for each index-taking function.
    let mut steps: [Vec<TokenStream>; 4] = Default::default();
    for field in fields {
        let (name, ty) = (&field.ident, &field.ty);
        match &field.kind {
            FieldKind::Plain => {}
            FieldKind::Property(property) => {
                let g = generate(krate, property);
                let names = &g.names;
                parts.push(quote!(&[#names]));
                let (spec, descriptor) = (&g.spec, &g.descriptor);
                specs.push(quote!(specs.push(#spec);));
                descriptors.push(quote!(descriptors.push(#descriptor);));
                complex.push(g.complex.clone());
                type_checks.push(g.type_check.clone());
                let (get_value, set_value, get_json, set_json) =
                    (&g.get_value, &g.set_value, &g.get_json, &g.set_json);
                let bodies = [
                    quote!(return #get_value;),
                    quote!({ #set_value; return; }),
                    quote!(return #get_json;),
                    quote!(return #set_json;),
                ];
                for (step, body) in steps.iter_mut().zip(bodies) {
                    step.push(quote! {
                        if index == 0 { #body }
                        index -= 1;
                    });
                }
            }
            FieldKind::Flatten => {
                parts.push(quote!(<#ty as #group>::PROPERTIES));
                specs.push(quote!(specs.extend(<#ty as #group>::param_specs());));
                descriptors
                    .push(quote!(descriptors.extend(<#ty as #group>::property_descriptors());));
                complex.push(quote!(<#ty as #group>::property_complex_types(out);));
                let krate_at = krate.at(ty.span());
                type_checks.push(quote_spanned! {ty.span()=>
                    const _: fn() = || { fn is_group<T: #krate_at::PropertyGroup>() {} is_group::<#ty>(); };
                });
                let bodies = [
                    quote!(return #group::property_value(&self.#name, index);),
                    quote!({ #group::set_property_value(&mut self.#name, index, value); return; }),
                    quote!(return #group::property_json(&self.#name, index);),
                    quote!(return #group::set_property_json(&mut self.#name, index, value);),
                ];
                for (step, body) in steps.iter_mut().zip(bodies) {
                    step.push(quote! {
                        let count = <#ty as #group>::PROPERTIES.len();
                        if index < count { #body }
                        index -= count;
                    });
                }
            }
        }
    }
    let [get_value, set_value, get_json, set_json] = steps;
    let unknown = quote!(::std::unreachable!("no property {index}"));
    quote! {
        #(#type_checks)*

        #[allow(unused_variables, unused_mut, unused_assignments, clippy::needless_return)]
        impl #group for #ident {
            const PROPERTIES: &'static [#krate::PropertyNames] = {
                const PARTS: &[&[#krate::PropertyNames]] = &[#(#parts),*];
                const ALL: [#krate::PropertyNames; #krate::__private::names_len(PARTS)] =
                    #krate::__private::concat_names(PARTS);
                &ALL
            };

            fn param_specs() -> ::std::vec::Vec<#krate::glib::ParamSpec> {
                let mut specs = ::std::vec::Vec::new();
                #(#specs)*
                specs
            }

            fn property_value(&self, index: usize) -> #krate::glib::Value {
                let mut index = index;
                #(#get_value)*
                #unknown
            }

            fn set_property_value(&mut self, index: usize, value: &#krate::glib::Value) {
                let mut index = index;
                #(#set_value)*
                #unknown
            }

            fn property_json(&self, index: usize) -> #krate::serde_json::Value {
                let mut index = index;
                #(#get_json)*
                #unknown
            }

            fn set_property_json(&mut self, index: usize, value: &#krate::serde_json::Value) -> #krate::Result<()> {
                let mut index = index;
                #(#set_json)*
                #unknown
            }

            fn property_descriptors() -> ::std::vec::Vec<#krate::descriptor::ParamDescriptor> {
                let mut descriptors = ::std::vec::Vec::new();
                #(#descriptors)*
                descriptors
            }

            fn property_complex_types(out: &mut ::std::vec::Vec<#krate::descriptor::ComplexTypeDescriptor>) {
                #(#complex)*
            }
        }
    }
}

/// `#[filmstrip::properties]`: a group of properties that filters flatten into their own.
pub fn expand_group(args: TokenStream, input: TokenStream) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let mut krate = Krate::default();
    let parser = syn::meta::parser(|meta| {
        if krate.parse_if(&meta)? {
            return Ok(());
        }
        errors.push(meta.error("unknown attribute; #[filmstrip::properties] takes only `crate`"));
        skip_value(&meta)
    });
    let result = syn::parse::Parser::parse2(parser, args);
    errors.ok(result);
    let mut item: ItemStruct = syn::parse2(input)?;
    errors.ok(crate::util::no_generics(&item.generics, "a property group"));
    if let Some(derive) = crate::util::derive_default(&item.attrs) {
        errors.push(syn::Error::new_spanned(
            derive,
            "remove `Default` from this derive: #[filmstrip::properties] implements Default from the property defaults",
        ));
    }
    let fields = take_fields(&mut item, "#[filmstrip::properties]", &mut errors);
    errors.finish()?;
    let ident = &item.ident;
    let default = default_impl(ident, &fields);
    let group = group_impl(&krate, ident, &fields);
    Ok(quote! {
        #item
        #default
        #group
    })
}
