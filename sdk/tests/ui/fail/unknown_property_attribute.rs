#[filmstrip::filter(class = "Blur")]
pub struct Blur {
    #[property(default = 3, step = 2)]
    radius: u32,
}

fn main() {}
