#[filmstrip::filter(class = "Grey")]
#[derive(Debug, Default)]
pub struct Grey {
    #[property(default = 0.5)]
    amount: f64,
}

fn main() {}
