#[filmstrip::filter(class = "Flip")]
pub struct Flip(bool);

fn main() {}
