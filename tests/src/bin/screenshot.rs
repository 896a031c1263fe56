//! Takes the README's screenshot of the Backup screen: the real app, on a
//! generated small shop, after Backup Now.
//!
//!     cargo build -p sonic-pos
//!     cargo run -p sonic-e2e --bin screenshot -- docs/screenshot-backup.png

use std::path::PathBuf;

use anyhow::Context as _;
use sonic_core::{DataDir, Store};
use sonic_e2e::App;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "docs/screenshot-backup.png".into()),
    );
    let dir = tempfile::tempdir()?;
    {
        let mut store = Store::open(&DataDir::at(dir.path()))?;
        sonic_core::gen::generate(&mut store, sonic_core::gen::Profile::Small, 7)?;
    }
    let app = App::launch(dir.path()).await?;
    app.testid("backup-now").await?.click().await?;
    app.wait_for_text("backup-id", |t| !t.trim().is_empty()).await?;
    app.wait_for_text("backup-history", |t| !t.contains('…')).await?;
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    app.screenshot(&out)?;
    println!("wrote {}", out.display());
    app.quit().await
}
