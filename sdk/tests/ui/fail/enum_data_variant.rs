use filmstrip::ComplexType;

#[derive(ComplexType)]
pub enum Shape {
    Square,
    Circle { radius: u32 },
}

fn main() {}
