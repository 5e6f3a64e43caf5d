//! `sqlx::migrate!` embeds `migrations/` when the crate compiles but cannot ask cargo to
//! watch that directory: without this, an incremental build misses a new migration.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
