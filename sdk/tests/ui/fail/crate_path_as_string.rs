#[filmstrip::filter(class = "Blur", crate = "filmstrip")]
pub struct Blur {}

fn main() {}
