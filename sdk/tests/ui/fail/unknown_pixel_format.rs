#[filmstrip::filter(class = "Sharpen", formats(Bgrx, Yuy2))]
pub struct Sharpen {}

fn main() {}
