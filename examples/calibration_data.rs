//! Writes the data files of the worked calibration example
//! (`models/calibrated_api.toml`) from a known system; see
//! `calibration_data/generate.rs` for what that system is.
//!
//! ```sh
//! cargo run --release --example calibration_data
//! ```

#[path = "calibration_data/generate.rs"]
mod generate;

fn main() -> std::io::Result<()> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for (path, text) in generate::files() {
        tailsim_runner::output::write_atomic(&root.join(path), text.as_bytes())?;
        println!("wrote {path} ({} bytes)", text.len());
    }
    Ok(())
}
