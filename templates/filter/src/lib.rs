//! {{class}}: a Filmstrip video filter module. The filter itself is in `filter.rs`.

mod filter;

pub use filter::{{struct_name}};

filmstrip::module! { name = "{{crate_name}}", filters({{struct_name}}) }
