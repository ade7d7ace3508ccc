// Every mistake of one filter is reported in one build, not one per build.
#[filmstrip::filter(class = "blur", formats(Bgrx, Yuv9), colour = "red")]
pub struct Blur {
    #[property(default = 3, step = 2)]
    radius: u32,
    #[property(fast)]
    sigma: f64,
}

fn main() {}
