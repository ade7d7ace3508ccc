#[filmstrip::properties]
#[derive(Debug, std::default::Default)]
pub struct Shared {
    #[property(default = 4)]
    size: u32,
}

fn main() {}
