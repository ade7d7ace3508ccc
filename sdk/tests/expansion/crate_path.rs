//! The SDK re-exported under another name, as a crate wrapping it would: every macro takes
//! `crate = path` and the generated code names only that path.

mod wrapper {
    pub use filmstrip as sdk;
}

use wrapper::sdk;
use wrapper::sdk::prelude::*;

/// A mode.
#[derive(sdk::ComplexType, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[complex_type(crate = wrapper::sdk)]
pub enum Mode {
    #[default]
    Fast,
    Exact,
}

/// Something happened.
#[derive(sdk::Event)]
#[event(crate = wrapper::sdk)]
pub struct Happened {
    pub mode: Mode,
}

/// Shared settings.
#[sdk::properties(crate = wrapper::sdk)]
pub struct Shared {
    #[property(default = 2)]
    size: u32,
}

/// Does nothing, under another crate name.
#[sdk::filter(class = "WrappedFilter", crate = wrapper::sdk, events(Happened))]
pub struct Wrapped {
    #[property]
    mode: Mode,
    #[property(flatten)]
    shared: Shared,
}

#[sdk::methods(crate = wrapper::sdk)]
impl Wrapped {
    fn transform_frame(&mut self, _frame: &Frame, ctx: &mut Context<Self>) -> Result<()> {
        ctx.emit(Happened { mode: self.mode });
        Ok(())
    }

    #[method]
    fn size(&self) -> Result<u32> {
        Ok(self.shared.size)
    }
}

sdk::module! { crate = wrapper::sdk, name = "wrapped", filters(Wrapped) }

#[test]
fn every_macro_takes_a_crate_path() {
    let descriptor = sdk::class_descriptor::<Wrapped>();
    let names: Vec<_> = descriptor
        .properties
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["mode", "size"]);
}
