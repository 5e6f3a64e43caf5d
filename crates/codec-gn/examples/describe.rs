//! Prints the JSON view of GN frames given as hex arguments:
//! `cargo run --example describe -- fcff0018…fcee`.

fn main() {
    for arg in std::env::args().skip(1) {
        let clean: String = arg.chars().filter(|c| !c.is_whitespace()).collect();
        match codec_gn::hex::decode_vec(&clean.to_lowercase()) {
            Some(bytes) => println!("{}", codec_gn::describe_bytes(&bytes)),
            None => eprintln!("not hex: {arg}"),
        }
    }
}
