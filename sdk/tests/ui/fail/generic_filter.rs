#[filmstrip::filter(class = "Scale")]
pub struct Scale<T> {
    factor: T,
}

fn main() {}
