//! A fake ESC/POS receipt printer for the end-to-end tests: a TCP server on
//! 127.0.0.1 (the way a network printer listens on port 9100) that keeps
//! every job it receives, and a decoder of what a job says: the raster
//! images (`GS v 0`), feeds, cuts (`GS V`) and drawer kicks (`ESC p`). A
//! byte the decoder does not know fails the decoding: the app sends only
//! these commands.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context as _};
use tokio::io::AsyncReadExt as _;
use tokio::net::TcpListener;

/// The fake printer, listening until stopped (or dropped).
#[derive(Debug)]
pub struct FakePrinter {
    addr: SocketAddr,
    jobs: Arc<Mutex<Vec<Vec<u8>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakePrinter {
    /// Listens on a free port of 127.0.0.1.
    pub async fn start() -> anyhow::Result<FakePrinter> {
        Self::start_at("127.0.0.1:0".parse()?).await
    }

    /// Listens on `addr` (a printer switched on again at its address).
    pub async fn start_at(addr: SocketAddr) -> anyhow::Result<FakePrinter> {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("the fake printer listens on {addr}"))?;
        let addr = listener.local_addr()?;
        let jobs = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&jobs);
        let task = tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let kept = Arc::clone(&kept);
                tokio::spawn(async move {
                    let mut job = Vec::new();
                    if conn.read_to_end(&mut job).await.is_ok() && !job.is_empty() {
                        kept.lock().expect("not poisoned").push(job);
                    }
                });
            }
        });
        Ok(FakePrinter { addr, jobs, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The jobs received so far, each decoded.
    pub fn jobs(&self) -> anyhow::Result<Vec<Job>> {
        self.jobs
            .lock()
            .expect("not poisoned")
            .iter()
            .map(|b| decode(b))
            .collect()
    }

    /// Waits (up to `crate::PATIENCE`) until `n` jobs have arrived.
    pub async fn wait_for_jobs(&self, n: usize) -> anyhow::Result<Vec<Job>> {
        let deadline = std::time::Instant::now() + crate::PATIENCE;
        loop {
            let count = self.jobs.lock().expect("not poisoned").len();
            if count >= n {
                return self.jobs();
            }
            if std::time::Instant::now() > deadline {
                bail!("the printer received {count} jobs, not {n}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Switches the printer off: nothing listens at its address any more.
    pub async fn stop(mut self) {
        self.task.abort();
        // The listener is dropped once the aborted task has ended.
        let _ = (&mut self.task).await;
    }
}

impl Drop for FakePrinter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A 1-bit picture as the printer received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub width: usize,
    pub height: usize,
    /// `height` rows of `width / 8` bytes, most significant bit first, 1 = black.
    pub rows: Vec<u8>,
}

impl Image {
    pub fn black(&self, x: usize, y: usize) -> bool {
        self.rows[y * self.width / 8 + x / 8] & (0x80 >> (x % 8)) != 0
    }

    /// Rows with any black dot.
    pub fn inked_rows(&self) -> usize {
        self.rows
            .chunks(self.width / 8)
            .filter(|r| r.iter().any(|b| *b != 0))
            .count()
    }

    /// Writes the picture as a black-and-white PNG.
    pub fn save_png(&self, path: &Path) -> anyhow::Result<()> {
        let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut encoder = png::Encoder::new(
            std::io::BufWriter::new(file),
            u32::try_from(self.width)?,
            u32::try_from(self.height)?,
        );
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        let mut writer = encoder.write_header()?;
        // PNG's 1-bit grey: 1 = white, the printer's 1 = black.
        let inverted: Vec<u8> = self.rows.iter().map(|b| !b).collect();
        writer.write_image_data(&inverted)?;
        Ok(())
    }
}

/// What one job said, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Init,
    /// `ESC p m t1 t2`: the drawer kick on pin `m`.
    Kick {
        pin: u8,
    },
    /// One `GS v 0` band.
    Raster(Image),
    /// `ESC d n`.
    Feed(u8),
    /// `GS V`.
    Cut,
}

/// A decoded job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub commands: Vec<Command>,
}

impl Job {
    /// The printed papers: consecutive bands joined, each paper ending at a cut.
    pub fn images(&self) -> Vec<Image> {
        let mut out: Vec<Image> = Vec::new();
        let mut open = false;
        for c in &self.commands {
            match c {
                Command::Raster(band) => match out.last_mut() {
                    Some(last) if open && last.width == band.width => {
                        last.rows.extend_from_slice(&band.rows);
                        last.height += band.height;
                    }
                    _ => {
                        out.push(band.clone());
                        open = true;
                    }
                },
                Command::Cut => open = false,
                _ => {}
            }
        }
        out
    }

    pub fn cuts(&self) -> usize {
        self.commands.iter().filter(|c| **c == Command::Cut).count()
    }

    pub fn kicks(&self) -> usize {
        self.commands
            .iter()
            .filter(|c| matches!(c, Command::Kick { .. }))
            .count()
    }
}

/// Decodes a job's bytes; an unknown command is an error naming its offset.
pub fn decode(bytes: &[u8]) -> anyhow::Result<Job> {
    let mut commands = Vec::new();
    let mut i = 0;
    let need = |i: usize, n: usize| -> anyhow::Result<()> {
        if i + n > bytes.len() {
            bail!("the job ends inside a command at byte {i}");
        }
        Ok(())
    };
    while i < bytes.len() {
        match bytes[i] {
            0x1b => {
                need(i, 2)?;
                match bytes[i + 1] {
                    b'@' => {
                        commands.push(Command::Init);
                        i += 2;
                    }
                    b'p' => {
                        need(i, 5)?;
                        commands.push(Command::Kick { pin: bytes[i + 2] });
                        i += 5;
                    }
                    b'd' => {
                        need(i, 3)?;
                        commands.push(Command::Feed(bytes[i + 2]));
                        i += 3;
                    }
                    other => bail!("unknown ESC {other:#04x} at byte {i}"),
                }
            }
            0x1d => {
                need(i, 2)?;
                match bytes[i + 1] {
                    b'v' => {
                        need(i, 8)?;
                        if bytes[i + 2] != b'0' {
                            bail!("GS v {:#04x} at byte {i} is not GS v 0", bytes[i + 2]);
                        }
                        let width_bytes = usize::from(u16::from_le_bytes([bytes[i + 4], bytes[i + 5]]));
                        let height = usize::from(u16::from_le_bytes([bytes[i + 6], bytes[i + 7]]));
                        let len = width_bytes * height;
                        need(i + 8, len)?;
                        commands.push(Command::Raster(Image {
                            width: width_bytes * 8,
                            height,
                            rows: bytes[i + 8..i + 8 + len].to_vec(),
                        }));
                        i += 8 + len;
                    }
                    b'V' => {
                        need(i, 3)?;
                        // Functions A (0, 1, 48, 49) take no more bytes; B (65, 66) one.
                        let len = if matches!(bytes[i + 2], 65 | 66) { 4 } else { 3 };
                        need(i, len)?;
                        commands.push(Command::Cut);
                        i += len;
                    }
                    other => bail!("unknown GS {other:#04x} at byte {i}"),
                }
            }
            other => bail!("unexpected byte {other:#04x} at byte {i}"),
        }
    }
    Ok(Job { commands })
}
