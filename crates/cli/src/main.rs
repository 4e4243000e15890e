fn main() {
    println!("ccrs {}", ccrs_core::VERSION);
}
